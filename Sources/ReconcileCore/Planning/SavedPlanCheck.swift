import Foundation
import ReconcileJSON

/// A saved plan is a promise, not a script: what it records as desired is decoded and checked
/// again by the providers, planned afresh against a new probe, and applied only when the result
/// is the saved plan to the letter (steps, diffs, summaries, risks, counts). The steps that run
/// are the derived ones; nothing in the file is executed as it stands.
public struct SavedPlanCheck: Sendable {
    public let registry: ProviderRegistry

    public init(registry: ProviderRegistry) {
        self.registry = registry
    }

    /// The plan to apply: derived here, equal to `saved`, or an error naming the first difference.
    /// `inventory`: the host's own now, so removals of what is no longer declared are derived
    /// from it, never taken from the file.
    public func derive(
        _ saved: Plan, host: HostContext, identity: HostIdentity, inventory: Inventory = .empty, path: String
    ) throws -> CheckedPlan {
        try checkTarget(saved, host: host, identity: identity)
        let all = try resources(of: saved, path: path)
        let undeclared = Set(saved.changes.filter { $0.cause == .undeclared }.map(\.address))
        let resources = all.filter { !undeclared.contains($0.address) }
        let observed = try Planner(registry: registry, version: saved.reconcileVersion).observe(all, from: .live(host))
        let moved = saved.changes.compactMap { change -> String? in
            guard let now = observed[change.address]?.fingerprint, now != change.fingerprint else { return nil }
            return "\(change.address) changed since the plan was made"
        }
        if !moved.isEmpty {
            throw ReconcileError.stalePlan(details: moved)
        }
        var derived: Plan
        do {
            derived = try Planner(registry: registry, version: saved.reconcileVersion).plan(
                resources, from: .live(host), root: host.root, hostName: saved.host, labels: saved.labels ?? [:],
                inventory: inventory, scope: PlanScope(targets: saved.targets ?? [], keepUndeclared: saved.undeclaredKept != nil))
        } catch let error as DiagnosticsError {
            throw ReconcileError.invalidPlanFile(
                path: path, reason: "its desired state does not plan: "
                    + error.diagnostics.map(\.message).joined(separator: "; "))
        }
        // What cannot be derived from the desired state is carried over, then compared like the rest.
        derived.createdAt = saved.createdAt
        derived.source = saved.source
        derived.labels = saved.labels
        // The declared resources --target left out, and the values the manifests set, are not in
        // the file to derive them from (the values are in the desired states, resolved).
        derived.leftOut = saved.leftOut
        derived.values = saved.values
        for index in derived.changes.indices where index < saved.changes.count {
            derived.changes[index].source = saved.changes[index].source
        }
        if let difference = try Self.firstDifference(saved: saved, derived: derived) {
            throw ReconcileError.tamperedPlan(path: path, difference: difference)
        }
        return CheckedPlan(verified: derived)
    }

    private func checkTarget(_ plan: Plan, host: HostContext, identity: HostIdentity) throws {
        guard plan.root == host.root.path else {
            throw ReconcileError.notAllowed(
                "the plan was made for root \(plan.root), not \(host.root.path); pass --root \(plan.root) or plan again")
        }
        guard plan.host == identity.name else {
            throw ReconcileError.notAllowed(
                "the plan is for host \(plan.host), and this is \(identity.name); apply it there "
                    + "(or pass --host \(plan.host) if this host goes by another name)")
        }
        if let labels = plan.labels, labels != identity.labels {
            throw ReconcileError.stalePlan(details: [
                "the host's labels changed since the plan was made (\(Self.describe(labels)) → \(Self.describe(identity.labels))), "
                    + "and with them which resources are its",
            ])
        }
    }

