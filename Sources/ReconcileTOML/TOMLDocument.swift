/// Edits entries of an array of tables (`[[runners]]`) and top-level keys in place: only the lines
/// of the keys set change; every other byte stays as it was.
public struct TOMLDocument: Sendable {
    public private(set) var layout: TOMLLayout

    public init(_ text: String) throws {
        layout = try TOMLLayout(text)
    }

    public var text: String { layout.text }

    /// One `[[array]]` element: its header, its subtables, up to the next header outside it.
    public struct Entry: Sendable, Equatable {
        public let header: Int
        /// Header indices of the entry's own table and its subtables.
        public let sections: [Int]
        public let firstLine: Int
        /// The last line holding a header or key of the entry.
        public let lastContentLine: Int
    }

    public func entries(of array: String) -> [Entry] {
        let headers = layout.headers
        var entries: [Entry] = []
        for (index, header) in headers.enumerated() where header.isArray && header.path == [array] {
            var sections = [index]
            var next = index + 1
            while next < headers.count, headers[next].path.count > 1, headers[next].path[0] == array {
                sections.append(next)
                next += 1
            }
            let lastKey = layout.keyValues.filter { $0.section.map(sections.contains) ?? false }.map(\.lastLine).max() ?? 0
            let lastHeader = sections.map { headers[$0].line }.max() ?? header.line
            entries.append(Entry(header: index, sections: sections, firstLine: header.line, lastContentLine: max(lastKey, lastHeader)))
        }
        return entries
    }

    /// The entry whose `key` is the string `value`; an error when several are.
    public func entry(of array: String, where key: String, is value: String) throws -> Entry? {
        let matches = entries(of: array).filter { values(of: $0)[[key]]?.scalar == .string(value) }
        if matches.count > 1 {
            let lines = matches.map { String(layout.headers[$0.header].line + 1) }.joined(separator: " and ")
            throw TOMLError(
                line: layout.headers[matches[1].header].line + 1, column: 1,
                "[[\(array)]] entries on lines \(lines) are all named \(TOMLScalar.quote(value)); remove all but one")
        }
        return matches.first
    }

    /// The entry's keys by path below the array element (`["custom", "run_exec"]`).
    public func values(of entry: Entry) -> [[String]: TOMLLayout.KeyValue] {
        let prefixLength = layout.headers[entry.header].path.count
        var values: [[String]: TOMLLayout.KeyValue] = [:]
        for value in layout.keyValues {
            guard let section = value.section, entry.sections.contains(section) else { continue }
            values[Array(layout.headers[section].path.dropFirst(prefixLength)) + value.key] = value
        }
        return values
    }

    public func topLevel(_ key: String) -> TOMLLayout.KeyValue? {
        layout.keyValues.first { $0.section == nil && $0.key == [key] }
    }

    /// Sets each key of the entry to its value, writing only the keys whose value differs.
    public mutating func set(_ settings: [(key: [String], value: TOMLScalar)], inEntryOf array: String, where key: String, is name: String) throws {
        for setting in settings {
            guard let entry = try entry(of: array, where: key, is: name) else {
                throw TOMLError(line: 1, column: 1, "no [[\(array)]] entry has \(key) = \(TOMLScalar.quote(name))")
            }
            try set(setting.key, to: setting.value, in: entry, array: array)
        }
    }

    private mutating func set(_ path: [String], to value: TOMLScalar, in entry: Entry, array: String) throws {
        let existing = values(of: entry)
        if let current = existing[path] {
            guard current.scalar != value else { return }
            let indent = Self.indentation(layout.lines[current.firstLine])
            try replace(lines: current.firstLine...current.lastLine, with: [indent + Self.render(key: current.key) + " = " + value.rendered])
            return
        }
        let headers = layout.headers
        let subtable = [array] + path.dropLast()
        if path.count > 1, existing[[path[0]]] != nil {
            let line = (existing[[path[0]]]?.firstLine ?? 0) + 1
            throw TOMLError(line: line, column: 1, "\(array).\(path[0]) is an inline value; write it as a [\(array).\(path[0])] table so its keys can be set")
        }
        if let section = entry.sections.first(where: { headers[$0].path == subtable && !headers[$0].isArray || $0 == entry.header && path.count == 1 }) {
            let keys = layout.keyValues.filter { $0.section == section }
            let after = keys.last?.lastLine ?? headers[section].line
            let indent = keys.last.map { Self.indentation(layout.lines[$0.firstLine]) }
                ?? Self.indentation(layout.lines[headers[section].line]) + "  "
            try insert([indent + Self.render(key: [path.last ?? ""]) + " = " + value.rendered], after: after)
            return
        }
        let dotted = existing.keys.contains { $0.count == path.count && Array($0.dropLast()) == Array(path.dropLast()) }
        let mainKeys = layout.keyValues.filter { $0.section == entry.header }
        if dotted, let last = mainKeys.last {
            try insert([Self.indentation(layout.lines[last.firstLine]) + Self.render(key: path) + " = " + value.rendered], after: last.lastLine)
            return
        }
        let headerIndent = Self.indentation(layout.lines[entry.firstLine]) + "  "
        let tableHeader = headerIndent + "[" + Self.render(key: subtable) + "]"
        try insert([tableHeader, headerIndent + "  " + Self.render(key: [path.last ?? ""]) + " = " + value.rendered], after: entry.lastContentLine)
    }

