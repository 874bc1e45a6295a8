import Foundation
import Dispatch
import Synchronization

/// Parses a large stream of many documents in slices, one per core, each cut just before a
/// `---` line.
///
/// Sound because libyaml ends whatever is open when a line starts with `---` and a blank: a
/// block scalar, a plain scalar or a block collection ends there and a document starts; in a
/// quoted scalar or a flow collection it is an error. So when no slice has an error, the slices'
/// documents are the whole stream's. When any slice has one, the caller parses the stream whole,
/// and its errors are exactly what they would have been.
enum DocumentSlices {
    /// Below this the threads cost more than they save.
    static let minimumBytes = 256 * 1024
    static let slices = 4

    /// The stream's documents, or nil when it must be parsed whole (small, not sliceable, or an error).
    static func parse(
        _ bytes: [UInt8], path: String, limits: YAMLLimits, minimumBytes: Int = minimumBytes
    ) -> [YAMLDocument]? {
        guard bytes.count >= minimumBytes, isSliceable(bytes) else { return nil }
        let starts = sliceStarts(bytes, slices: slices)
        guard starts.count > 1 else { return nil }
        let ranges = zip(starts, starts.dropFirst() + [bytes.count]).map { $0..<$1 }
        let lineOffsets = lineCounts(bytes, before: starts)
        let results = Mutex<[(documents: [YAMLDocument], errors: [YAMLError])?]>(Array(repeating: nil, count: ranges.count))
        DispatchQueue.concurrentPerform(iterations: ranges.count) { index in
            // Its own copy of the path: every mark holds one, and a string shared by all threads
            // would have its reference count fought over.
            let ownPath = String(decoding: Array(path.utf8), as: UTF8.self)
            let parsed = YAMLLoader.parse(bytes[ranges[index]], path: ownPath, limits: limits, lineOffset: lineOffsets[index])
            results.withLock { $0[index] = parsed }
        }
        var documents: [YAMLDocument] = []
        for result in results.withLock({ $0 }) {
            guard let result, result.errors.isEmpty else { return nil }
            for document in result.documents {
                documents.append(YAMLDocument(root: document.root, isEmpty: document.isEmpty, mark: document.mark, index: documents.count))
            }
        }
        return documents
    }

    /// Line numbers count only line feeds here, so carriage returns and the Unicode line breaks
    /// libyaml also counts (NEL, LS, PS) rule slicing out; so do directives (`%YAML`, `%TAG`),
    /// which belong to the document after them.
    static func isSliceable(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return true }
            let count = buffer.count
            // One memchr pass per byte looked for (a vectorised scan, 4x faster than a loop
            // comparing each byte with all four): this runs over the whole stream before it is split.
            func occurrences(of byte: UInt8, _ body: (Int) -> Bool) -> Bool {
                var offset = 0
                while offset < count, let found = memchr(base + offset, Int32(byte), count - offset) {
                    let index = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                    guard body(index) else { return false }
                    offset = index + 1
                }
                return true
            }
            return occurrences(of: 0x0D) { _ in false }
                && occurrences(of: 0x25) { index in index > 0 && buffer[index - 1] != 0x0A }
                && occurrences(of: 0xC2) { index in index + 1 >= count || buffer[index + 1] != 0x85 }
                && occurrences(of: 0xE2) { index in
                    index + 2 >= count || buffer[index + 1] != 0x80 || (buffer[index + 2] != 0xA8 && buffer[index + 2] != 0xA9)
                }
        }
    }

    /// Offsets of up to `slices` starts: 0, then the first `---` line at or after each even share.
    static func sliceStarts(_ bytes: [UInt8], slices: Int) -> [Int] {
        var starts = [0]
        for part in 1..<max(slices, 1) {
            let from = max(bytes.count * part / slices, (starts.last ?? 0) + 1)
            guard let found = documentMarker(in: bytes, from: from) else { break }
            starts.append(found)
        }
        return starts
    }

    /// The first line at or after `from` that starts with `---` and a blank or the end.
    static func documentMarker(in bytes: [UInt8], from: Int) -> Int? {
        var position = max(from, 1)
        while position + 3 <= bytes.count {
            if bytes[position - 1] == 0x0A, bytes[position] == 0x2D, bytes[position + 1] == 0x2D, bytes[position + 2] == 0x2D,
                position + 3 == bytes.count || [0x20, 0x09, 0x0A].contains(bytes[position + 3]) {
                return position
            }
            position += 1
        }
        return nil
    }

    /// Line feeds before each offset (ascending), counted eight bytes at a time: a byte is a line
    /// feed when it XORs to zero, and a zero byte is one whose high bit stays clear after its low
    /// seven bits are added to 0x7F (no carry crosses bytes) and its own high bit is ORed in.
    static func lineCounts(_ bytes: [UInt8], before offsets: [Int]) -> [Int] {
        bytes.withUnsafeBytes { raw in
            let lineFeeds: UInt64 = 0x0A0A_0A0A_0A0A_0A0A
            let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
            var counts: [Int] = []
            var lines = 0
            var position = 0
            for offset in offsets {
                let end = min(offset, raw.count)
                while position + 8 <= end {
                    let word = raw.loadUnaligned(fromByteOffset: position, as: UInt64.self) ^ lineFeeds
                    lines += (~(((word & low7) &+ low7) | word | low7)).nonzeroBitCount
                    position += 8
                }
                while position < end {
                    if raw[position] == 0x0A { lines += 1 }
                    position += 1
                }
                counts.append(lines)
            }
            return counts
        }
    }
}
