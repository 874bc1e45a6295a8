import Foundation

extension String {
    /// Valid UTF-8 as a native String that owns its bytes; nil otherwise.
    /// Used instead of `String(data:encoding:)`, whose result for Data from
    /// `FileManager.contents(atPath:)` was seen here to read as empty once stored and copied.
    public init?(validatingUTF8Data data: Data) {
        // Validated and copied in one pass over contiguous bytes, not scalar by scalar through Data's iterator.
        guard let text = data.withUnsafeBytes({ String(validating: $0.bindMemory(to: UInt8.self), as: UTF8.self) }) else {
            return nil
        }
        self = text
    }
}

extension String {
    /// Exactly `split(separator: "\n", omittingEmptySubsequences: false)`, found by bytes instead of
    /// by Characters (which cost a sixth of a plan full of diffs). As a Character, "\r\n" is one
    /// grapheme that is not "\n", so a line feed right after a carriage return does not split here either.
    public func splitAtLineFeeds() -> [Substring] {
        var parts: [Substring] = []
        var start = utf8.startIndex
        var previous: UInt8 = 0
        var index = start
        while index != utf8.endIndex {
            let byte = utf8[index]
            if byte == UInt8(ascii: "\n") && previous != UInt8(ascii: "\r") {
                parts.append(self[start..<index])
                start = utf8.index(after: index)
            }
            previous = byte
            index = utf8.index(after: index)
        }
        parts.append(self[start..<endIndex])
        return parts
    }
}
