/// Line diffs in unified format (`diff -u`), for reviewing file changes in a plan.
public enum UnifiedDiff {
    enum Edit: Equatable {
        case same(String)
        case removed(String)
        case added(String)
    }

    /// nil when the texts are equal.
    public static func make(old: String, new: String, oldLabel: String, newLabel: String, context: Int = 3) -> String? {
        guard old != new else { return nil }
        let oldLines = lines(old)
        let newLines = lines(new)
        let edits = diff(oldLines, newLines)
        var output = ["--- \(oldLabel)", "+++ \(newLabel)"]
        for hunk in hunks(edits, context: context) {
            output.append(hunk)
        }
        return output.joined(separator: "\n") + "\n"
    }

    /// `make(old: "", new: new, …)` as the lines a reviewer reads, without the edit search or the
    /// joining and splitting again: the diff a plan shows for every file it creates.
    public static func additions(of new: String, oldLabel: String, newLabel: String) -> [String] {
        guard let parts = Additions(of: new, oldLabel: oldLabel, newLabel: newLabel) else {
            return make(old: "", new: new, oldLabel: oldLabel, newLabel: newLabel).map { splitLines($0) } ?? []
        }
        guard parts.lineCount > 0 else { return [] }
        var output = parts.header
        output.reserveCapacity(parts.lineCount + 4)
        for line in String(parts.added).splitAtLineFeeds() { output.append("+" + line) }
        if let trailer = parts.trailer { output.append(trailer) }
        return output
    }

    /// A new file's diff in parts: its header, the text whose every line is added (each shown
    /// after a "+"), and the marker of a missing final line feed. A renderer copies the lines'
    /// bytes from `added` instead of making a String of each.
    public struct Additions: Sendable {
        public let header: [String]
        /// The content without its final line feed: its lines, split at line feeds, are the added ones.
        public let added: Substring
        /// How many lines are added (0 for empty content, which has no diff).
        public let lineCount: Int
        public let trailer: String?

        /// nil when `new` holds a carriage return, which changes where `make`'s text splits into
        /// lines again: that diff is made its own way.
        public init?(of new: String, oldLabel: String, newLabel: String) {
            let (lineFeeds, carriageReturns) = new.withUTF8Bytes { bytes in
                var lineFeeds = 0, carriageReturns = 0
                for byte in bytes {
                    lineFeeds &+= byte == UInt8(ascii: "\n") ? 1 : 0
                    carriageReturns &+= byte == UInt8(ascii: "\r") ? 1 : 0
                }
                return (lineFeeds, carriageReturns)
            }
            guard carriageReturns == 0 else { return nil }
            let endsWithLineFeed = new.utf8.last == UInt8(ascii: "\n")
            // Cut by the UTF-8 view: `dropLast()` on a String counts its Characters first.
            added = endsWithLineFeed ? new[..<new.utf8.index(before: new.utf8.endIndex)] : new[...]
            lineCount = new.isEmpty ? 0 : (endsWithLineFeed ? lineFeeds : lineFeeds + 1)
            header = ["--- \(oldLabel)", "+++ \(newLabel)", "@@ -0,0 +\(UnifiedDiff.range(1, lineCount)) @@"]
            trailer = endsWithLineFeed || new.isEmpty ? nil : "\\ No newline at end of file"
        }
    }

    /// A diff's text as lines, without the empty one after its last line feed.
    public static func splitLines(_ diff: String) -> [String] {
        Array(diff.splitAtLineFeeds().dropLast().map(String.init))
    }

    /// Splits keeping a marker for a missing final newline, as `diff` does.
    static func lines(_ text: String) -> [String] {
        guard !text.isEmpty else { return [] }
        var result = text.splitAtLineFeeds().map(String.init)
        if result.last == "" {
            result.removeLast()
        } else if let last = result.popLast() {
            result.append(last + "\n\\ No newline at end of file")
        }
        return result
    }

    /// Common head and tail first (cheap, and most config edits are local), Myers in between.
    static func diff(_ a: [String], _ b: [String], maximumEdits: Int = 2_000) -> [Edit] {
        // A new file's diff (shown for every file a plan creates): all added, no search needed.
        if a.isEmpty { return b.map(Edit.added) }
        var head = 0
        while head < a.count && head < b.count && a[head] == b[head] { head += 1 }
        var tail = 0
        while tail < a.count - head && tail < b.count - head && a[a.count - 1 - tail] == b[b.count - 1 - tail] { tail += 1 }
        let middleA = Array(a[head..<(a.count - tail)])
        let middleB = Array(b[head..<(b.count - tail)])
        let middle = myers(middleA, middleB, maximumEdits: maximumEdits)
            ?? middleA.map(Edit.removed) + middleB.map(Edit.added)
        return a[..<head].map(Edit.same) + middle + a[(a.count - tail)...].map(Edit.same)
    }

