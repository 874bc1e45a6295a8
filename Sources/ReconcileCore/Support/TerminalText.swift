/// Values from manifests, the host or a saved plan shown to a person: control characters are
/// written as escapes, so a path or diff line cannot print a forged line, move the cursor or
/// recolour the terminal. JSON output is never escaped this way; it stays exact.
public enum TerminalText {
    /// `text` on one line: every control character (C0, DEL, C1) as `\n`, `\t`, `\r`, `\e` or `\u{…}`.
    public static func escaped(_ text: String) -> String {
        escaped(text, keepingLineFeeds: false)
    }

    /// For messages of several lines built by reconcile itself: line feeds stay, every other
    /// control character is escaped.
    public static func escapedKeepingLineFeeds(_ text: String) -> String {
        escaped(text, keepingLineFeeds: true)
    }

    /// `"text"`, escaped, with inner quotes and backslashes escaped too, for values inside messages.
    public static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            default: append(scalar, to: &result, keepingLineFeeds: false)
            }
        }
        return result + "\""
    }

    private static func escaped(_ text: String, keepingLineFeeds: Bool) -> String {
        // Printable ASCII, most of what is shown (every line of a diff), needs no scalar walk.
        guard !text.withUTF8Bytes({ $0.allSatisfy { $0 >= 0x20 && $0 < 0x7F } }) else { return text }
        guard text.unicodeScalars.contains(where: HostPath.isControl) else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            append(scalar, to: &result, keepingLineFeeds: keepingLineFeeds)
        }
        return result
    }

    private static func append(_ scalar: Unicode.Scalar, to result: inout String, keepingLineFeeds: Bool) {
        guard HostPath.isControl(scalar) else {
            result.unicodeScalars.append(scalar)
            return
        }
        switch scalar {
        case "\n": result += keepingLineFeeds ? "\n" : "\\n"
        case "\t": result += "\\t"
        case "\r": result += "\\r"
        case "\u{1B}": result += "\\e"
        default: result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
        }
    }
}
