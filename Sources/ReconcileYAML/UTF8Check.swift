/// Byte-level checks done before libyaml sees the input.
///
/// libyaml would otherwise guess an encoding from a BOM and report bad bytes
/// without a line or column; users need to know where the bad byte is.
enum UTF8Check {
    struct Position: Equatable {
        var line = 1
        var column = 1
    }

    static let utf8BOM: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// The first problem with `bytes` as a UTF-8 manifest, or nil if fine.
    static func check(_ bytes: [UInt8], path: String) -> YAMLError? {
        if bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE]) {
            return YAMLError(
                mark: Mark(file: path, line: 1, column: 1),
                message: "file starts with a UTF-16 byte order mark: manifests must be UTF-8")
        }
        // Lines and columns are counted only when there is a problem to place.
        guard let offset = firstInvalidOffset(bytes) else { return nil }
        let position = walk(bytes, upTo: offset) { _, _ in }
        return YAMLError(
            mark: Mark(file: path, line: position.line, column: position.column),
            message: "invalid UTF-8 byte 0x\(hex(bytes[offset])): manifests must be UTF-8")
    }

    /// The end of the ASCII run at `from`, eight bytes at a time (a 200 MB manifest is mostly that).
    private static func asciiRun(_ bytes: [UInt8], from: Int) -> Int {
        bytes.withUnsafeBytes { raw in
            var at = from
            while at + 8 <= raw.count, raw.loadUnaligned(fromByteOffset: at, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 { at += 8 }
            return at
        }
    }

    /// Where the first ill-formed sequence starts; ASCII, most of any manifest, costs one comparison a byte.
    static func firstInvalidOffset(_ bytes: [UInt8]) -> Int? {
        var i = 0
        while i < bytes.count {
            i = asciiRun(bytes, from: i)
            guard i < bytes.count else { break }
            if bytes[i] < 0x80 {
                i += 1
                continue
            }
            guard let width = sequenceWidth(bytes, at: i) else { return i }
            i += width
        }
        return nil
    }

    /// Line and column (libyaml's convention) of a byte offset in valid
    /// UTF-8; used for libyaml reader errors, which only carry an offset.
    static func position(ofByteOffset offset: Int, in bytes: [UInt8]) -> Position {
        walk(bytes, upTo: min(max(offset, 0), bytes.count)) { _, _ in }
    }

    /// Walks scalars up to `limit`, counting lines and columns the way
    /// libyaml does (breaks: LF, CR, CRLF, NEL, LS, PS; a leading BOM is not
    /// a column). Stops at the first ill-formed sequence and reports it.
    private static func walk(
        _ bytes: [UInt8], upTo limit: Int, onInvalid: (Int, Position) -> Void
    ) -> Position {
        var position = Position()
        var i = bytes.starts(with: utf8BOM) ? 3 : 0
        while i < limit {
            guard let width = sequenceWidth(bytes, at: i) else {
                onInvalid(i, position)
                return position
            }
            let lead = bytes[i]
            if lead == 0x0D, i + 1 < bytes.count, bytes[i + 1] == 0x0A, i + 1 < limit {
                position = Position(line: position.line + 1, column: 1)
                i += 2
                continue
            }
            let isBreak = lead == 0x0A || lead == 0x0D
                || (lead == 0xC2 && bytes[i + 1] == 0x85)
                || (lead == 0xE2 && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9))
            if isBreak {
                position = Position(line: position.line + 1, column: 1)
            } else {
                position.column += 1
            }
            i += width
        }
        return position
    }

    /// Width of the well-formed UTF-8 sequence at `i` (Unicode Table 3-7:
    /// no overlongs, no surrogates, nothing above U+10FFFF), nil if ill-formed.
    private static func sequenceWidth(_ bytes: [UInt8], at i: Int) -> Int? {
        let b0 = bytes[i]
        func cont(_ k: Int, _ range: ClosedRange<UInt8> = 0x80...0xBF) -> Bool {
            i + k < bytes.count && range.contains(bytes[i + k])
        }
        switch b0 {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: return cont(1) ? 2 : nil
        case 0xE0: return cont(1, 0xA0...0xBF) && cont(2) ? 3 : nil
        case 0xE1...0xEC, 0xEE...0xEF: return cont(1) && cont(2) ? 3 : nil
        case 0xED: return cont(1, 0x80...0x9F) && cont(2) ? 3 : nil
        case 0xF0: return cont(1, 0x90...0xBF) && cont(2) && cont(3) ? 4 : nil
        case 0xF1...0xF3: return cont(1) && cont(2) && cont(3) ? 4 : nil
        case 0xF4: return cont(1, 0x80...0x8F) && cont(2) && cont(3) ? 4 : nil
        default: return nil
        }
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }
}
