import ReconcileCore

/// A unit as systemd and the file system see it.
public struct UnitObservation: Codable, Sendable, Equatable {
    public var file: FileObservation
    /// `enabled`, `disabled`, `static`, … (`systemctl show -p UnitFileState` or `is-enabled`).
    public var unitFileState: String?
    /// nil under a staging root, where no systemd runs.
    public var activeState: String?
    public var subState: String?

    /// Only a persistent enablement counts: `enabled-runtime` (a generator's, or `enable --runtime`)
    /// is gone after a reboot, so `enabled: true` still runs `systemctl enable`.
    public var isEnabled: Bool { unitFileState == "enabled" }
    public var isActive: Bool { ["active", "activating", "reloading"].contains(activeState ?? "") }
}
