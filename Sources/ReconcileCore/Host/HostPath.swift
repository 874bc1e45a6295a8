/// The one form a host path may take. Checked as bytes and scalars, never as Characters (a
/// combining mark after "/" would hide a ".." from a Character comparison), so that two
/// spellings of one path cannot pass as two paths, and nothing the kernel would read differently
/// (a NUL that cuts the string, a control character that rewrites a terminal line) gets through.
public enum HostPath {
    /// Why `path` is not an absolute canonical host path; nil when it is.
    public static func problem(_ path: String) -> String? {
        guard path.utf8.first == UInt8(ascii: "/") else { return "must be an absolute path (starting with \"/\")" }
        if let control = path.unicodeScalars.first(where: isControl) {
            return "must not contain control characters (found U+\(String(control.value, radix: 16, uppercase: true).leftPadded(to: 4)))"
        }
        let components = path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst()
        if components.contains(where: { $0.elementsEqual("..".utf8) }) {
            return "must not contain \"..\" components"
        }
        let canonical = canonicalForm(path)
        if canonical != path {
            return "must be written in one form: \"\(canonical)\" (no \"//\", \".\" components or trailing \"/\")"
        }
        return nil
    }

    /// `path` without empty and "." components; ".." is kept (and refused by `problem`).
    public static func canonicalForm(_ path: String) -> String {
        let kept = path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
            .filter { !$0.elementsEqual(".".utf8) }
        return "/" + kept.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "/")
    }

    /// C0 and C1 controls and DEL: what a terminal acts on instead of showing.
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
