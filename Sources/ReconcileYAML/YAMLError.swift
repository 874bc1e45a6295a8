/// A problem found while reading YAML, tied to the place it was found.
public struct YAMLError: Error, Sendable, CustomStringConvertible {
    public let mark: Mark
    /// One line, lowercase start, no trailing period.
    public let message: String
    /// Characters to underline in a snippet; always at least 1.
    public let length: Int

    /// Public so later stages (schema checks) can report in the same shape.
    public init(mark: Mark, message: String, length: Int = 1) {
        self.mark = mark
        self.message = message
        self.length = max(1, length)
    }

    /// `file:line:col: error: message`, the compiler-style form tools parse.
    public var description: String { "\(mark): error: \(message)" }
}

extension String {
    /// Quotes text for an error message so keys with spaces, quotes or
    /// control characters stay readable and on one line.
    var quotedForMessage: String {
        var out = "\""
        for scalar in unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || scalar.properties.generalCategory == .lineSeparator
                    || scalar.properties.generalCategory == .paragraphSeparator || scalar.value == 0x85 {
                    out += "\\u{" + String(scalar.value, radix: 16) + "}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
