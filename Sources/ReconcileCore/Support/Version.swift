public enum ReconcileVersion {
    /// The one place the version is set. `reconcile --version` prints it, plans and facts record
    /// it, and scripts/package names the Debian package after it (read from the built binary).
    /// CHANGELOG.md has a dated section for it (checked by VersionTests).
    public static let current = "0.1.0"

    /// The MAJOR of a `MAJOR.MINOR.PATCH[-pre][+build]` version; nil for anything else.
    public static func major(of version: String) -> Int? {
        let core = version.prefix { $0 != "-" && $0 != "+" }
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
              parts.allSatisfy({ !$0.isEmpty && $0.count <= 9 && $0.allSatisfy { $0.isASCII && $0.isNumber } })
        else { return nil }
        return Int(parts[0])
    }

    /// Why this build does not read a document (`"plan"`, `"facts"`) that reconcile `version`
    /// wrote; nil when it does. A newer MAJOR version may change what a document means, so it is
    /// refused; older ones, the same major, and versions that are not `MAJOR.MINOR.PATCH` (a
    /// development build's, a test's) are read, their `formatVersion` decides.
    public static func refusal(of document: String, writtenBy version: String?, current: String = current) -> String? {
        guard let version, let theirs = major(of: version), let ours = major(of: current), theirs > ours else { return nil }
        return "it was written by reconcile \(TerminalText.escaped(version)), a newer major version than this reconcile "
            + "(\(current)); make the \(document) again with reconcile \(ours).x, or install reconcile \(theirs).x here"
    }
}
