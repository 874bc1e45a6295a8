import ReconcileCore

/// One package as dpkg and apt know it.
public struct PackageObservation: Codable, Sendable, Equatable {
    /// dpkg's `db:Status-Abbrev` without the padding ("ii", "rc", "hi"), nil when dpkg never heard of it.
    public var status: String?
    /// The version dpkg has (installed or half-installed), nil when none.
    public var version: String?
    /// `apt-cache policy`'s candidate: what `apt-get install name` would install.
    public var candidate: String?
    /// Versions the apt sources offer (not only the dpkg database).
    public var available: [String]
    /// Other packages `apt-get remove` of the absent ones would take with it (dependents).
    public var alsoRemoves: [String]?
    /// Set when the host has no dpkg database to ask (a staged root that is not a Debian system).
    public var noDatabase: Bool?
    /// Why a staged root is not trusted to run apt-get in (`chroot` runs its programs as root).
    public var untrustedRoot: String?

    /// `ii`, `hi`: unpacked and configured.
    public var isInstalled: Bool { status.map { $0.count >= 2 && $0.dropFirst().first == "i" } ?? false }
    /// Selection `hold`: apt leaves it alone until `apt-mark unhold`.
    public var isHeld: Bool { status?.first == "h" }

    static let unknown = PackageObservation(
        status: nil, version: nil, candidate: nil, available: [], alsoRemoves: nil, noDatabase: nil, untrustedRoot: nil)
}