    /// The desired state, decoded and checked as a manifest's would be; every problem at once.
    private func resources(of plan: Plan, path: String) throws -> [Resource] {
        var resources: [Resource] = []
        var problems: [String] = []
        for (index, change) in plan.changes.enumerated() {
            let place = "changes[\(index)] (\(change.address))"
            guard let provider = registry.provider(for: change.address.kind) else {
                problems.append("\(place): unknown resource kind \"\(change.address.kind)\"")
                continue
            }
            let spec: any ResourceSpec
            do {
                // A plan read from a file holds JSON, its content references into the plan's table
                // (checked against their hashes when read); one made in this process, typed specs.
                spec = try change.desired.spec ?? provider.decodeSpec(change.desired.json(), contents: plan.contents ?? PlanContents())
            } catch {
                problems.append("\(place): desired state is not a \(change.address.kind): \(error)")
                continue
            }
            problems.append(contentsOf: spec.problems(addressName: change.address.name, state: change.state).map { "\(place): desired.\($0)" })
            let meta = ResourceMeta(
                address: change.address, state: change.state,
                dependsOn: change.dependsOn.map { DependencyReference(address: $0, mark: nil) })
            resources.append(Resource(meta: meta, spec: spec))
        }
        for provider in registry.providers {
            let ofKind = resources.filter { $0.address.kind == provider.kind }
            if !ofKind.isEmpty {
                problems.append(contentsOf: provider.validate(ofKind).filter { $0.severity == .error }.map(\.message))
            }
        }
        problems.append(contentsOf: GraphChecks.check(resources.map(GraphNode.init)).filter { $0.severity == .error }.map(\.message))
        guard problems.isEmpty else {
            throw ReconcileError.invalidPlanFile(
                path: path, reason: "its desired state is not valid; nothing was applied:\n"
                    + problems.map { "  - \($0)" }.joined(separator: "\n"))
        }
        return resources
    }

    /// The first place, as a JSON path, where the two plans' documents differ.
    static func firstDifference(saved: Plan, derived: Plan) throws -> String? {
        let savedJSON = try JSONDecoder().decode(JSONValue.self, from: saved.jsonData(pretty: false))
        let derivedJSON = try JSONDecoder().decode(JSONValue.self, from: derived.jsonData(pretty: false))
        guard let difference = JSONValue.firstDifference(savedJSON, derivedJSON, at: "plan") else { return nil }
        return resourceNamed(in: difference, of: saved).map { "\(difference) (resource \($0))" } ?? difference
    }

    /// `plan.changes[3]…` → the address of change 3, so the refusal names the resource.
    private static func resourceNamed(in difference: String, of plan: Plan) -> String? {
        let prefix = "plan.changes["
        guard difference.hasPrefix(prefix), let close = difference.firstIndex(of: "]"),
              let index = Int(difference[difference.index(difference.startIndex, offsetBy: prefix.count)..<close]),
              plan.changes.indices.contains(index) else { return nil }
        return plan.changes[index].address.description
    }

    static func describe(_ labels: [String: String]) -> String {
        labels.isEmpty ? "none" : labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
    }
}

extension JSONValue {
    /// Where `saved` and `derived` first differ (keys in sorted order), with both values shown short.
    static func firstDifference(_ saved: JSONValue, _ derived: JSONValue, at path: String) -> String? {
        switch (saved, derived) {
        case (.object(let left), .object(let right)):
            for key in Set(left.keys).union(right.keys).sorted() {
                let place = "\(path).\(key)"
                switch (left[key], right[key]) {
                case (let l?, let r?):
                    if let found = firstDifference(l, r, at: place) { return found }
                case (_?, nil):
                    return "\(place) is in the saved plan but not in the derived one"
                case (nil, _?):
                    return "\(place) is missing from the saved plan"
                case (nil, nil):
                    continue
                }
            }
            return nil
        case (.array(let left), .array(let right)):
            for (index, pair) in zip(left, right).enumerated() {
                if let found = firstDifference(pair.0, pair.1, at: "\(path)[\(index)]") { return found }
            }
            guard left.count == right.count else {
                return "\(path) has \(left.count) entries in the saved plan, \(right.count) derived"
            }
            return nil
        default:
            guard saved != derived else { return nil }
            return "\(path): saved \(saved.shortDescription), derived \(derived.shortDescription)"
        }
    }

    var shortDescription: String {
        let text: String
        switch self {
        case .null: text = "null"
        case .bool(let value): text = "\(value)"
        case .number(let value): text = value == value.rounded() && abs(value) < 1e15 ? "\(Int64(value))" : "\(value)"
        case .string(let value): text = "\"\(value)\""
        case .array(let values): text = "[\(values.count) entries]"
        case .object(let values): text = "{\(values.keys.sorted().joined(separator: ", "))}"
        }
        return text.count > 120 ? String(text.prefix(117)) + "…" : text
    }
}
