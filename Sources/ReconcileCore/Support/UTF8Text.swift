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
    /// Whether `${` occurs, by bytes: every scalar of every manifest is asked, and Foundation's
    /// `contains` on a 4 KiB content took a sixth of loading 50,000 files.
    var containsTemplateOpening: Bool {
        withUTF8Bytes { bytes in
            guard let start = bytes.baseAddress else { return false }
            var offset = 0
            // memchr for each "$": a byte loop was still a twentieth of loading.
            while offset < bytes.count, let found = memchr(start + offset, Int32(UInt8(ascii: "$")), bytes.count - offset) {
                let index = start.distance(to: found.assumingMemoryBound(to: UInt8.self))
                if index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "{") { return true }
                offset = index + 1
            }
            return false
        }
    }

    /// `body` over the UTF-8 bytes in one buffer (a native string's own; others copied once),
    /// for scans that the String views make slow by checking every index.
    func withUTF8Bytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        if let result = utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = self
        return copy.withUTF8(body)
    }

    /// Exactly `split(separator: "\n", omittingEmptySubsequences: false)`, found by bytes instead of
    /// by Characters (which cost a sixth of a plan full of diffs). As a Character, "\r\n" is one
    /// grapheme that is not "\n", so a line feed right after a carriage return does not split here either.
    public func splitAtLineFeeds() -> [Substring] {
        // Offsets found in the bytes, then indices made from them (constant time in native UTF-8).
        let ends = withUTF8Bytes { bytes in
            var ends: [Int] = []
            var previous: UInt8 = 0
            for (offset, byte) in bytes.enumerated() {
                if byte == UInt8(ascii: "\n") && previous != UInt8(ascii: "\r") { ends.append(offset) }
                previous = byte
            }
            return ends
        }
        var parts: [Substring] = []
        parts.reserveCapacity(ends.count + 1)
        var start = utf8.startIndex
        for end in ends {
            let lineFeed = utf8.index(utf8.startIndex, offsetBy: end)
            parts.append(self[start..<lineFeed])
            start = utf8.index(after: lineFeed)
        }
        parts.append(self[start..<endIndex])
        return parts
    }
}
