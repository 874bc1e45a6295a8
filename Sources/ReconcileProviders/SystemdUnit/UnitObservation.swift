import ReconcileCore

/// A unit as systemd and the file system see it.
public struct UnitObservation: Codable, Sendable, Equatable {
    public var file: FileObservation
    /// `enabled`, `disabled`, `static`, … (`systemctl show -p UnitFileState` or `is-enabled`).
    public var unitFileState: String?
    /// nil under a staging root, where no systemd runs.
    public var activeState: String?
    public var subState: String?

    public var isEnabled: Bool { ["enabled", "enabled-runtime"].contains(unitFileState ?? "") }
    public var isActive: Bool { ["active", "activating", "reloading"].contains(activeState ?? "") }
}
