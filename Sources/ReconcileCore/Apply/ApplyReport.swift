/// What an apply did, what failed and what it never reached: the operator's next move depends on all three.
public struct ApplyReport: Codable, Sendable, Equatable {
    public struct Failure: Codable, Sendable, Equatable {
        public var address: ResourceAddress?
        public var step: String
        public var message: String
    }

    public var applyID: String
    /// Resources whose every step ran.
    public var completed: [ResourceAddress] = []
    public var failure: Failure?
    /// Resources with changes that were not started because of the failure.
    public var notAttempted: [ResourceAddress] = []
    /// `systemctl` calls made while draining queued triggers.
    public var triggersRun: [String] = []
    public var triggerFailures: [Failure] = []
    /// Why the inventory could not record this apply: the host changed as reported, but the next
    /// plan cannot tell drift or removals from it.
    public var inventoryNotRecorded: String?
    /// Backup folders (apply ids) removed by the backup policy at the end.
    public var backupsPruned: [String] = []
    /// Backup folders the policy wanted gone but that could not be removed, with the reason.
    public var backupsNotPruned: [String] = []

    public init(applyID: String) {
        self.applyID = applyID
    }

    public var succeeded: Bool { failure == nil && triggerFailures.isEmpty && inventoryNotRecorded == nil }
}
