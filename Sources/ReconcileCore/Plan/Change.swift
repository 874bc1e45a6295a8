import Foundation
import ReconcileJSON

/// What happens to one resource, as Terraform's plans say it.
public enum Action: String, Codable, Sendable, CaseIterable {
    case create = "create"
    case update = "update"
    case replace = "replace"
    case delete = "delete"
    case noop = "no-op"

    public var symbol: String {
        switch self {
        case .create: return "+"
        case .update: return "~"
        case .replace: return "-/+"
        case .delete: return "-"
        case .noop: return " "
        }
    }
}

/// How bad the worst step of a change can be; the plan must say it before anything runs.
public enum Risk: String, Codable, Sendable, CaseIterable, Comparable {
    case safe = "safe"
    case restart = "restart"
    case disruptive = "disruptive"
    case dataLoss = "data-loss"

    public static func < (lhs: Risk, rhs: Risk) -> Bool {
        allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
    }
}

/// Restarts and reloads a change makes necessary; queued on disk before the change runs.
public enum Trigger: Codable, Sendable, Hashable {
    case restart(unit: String)
    case reload(unit: String)

    public var systemctl: SystemctlStep {
        switch self {
        case .restart(let unit): return SystemctlStep(.restart, unit)
        // Only a running unit is reloaded; a stopped one reads the new files when it starts.
        case .reload(let unit): return SystemctlStep(.tryReloadOrRestart, unit)
        }
    }
}

/// Why a resource changes, told by the inventory of what reconcile last applied.
public enum ChangeCause: String, Codable, Sendable, CaseIterable {
    /// Not in the inventory: reconcile has not applied it on this host before.
    case new = "new"
    /// Its declaration differs from the one last applied.
    case manifest = "manifest"
    /// Declared as last applied, yet the host differs: changed outside reconcile.
    case drift = "drift"
    /// The apply that last changed it did not finish (failed or was interrupted).
    case incomplete = "incomplete"
    /// In the inventory, in no manifest for this host: removed through its kind's absent path.
    case undeclared = "undeclared"
}

/// A provider's answer for one resource: pure data.
public struct ResourcePlan: Sendable, Equatable {
    public var action: Action
    public var reasons: [String]
    public var steps: [Step]
    public var triggers: [Trigger]
    /// Changes of other resources that make `triggers` necessary; the triggers are queued before the first of them.
    public var triggerCauses: [ResourceAddress]
    public var risk: Risk
    public var warnings: [String]

    public init(
        action: Action, reasons: [String] = [], steps: [Step] = [], triggers: [Trigger] = [],
        triggerCauses: [ResourceAddress] = [], risk: Risk = .safe, warnings: [String] = []
    ) {
        self.action = action
        self.reasons = reasons
        self.steps = steps
        self.triggers = triggers
        self.triggerCauses = triggerCauses
        self.risk = risk
        self.warnings = warnings
    }

    public static let noop = ResourcePlan(action: .noop)
}

/// One resource's entry in a plan.
public struct Change: Codable, Sendable, Equatable {
    public var address: ResourceAddress
    public var action: Action
    public var risk: Risk
    public var reasons: [String]
    public var warnings: [String]
    public var steps: [Step]
    /// Restarts/reloads queued on disk before this change's first step and run at the end of the apply.
    public var triggers: [Trigger]
    public var dependsOn: [ResourceAddress]
    /// `sha256:` of the probed facts this change was planned against; apply refuses if they moved.
    public var fingerprint: String
    /// The resource as declared, so a saved plan can re-probe without the manifests.
    public var desired: DesiredState
    public var state: ResourceState
    /// `file:line:column` of the declaration.
    public var source: String?
    /// Why it changes (nil for no-ops): drift, a manifest change, a new or no longer declared resource.
    public var cause: ChangeCause?
    /// The apply that last applied it, from the inventory.
    public var lastApply: LastApply?
    /// The inventory knew it by this address (same kind and host identity): a rename, not a removal.
    public var renamedFrom: ResourceAddress?

    public init(
        address: ResourceAddress, plan: ResourcePlan, dependsOn: [ResourceAddress], fingerprint: String,
        desired: DesiredState, state: ResourceState, source: String?
    ) {
        self.address = address
        self.action = plan.action
        self.risk = plan.risk
        self.reasons = plan.reasons
        self.warnings = plan.warnings
        self.steps = plan.steps
        self.triggers = plan.triggers
        self.dependsOn = dependsOn
        self.fingerprint = fingerprint
        self.desired = desired
        self.state = state
        self.source = source
    }

    public var hasChanges: Bool { action != .noop }

    private enum CodingKeys: String, CodingKey {
        case address = "address", action = "action", risk = "risk", reasons = "reasons", warnings = "warnings", steps = "steps"
        case triggers = "triggers", dependsOn = "dependsOn", fingerprint = "fingerprint", desired = "desired", state = "state"
        case source = "source", cause = "cause", lastApply = "lastApply", renamedFrom = "renamedFrom"
    }
}

/// The declared spec inside a plan: encoded straight from the typed spec when a plan is written,
/// read back as JSON from a saved plan; never converted when nobody asks for JSON.
public struct DesiredState: Codable, Sendable, Equatable {
    private enum Storage: Sendable {
        case spec(any ResourceSpec)
        case json(JSONValue)
    }

    private let storage: Storage

    /// The typed spec, when this was made from one rather than read back from JSON.
    var spec: (any ResourceSpec)? {
        if case .spec(let spec) = storage { return spec }
        return nil
    }

    public init(_ spec: any ResourceSpec) {
        storage = .spec(spec)
    }

    public init(json: JSONValue) {
        storage = .json(json)
    }

    public init(from decoder: Decoder) throws {
        storage = .json(try JSONValue(from: decoder))
    }

    public func encode(to encoder: Encoder) throws {
        switch storage {
        case .spec(let spec): try spec.encode(to: encoder)
        case .json(let json): try json.encode(to: encoder)
        }
    }

    public func json() throws -> JSONValue {
        switch storage {
        case .spec(let spec): return try CanonicalJSON.value(of: AnyEncodable(spec))
        case .json(let json): return json
        }
    }

    public static func == (lhs: DesiredState, rhs: DesiredState) -> Bool {
        (try? lhs.json()) == (try? rhs.json())
    }
}
