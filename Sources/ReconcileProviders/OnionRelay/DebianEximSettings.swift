import ReconcileCore

/// Debian's `/etc/exim4/update-exim4.conf.conf`: `dc_key='value'` lines that debconf writes and
/// `update-exim4.conf` reads. Edited in place: listed keys get their value, missing ones are
/// appended, every other line (comments, other keys) stays as it was.
enum DebianEximSettings {
    static let path = "/etc/exim4/update-exim4.conf.conf"

    /// `dc_` and lower-case words: debconf's names, and nothing a shell would read otherwise.
    static func keyProblem(_ key: String) -> String? {
        let valid = key.hasPrefix("dc_") && key.utf8.count > 3 && key.utf8.allSatisfy {
            ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "_")
        }
        return valid ? nil : "Debian's Exim settings are named dc_… in lower case (see update-exim4.conf(8))"
    }

    /// The file is sourced by a shell: values are single-quoted, so no quote, no line break.
    static func valueProblem(_ value: String) -> String? {
        value.unicodeScalars.contains(where: { $0 == "'" || HostPath.isControl($0) })
            ? "a value may not hold a single quote or control characters (the file is read by a shell)" : nil
    }

    static func parse(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let (key, value) = assignment(line) else { continue }
            values[key] = value
        }
        return values
    }

    private static func assignment(_ line: Substring) -> (String, String)? {
        guard line.hasPrefix("dc_"), let equals = line.firstIndex(of: "=") else { return nil }
        var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        if value.count >= 2, let first = value.first, (first == "'" || first == "\""), value.last == first {
            value = String(value.dropFirst().dropLast())
        }
        return (String(line[..<equals]), value)
    }

    /// The text with `wanted` applied, or nil when it already says so.
    static func edited(_ text: String, wanted: [String: String]) -> String? {
        var pending = wanted
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for index in lines.indices {
            guard let (key, value) = assignment(Substring(lines[index])), let want = pending[key] else { continue }
            pending[key] = nil
            if value != want { lines[index] = "\(key)='\(want)'" }
        }
        if lines.last == "" { lines.removeLast() }
        for key in pending.keys.sorted() { lines.append("\(key)='\(pending[key] ?? "")'") }
        let result = lines.joined(separator: "\n") + "\n"
        return result == text ? nil : result
    }
}