    /// Adds a new entry at the end, after a blank line.
    public mutating func appendEntry(
        to array: String, comment: [String], settings: [(key: [String], value: TOMLScalar)]
    ) throws {
        var lines = layout.lines
        if lines.last == "" { lines.removeLast() }
        if let last = lines.last, !last.allSatisfy({ $0 == " " || $0 == "\t" }) { lines.append("") }
        lines.append("[[\(Self.render(key: [array]))]]")
        lines += comment.map { "  # " + $0 }
        let grouped = Dictionary(grouping: settings, by: { Array($0.key.dropLast()) })
        for setting in settings where setting.key.count == 1 {
            lines.append("  " + Self.render(key: setting.key) + " = " + setting.value.rendered)
        }
        for table in grouped.keys.filter({ !$0.isEmpty }).sorted(by: { $0.joined(separator: ".") < $1.joined(separator: ".") }) {
            lines.append("  [" + Self.render(key: [array] + table) + "]")
            for setting in grouped[table] ?? [] {
                lines.append("    " + Self.render(key: [setting.key.last ?? ""]) + " = " + setting.value.rendered)
            }
        }
        lines.append("")
        layout = try TOMLLayout(lines.joined(separator: "\n"))
    }

    /// Removes the entry's lines and one blank line before it, if any.
    public mutating func remove(_ entry: Entry) throws {
        var lines = layout.lines
        var first = entry.firstLine
        if first > 0, lines[first - 1].allSatisfy({ $0 == " " || $0 == "\t" }) { first -= 1 }
        lines.removeSubrange(first...entry.lastContentLine)
        layout = try TOMLLayout(lines.joined(separator: "\n"))
    }

    /// A top-level key, set in place or added after the other top-level keys.
    public mutating func setTopLevel(_ key: String, to value: TOMLScalar) throws {
        if let current = topLevel(key) {
            guard current.scalar != value else { return }
            try replace(lines: current.firstLine...current.lastLine, with: [Self.render(key: [key]) + " = " + value.rendered])
            return
        }
        let line = Self.render(key: [key]) + " = " + value.rendered
        if let last = layout.keyValues.last(where: { $0.section == nil }) {
            try insert([line], after: last.lastLine)
        } else {
            var lines = layout.lines
            // A blank line keeps it apart from the table that follows.
            lines.insert(contentsOf: layout.headers.first?.line == 0 ? [line, ""] : [line], at: 0)
            layout = try TOMLLayout(lines.joined(separator: "\n"))
        }
    }

    private mutating func replace(lines range: ClosedRange<Int>, with replacement: [String]) throws {
        var lines = layout.lines
        lines.replaceSubrange(range, with: replacement)
        layout = try TOMLLayout(lines.joined(separator: "\n"))
    }

    private mutating func insert(_ new: [String], after line: Int) throws {
        var lines = layout.lines
        lines.insert(contentsOf: new, at: line + 1)
        layout = try TOMLLayout(lines.joined(separator: "\n"))
    }

    static func indentation(_ line: String) -> String {
        String(line.prefix { $0 == " " || $0 == "\t" })
    }

    /// Bare where TOML allows it, quoted otherwise.
    static func render(key: [String]) -> String {
        key.map { part in
            !part.isEmpty && part.unicodeScalars.allSatisfy(TOMLSyntax.isBareKeyCharacter) ? part : TOMLScalar.quote(part)
        }.joined(separator: ".")
    }
}
