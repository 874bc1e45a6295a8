import ReconcileCore

/// Collects what is wrong with a spec read back from a saved plan, as `key: problem` lines,
/// with the same rules the manifest decoders apply.
struct SpecProblems {
    private(set) var items: [String] = []

    mutating func path(_ key: String, _ value: String?) {
        guard let value, let problem = HostPath.problem(value) else { return }
        items.append("\(key): \(problem), found \(TerminalText.quoted(value))")
    }

    mutating func paths(_ values: [String: String]) {
        for (key, value) in values.sorted(by: { $0.key < $1.key }) { path(key, value) }
    }

    mutating func check(_ condition: Bool, _ key: String, _ message: @autoclosure () -> String) {
        if !condition { items.append("\(key): \(message())") }
    }

    mutating func mode(_ key: String, _ value: UInt32?) {
        if let value { check(value <= 0o7777, key, "\(value) is not a file mode") }
    }

    mutating func port(_ key: String, _ value: Int?) {
        if let value { check((1...65535).contains(value), key, "\(value) is not a port (1-65535)") }
    }

    /// Owner and group names reach `chown` and unit files: no control characters, no separators.
    mutating func account(_ key: String, _ value: String?) {
        guard let value else { return }
        check(
            !value.isEmpty && !value.unicodeScalars.contains(where: { HostPath.isControl($0) || $0 == ":" || $0 == "/" || $0 == " " }),
            key, "\(TerminalText.quoted(value)) is not a user or group name")
    }
}
