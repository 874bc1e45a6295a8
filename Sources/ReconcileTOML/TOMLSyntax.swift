/// The lexical pieces the layout scanner needs: keys and single-line strings.
enum TOMLSyntax {
    static func isBareKeyCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "A"..."Z", "a"..."z", "0"..."9", "_", "-": return true
        default: return false
        }
    }

    static func isBlank(_ scalar: Unicode.Scalar) -> Bool { scalar == " " || scalar == "\t" }

    static func skipBlanks(_ scalars: [Unicode.Scalar], _ cursor: inout Int) {
        while cursor < scalars.count, isBlank(scalars[cursor]) { cursor += 1 }
    }

    /// A dotted key (`a."b c".d`) starting at `cursor`; leaves `cursor` after it and its blanks.
    static func readKey(_ scalars: [Unicode.Scalar], at cursor: inout Int, line: Int) throws -> [String] {
        var parts: [String] = []
        while true {
            skipBlanks(scalars, &cursor)
            guard cursor < scalars.count else { throw TOMLError(line: line, column: cursor + 1, "expected a key") }
            let scalar = scalars[cursor]
            if scalar == "\"" || scalar == "'" {
                parts.append(try readString(scalars, at: &cursor, line: line))
            } else {
                let start = cursor
                while cursor < scalars.count, isBareKeyCharacter(scalars[cursor]) { cursor += 1 }
                guard cursor > start else {
                    throw TOMLError(line: line, column: cursor + 1, "expected a key, found \"\(Character(scalar))\"")
                }
                var part = String.UnicodeScalarView()
                part.append(contentsOf: scalars[start..<cursor])
                parts.append(String(part))
            }
            skipBlanks(scalars, &cursor)
            guard cursor < scalars.count, scalars[cursor] == "." else { return parts }
            cursor += 1
        }
    }

    /// A single-line basic ("…", with escapes) or literal ('…') string.
    static func readString(_ scalars: [Unicode.Scalar], at cursor: inout Int, line: Int) throws -> String {
        let quote = scalars[cursor]
        let opening = cursor
        cursor += 1
        var value = String.UnicodeScalarView()
        while cursor < scalars.count {
            let scalar = scalars[cursor]
            if scalar == quote {
                cursor += 1
                return String(value)
            }
            if quote == "\"" && scalar == "\\" {
                cursor += 1
                value.append(try readEscape(scalars, at: &cursor, line: line))
                continue
            }
            value.append(scalar)
            cursor += 1
        }
        throw TOMLError(line: line, column: opening + 1, "unterminated string")
    }

    private static func readEscape(_ scalars: [Unicode.Scalar], at cursor: inout Int, line: Int) throws -> Unicode.Scalar {
        guard cursor < scalars.count else { throw TOMLError(line: line, column: cursor, "unterminated escape") }
        let code = scalars[cursor]
        cursor += 1
        switch code {
        case "b": return "\u{08}"
        case "t": return "\t"
        case "n": return "\n"
        case "f": return "\u{0C}"
        case "r": return "\r"
        case "e": return "\u{1B}"
        case "\"": return "\""
        case "\\": return "\\"
        case "u", "U":
            let digits = code == "u" ? 4 : 8
            guard cursor + digits <= scalars.count else { throw TOMLError(line: line, column: cursor, "short \\\(code) escape") }
            var hex = String.UnicodeScalarView()
            hex.append(contentsOf: scalars[cursor..<(cursor + digits)])
            cursor += digits
            guard let number = UInt32(String(hex), radix: 16), let scalar = Unicode.Scalar(number) else {
                throw TOMLError(line: line, column: cursor - digits, "invalid \\\(code) escape")
            }
            return scalar
        default:
            throw TOMLError(line: line, column: cursor - 1, "invalid escape \"\\\(Character(code))\"")
        }
    }
}
