import ReconcileCore

/// A unit as systemd and the file system see it.
public struct UnitObservation: Codable, Sendable, Equatable {
    public var file: FileObservation
    /// `enabled`, `disabled`, `static`, … (read from the unit files and links, or `is-enabled`).
    public var unitFileState: String?
    /// nil under a staging root, where no systemd runs.
    public var activeState: String?
    public var subState: String?
    /// `loaded`, `not-found`, … (live); under a staging root `not-found` when no unit file exists
    /// for it in the root's unit folders. nil in facts from before it was recorded.
    public var loadState: String?
    /// Set when systemd's state cannot tell: for `enabled-runtime` (a runtime link hides a
    /// persistent one), whether `/etc/systemd/system/*.wants|requires/` links the unit too; for
    /// `generated` (a SysV script), whether `/etc/rc[2-5].d/S*` starts it.
    public var persistentLinks: Bool?
    /// For a unit `systemctl enable` may not be able to enable (`static`, or `enabled-runtime`
    /// without persistent links): whether its unit file has an `[Install]` section.
    public var installable: Bool?

    public init(
        file: FileObservation, unitFileState: String?, activeState: String?, subState: String?, loadState: String? = nil,
        persistentLinks: Bool? = nil, installable: Bool? = nil
    ) {
        self.file = file
        self.unitFileState = unitFileState
        self.activeState = activeState
        self.subState = subState
        self.loadState = loadState
        self.persistentLinks = persistentLinks
        self.installable = installable
    }

    /// Only a persistent enablement counts: `enabled-runtime` alone (a generator's, or `enable
    /// --runtime`) is gone after a reboot, so `enabled: true` still runs `systemctl enable`.
    public var isEnabled: Bool { unitFileState == "enabled" || persistentLinks == true }
    public var isActive: Bool { ["active", "activating", "reloading"].contains(activeState ?? "") }
}
