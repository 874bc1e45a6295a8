import Foundation

/// `STATE/inventory.json`: every resource reconcile manages on the host, as last applied. What is
/// here but in no manifest is removed by the next plan; a resource whose host state moved while
/// its declaration did not is named drift.
public struct Inventory: Codable, Sendable, Equatable {
    public static let currentFormatVersion = 1

    public struct Entry: Codable, Sendable, Equatable {
        public var kind: String
        /// What it is on the host: `file /etc/tor/torrc`, `unit capture-web-relay.service`.
        public var identity: String
        /// The declaration last applied, as plans carry it (secrets by reference, never by value).
        public var desired: DesiredState
        /// `sha256:` of `desired` in canonical JSON: whether the manifest changed since.
        public var desiredHash: String
        /// Of the other inventory entries, those it depended on: removals run the other way round.
        public var dependsOn: [ResourceAddress]
        public var appliedAt: String
        public var applyID: String
        /// False when that apply failed while changing it: its next change is not drift.
        public var complete: Bool
        /// The resource was already on the host when reconcile first applied it (not created by it).
        public var adopted: Bool

        public var lastApply: LastApply { LastApply(apply: applyID, at: appliedAt) }
    }

    public var formatVersion: Int
    /// By address (`File/motd`).
    public var resources: [String: Entry]

    public init(resources: [String: Entry] = [:]) {
        self.formatVersion = Self.currentFormatVersion
        self.resources = resources
    }

    public static let empty = Inventory()

    public var isEmpty: Bool { resources.isEmpty }

    public func entry(_ address: ResourceAddress) -> Entry? { resources[address.description] }

    public static func path(_ state: StateDirectory) -> String { "\(state.path)/inventory.json" }

    /// No file yet: nothing managed. A damaged file is an error, never an empty inventory, which
    /// would silently stop removals.
    public static func load(_ state: StateDirectory) throws -> Inventory {
        let path = path(state)
        guard try state.files.status(path) != nil else { return .empty }
        return try decode(try state.files.read(path), path: path)
    }

    public static func decode(_ data: Data, path: String) throws -> Inventory {
        let inventory: Inventory
        if let tree = FastJSON.parse(data), let fast = FastJSON.decode(Inventory.self, from: tree) {
            inventory = fast
        } else {
            do {
                inventory = try JSONDecoder().decode(Inventory.self, from: data)
            } catch {
                throw corrupt(path, "\(error)")
            }
        }
        guard inventory.formatVersion == currentFormatVersion else {
            throw corrupt(path, "inventory format version \(inventory.formatVersion) is not supported (this build reads \(currentFormatVersion))")
        }
        for (address, entry) in inventory.resources {
            guard let parsed = ResourceAddress(parsing: address), parsed.kind == entry.kind else {
                throw corrupt(path, "\"\(address)\" is not a Kind/name address of its entry's kind \(entry.kind)")
            }
        }
        return inventory
    }

    static func corrupt(_ path: String, _ reason: String) -> ReconcileError {
        .notAllowed(
            "the inventory \(path) is damaged (\(reason)); nothing was planned. To rebuild it: move it aside, "
                + "apply the manifests again (the apply records every declared resource anew; resources no longer "
                + "declared are then no longer removed: `reconcile facts` shows what the host has), and "
                + "`reconcile forget ADDRESS` drops entries you do not want managed")
    }

    public func save(_ state: StateDirectory) throws {
        try state.create()
        try state.files.writeAtomically(Self.path(state), content: CanonicalJSON.encode(self), mode: 0o600, uid: nil, gid: nil)
    }

    /// `sha256:` of a declaration in canonical JSON, through its JSON value whether it was read
    /// from a manifest or back from the inventory, so both hash alike.
    public static func hash(_ desired: DesiredState) throws -> String {
        "sha256:" + Fingerprint.sha256(try CanonicalJSON.encodeCompact(desired.json()))
    }
}

/// Which apply last applied a resource, and when.
public struct LastApply: Codable, Sendable, Equatable {
    public var apply: String
    public var at: String

    public init(apply: String, at: String) {
        self.apply = apply
        self.at = at
    }
}

/// A resource no longer declared whose kind never removes it (a Filesystem keeps its data): the
/// apply drops it from the inventory and leaves the host as it is.
public struct ReleasedResource: Codable, Sendable, Equatable {
    public var address: ResourceAddress
    /// Why its kind does not remove it, in the kind's words.
    public var reason: String

    public init(address: ResourceAddress, reason: String) {
        self.address = address
        self.reason = reason
    }
}
