/// Where a TOML document's tables and keys are, line by line, so edits can replace a few lines and
/// keep every other byte (comments, order, formatting, other people's entries) as it was.
/// It checks only what finding them needs: strings, brackets, headers and `key = value`.
public struct TOMLLayout: Sendable {
    public struct Header: Sendable, Equatable {
        public let line: Int
        public let path: [String]
        public let isArray: Bool
    }

    public struct KeyValue: Sendable, Equatable {
        public let firstLine: Int
        public let lastLine: Int
        public let key: [String]
        /// The value as written, without a trailing comment; lines joined for multi-line values.
        public let valueText: String
        /// Index into `headers`; nil for keys before the first header.
        public let section: Int?

        public var scalar: TOMLScalar? { firstLine == lastLine ? TOMLScalar.parse(valueText) : nil }
    }

    /// The text split at "\n"; joining with "\n" gives it back byte for byte.
    public let lines: [String]
    public let headers: [Header]
    public let keyValues: [KeyValue]

    public var text: String { lines.joined(separator: "\n") }

    private enum Mode { case normal, multilineBasic, multilineLiteral }

    public init(_ text: String) throws {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var headers: [Header] = []
        var keyValues: [KeyValue] = []
        var open: (firstLine: Int, key: [String], text: [String])?
        var mode = Mode.normal
        var depth = 0
        for (index, line) in lines.enumerated() {
            var scalars = Array(line.unicodeScalars)
            if scalars.last == "\r" { scalars.removeLast() }
            let number = index + 1
            var start = 0
            if open == nil {
                TOMLSyntax.skipBlanks(scalars, &start)
                guard start < scalars.count, scalars[start] != "#" else { continue }
                if scalars[start] == "[" {
                    headers.append(try Self.header(scalars, at: start, line: number))
                    continue
                }
                let key = try TOMLSyntax.readKey(scalars, at: &start, line: number)
                guard start < scalars.count, scalars[start] == "=" else {
                    throw TOMLError(line: number, column: start + 1, "expected \"=\" after the key \(key.joined(separator: "."))")
                }
                start += 1
                TOMLSyntax.skipBlanks(scalars, &start)
                guard start < scalars.count, scalars[start] != "#" else {
                    throw TOMLError(line: number, column: start + 1, "the key \(key.joined(separator: ".")) has no value")
                }
                open = (index, key, [])
            }
            let end = try Self.scanValue(scalars, from: start, mode: &mode, depth: &depth, line: number)
            var piece = String.UnicodeScalarView()
            piece.append(contentsOf: scalars[start..<end])
            open?.text.append(String(piece))
            if mode == .normal && depth == 0, let value = open {
                keyValues.append(KeyValue(
                    firstLine: value.firstLine, lastLine: index, key: value.key,
                    valueText: value.text.joined(separator: "\n"), section: headers.isEmpty ? nil : headers.count - 1))
                open = nil
            }
        }
        if let value = open {
            throw TOMLError(
                line: value.firstLine + 1, column: 1,
                "the value of \(value.key.joined(separator: ".")) does not end (unclosed string or bracket)")
        }
        self.lines = lines
        self.headers = headers
        self.keyValues = keyValues
    }

    private static func header(_ scalars: [Unicode.Scalar], at start: Int, line: Int) throws -> Header {
        var cursor = start + 1
        let isArray = cursor < scalars.count && scalars[cursor] == "["
        if isArray { cursor += 1 }
        let path = try TOMLSyntax.readKey(scalars, at: &cursor, line: line)
        let closing: [Unicode.Scalar] = isArray ? ["]", "]"] : ["]"]
        guard cursor + closing.count <= scalars.count, Array(scalars[cursor..<(cursor + closing.count)]) == closing else {
            throw TOMLError(line: line, column: cursor + 1, "expected \"\(isArray ? "]]" : "]")\" to close the table header")
        }
        cursor += closing.count
        TOMLSyntax.skipBlanks(scalars, &cursor)
        guard cursor == scalars.count || scalars[cursor] == "#" else {
            throw TOMLError(line: line, column: cursor + 1, "unexpected text after the table header")
        }
        return Header(line: line - 1, path: path, isArray: isArray)
    }

    /// Scans a value's text on one line; returns where its text ends (before a comment and blanks).
    private static func scanValue(
        _ scalars: [Unicode.Scalar], from start: Int, mode: inout Mode, depth: inout Int, line: Int
    ) throws -> Int {
        var cursor = start
        var end = start
        func triple(_ quote: Unicode.Scalar) -> Bool {
            cursor + 2 < scalars.count && scalars[cursor] == quote && scalars[cursor + 1] == quote && scalars[cursor + 2] == quote
        }
        while cursor < scalars.count {
            let scalar = scalars[cursor]
            switch mode {
            case .multilineBasic, .multilineLiteral:
                let quote: Unicode.Scalar = mode == .multilineBasic ? "\"" : "'"
                if mode == .multilineBasic && scalar == "\\" {
                    cursor += 2
                } else if triple(quote) {
                    cursor += 3
                    // Up to two quotes may end the content right before the closing three.
                    var extra = 0
                    while extra < 2, cursor < scalars.count, scalars[cursor] == quote { cursor += 1; extra += 1 }
                    mode = .normal
                } else {
                    cursor += 1
                }
                end = min(cursor, scalars.count)
            case .normal:
                if scalar == "#" { return end }
                if scalar == "\"" || scalar == "'" {
                    if triple(scalar) {
                        mode = scalar == "\"" ? .multilineBasic : .multilineLiteral
                        cursor += 3
                    } else {
                        _ = try TOMLSyntax.readString(scalars, at: &cursor, line: line)
                    }
                    end = cursor
                    continue
                }
                if scalar == "[" || scalar == "{" { depth += 1 }
                if scalar == "]" || scalar == "}" {
                    depth -= 1
                    guard depth >= 0 else { throw TOMLError(line: line, column: cursor + 1, "unbalanced \"\(Character(scalar))\"") }
                }
                cursor += 1
                if !TOMLSyntax.isBlank(scalar) { end = cursor }
            }
        }
        return min(end, scalars.count)
    }
}