    /// Myers' O(ND) shortest edit script; nil past `maximumEdits`, where memory would grow too much.
    static func myers(_ a: [String], _ b: [String], maximumEdits: Int) -> [Edit]? {
        let n = a.count
        let m = b.count
        let maximum = n + m
        guard maximum > 0 else { return [] }
        var frontier = [Int](repeating: 0, count: 2 * maximum + 2)
        var trace: [[Int]] = []
        var found = false
        for d in 0...maximum {
            if d > maximumEdits { return nil }
            // Only diagonals -d…d matter at this depth: keeps memory O(D²), not O(D·(N+M)).
            trace.append(Array(frontier[(maximum - d)...(maximum + d)]))
            for k in stride(from: -d, through: d, by: 2) {
                var x: Int
                if k == -d || (k != d && frontier[maximum + k - 1] < frontier[maximum + k + 1]) {
                    x = frontier[maximum + k + 1]
                } else {
                    x = frontier[maximum + k - 1] + 1
                }
                var y = x - k
                while x < n && y < m && a[x] == b[y] {
                    x += 1
                    y += 1
                }
                frontier[maximum + k] = x
                if x >= n && y >= m {
                    found = true
                    break
                }
            }
            if found { break }
        }
        // Walk the trace backwards to recover the edits.
        var edits: [Edit] = []
        var x = n
        var y = m
        for d in stride(from: trace.count - 1, through: 0, by: -1) {
            let v = trace[d]
            let k = x - y
            let previousK = (k == -d || (k != d && v[k - 1 + d] < v[k + 1 + d])) ? k + 1 : k - 1
            let previousX = d == 0 ? 0 : v[previousK + d]
            let previousY = previousX - previousK
            while x > previousX && y > previousY {
                x -= 1
                y -= 1
                edits.append(.same(a[x]))
            }
            if d > 0 {
                if x == previousX {
                    y -= 1
                    edits.append(.added(b[y]))
                } else {
                    x -= 1
                    edits.append(.removed(a[x]))
                }
            }
        }
        return edits.reversed()
    }

    static func hunks(_ edits: [Edit], context: Int) -> [String] {
        let changed = edits.indices.filter { if case .same = edits[$0] { return false } else { return true } }
        guard !changed.isEmpty else { return [] }
        // Group changes whose context overlaps.
        var groups: [(Int, Int)] = []
        for index in changed {
            let start = max(0, index - context)
            let end = min(edits.count - 1, index + context)
            if let last = groups.last, start <= last.1 + 1 {
                groups[groups.count - 1].1 = end
            } else {
                groups.append((start, end))
            }
        }
        // Line numbers before each edit index.
        var oldLine = [Int](repeating: 0, count: edits.count + 1)
        var newLine = [Int](repeating: 0, count: edits.count + 1)
        for (index, edit) in edits.enumerated() {
            oldLine[index + 1] = oldLine[index] + (isAdded(edit) ? 0 : 1)
            newLine[index + 1] = newLine[index] + (isRemoved(edit) ? 0 : 1)
        }
        var output: [String] = []
        for (start, end) in groups {
            let oldCount = oldLine[end + 1] - oldLine[start]
            let newCount = newLine[end + 1] - newLine[start]
            let oldStart = oldCount == 0 ? oldLine[start] : oldLine[start] + 1
            let newStart = newCount == 0 ? newLine[start] : newLine[start] + 1
            output.append("@@ -\(range(oldStart, oldCount)) +\(range(newStart, newCount)) @@")
            for edit in edits[start...end] {
                switch edit {
                case .same(let line): output.append(" " + line)
                case .removed(let line): output.append("-" + line)
                case .added(let line): output.append("+" + line)
                }
            }
        }
        return output
    }

    private static func isAdded(_ edit: Edit) -> Bool {
        if case .added = edit { return true }
        return false
    }

    private static func isRemoved(_ edit: Edit) -> Bool {
        if case .removed = edit { return true }
        return false
    }

    fileprivate static func range(_ start: Int, _ count: Int) -> String {
        count == 1 ? "\(start)" : "\(start),\(count)"
    }
}
