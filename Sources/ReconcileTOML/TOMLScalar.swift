/// The single-line values an edit reads and writes: strings, integers and booleans.
/// Anything else (arrays, tables, dates, floats, multi-line strings) is left as text.
public enum TOMLScalar: Sendable, Equatable, Hashable, CustomStringConvertible {
    case string(String)
    case integer(Int)
    case boolean(Bool)

    /// As a TOML value: strings always as basic strings, escaped.
    public var rendered: String {
        switch self {
        case .string(let text): return Self.quote(text)
        case .integer(let number): return String(number)
        case .boolean(let flag): return flag ? "true" : "false"
        }
    }

    public var description: String { rendered }

    public static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// The value of `text` (a value as written after `=`, comment and blanks removed), or nil
    /// when it is not a single-line string, an integer or a boolean.
    public static func parse(_ text: String) -> TOMLScalar? {
        let scalars = Array(text.unicodeScalars)
        guard let first = scalars.first else { return nil }
        if first == "\"" || first == "'" {
            guard var cursor = Optional(0), let value = try? TOMLSyntax.readString(scalars, at: &cursor, line: 0),
                  cursor == scalars.count else { return nil }
            return .string(value)
        }
        if text == "true" { return .boolean(true) }
        if text == "false" { return .boolean(false) }
        return parseInteger(text).map(TOMLScalar.integer)
    }

    private static func parseInteger(_ text: String) -> Int? {
        var body = Substring(text)
        var negative = false
        var radix = 10
        if body.hasPrefix("0x") || body.hasPrefix("0o") || body.hasPrefix("0b") {
            radix = body.hasPrefix("0x") ? 16 : body.hasPrefix("0o") ? 8 : 2
            body = body.dropFirst(2)
        } else if let sign = body.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            body = body.dropFirst()
        }
        // Underscores only between digits; no leading zeros in decimals.
        guard !body.isEmpty, body.first != "_", body.last != "_", !body.contains("__") else { return nil }
        if radix == 10 && body.count > 1 && body.first == "0" { return nil }
        guard let magnitude = Int(String(body.filter { $0 != "_" }), radix: radix) else { return nil }
        return negative ? -magnitude : magnitude
    }
}
