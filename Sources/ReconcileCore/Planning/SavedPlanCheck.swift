/// A saved plan is applied only to the host it was made against: the same name and labels (they
/// chose its resources), and every resource probed again must still have the fingerprint
/// recorded in the plan.
public struct SavedPlanCheck: Sendable {
    public let registry: ProviderRegistry

    public init(registry: ProviderRegistry) {
        self.registry = registry
    }

    public func verify(_ plan: Plan, host: HostContext, identity: HostIdentity) throws {
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
        var resources: [Resource] = []
        for change in plan.changes {
            guard let provider = registry.provider(for: change.address.kind) else {
                throw ReconcileError.unknownKind(change.address.kind)
            }
            let meta = ResourceMeta(
                address: change.address, state: change.state,
                dependsOn: change.dependsOn.map { DependencyReference(address: $0, mark: nil) })
            resources.append(Resource(meta: meta, spec: try provider.decodeSpec(change.desired.json())))
        }
        let observed = try Planner(registry: registry, version: plan.reconcileVersion).observe(resources, from: .live(host))
        let moved = plan.changes.compactMap { change -> String? in
            guard let now = observed[change.address]?.fingerprint, now != change.fingerprint else { return nil }
            return "\(change.address) changed since the plan was made"
        }
        if !moved.isEmpty {
            throw ReconcileError.stalePlan(details: moved)
        }
    }

    static func describe(_ labels: [String: String]) -> String {
        labels.isEmpty ? "none" : labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
    }
}
