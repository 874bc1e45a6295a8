import Foundation
import Logging

/// Where observed facts come from: the host itself, or a facts file made on it earlier.
public enum FactsSource: Sendable {
    case live(HostContext)
    case file(FactsDocument, path: String)
}

/// Probes (batched per kind), diffs, and orders: manifests + host → `Plan`. Never changes the host.
public struct Planner: Sendable {
    public let registry: ProviderRegistry
    public let version: String

    public init(registry: ProviderRegistry, version: String) {
        self.registry = registry
        self.version = version
    }

    /// One probe call per kind, whatever the number of resources.
    public func observe(_ resources: [Resource], from source: FactsSource) throws -> [ResourceAddress: Observation] {
        var observations: [ResourceAddress: Observation] = Dictionary(minimumCapacity: resources.count)
        for provider in registry.providers {
            let ofKind = resources.filter { $0.address.kind == provider.kind }
            guard !ofKind.isEmpty else { continue }
            switch source {
            case .live(let host):
                let stopwatch = Stopwatch()
                let observed = try provider.probe(ofKind, host: host)
                for (resource, observation) in zip(ofKind, observed) {
                    observations[resource.address] = observation
                }
                host.logger.debug("probed", metadata: ["kind": "\(provider.kind)", "resources": "\(ofKind.count)", "ms": "\(stopwatch.milliseconds)"])
            case .file(let facts, let path):
                for resource in ofKind {
                    guard let json = facts.resources[resource.address.description] else {
                        throw ReconcileError.invalidFactsFile(
                            path: path,
                            reason: "no facts for \(resource.address); run `reconcile facts` on \(facts.host) with these manifests")
                    }
                    do {
                        observations[resource.address] = try provider.observation(from: json)
                    } catch {
                        throw ReconcileError.invalidFactsFile(path: path, reason: "facts for \(resource.address): \(error)")
                    }
                }
            }
        }
        return observations
    }

    /// The facts of every declared resource and of every inventory entry no longer declared, so
    /// plans from them see the removals too; the inventory goes with them.
    public func facts(
        _ resources: [Resource], host: HostContext, identity: HostIdentity, inventory: Inventory = .empty, now: Date = Date()
    ) throws -> FactsDocument {
        let view = try InventoryView(inventory: inventory, declared: resources, registry: registry)
        let observations = try observe(view.removals + resources, from: .live(host))
        return FactsDocument(
            host: identity.name, root: host.root.path, probedAt: now, labels: identity.labels,
            resources: Dictionary(uniqueKeysWithValues: try observations.map { ($0.key.description, try $0.value.json()) }),
            reconcileVersion: version, inventory: inventory.isEmpty ? nil : inventory)
    }

    /// `inventory`: what reconcile last applied on the host; those of its resources no longer
    /// declared are removed first (unless `scope` keeps them), and each change says why it happens.
    public func plan(
        _ resources: [Resource], from source: FactsSource, root: HostRoot, hostName: String, labels: [String: String] = [:],
        inventory: Inventory = .empty, scope: PlanScope = .all, values: ValueReport? = nil, now: Date = Date()
    ) throws -> Plan {
        let declaredAll = AccountDependencies.add(resources)
        let view = try InventoryView(inventory: inventory, declared: declaredAll, registry: registry)
        let selection = try scope.select(declared: declaredAll, removals: view.removals, released: view.released)
        let declared = selection.declared
        let leftOut = selection.leftOut
        var removals = selection.removals
        var released = view.released.filter { scope.includes($0.address) }
        let kept = scope.keepUndeclared ? removals.map(\.address) + released.map(\.address) : nil
        if scope.keepUndeclared {
            removals = []
            released = []
        }
        let undeclared = Set(removals.map(\.address))
        let resources = removals + declared
        let observations = try observe(resources, from: source)
        let ordered = removals + ExecutionOrder.sort(declared)
        // Only needed to tell a resource which accounts its dependencies create.
        let byAddress = resources.contains(where: { $0.spec is any ProvidesAccounts })
            ? Dictionary(resources.map { ($0.address, $0) }, uniquingKeysWith: { first, _ in first }) : [:]
        // A resource's plan sees only which of its dependencies change, so the many that have
        // none are planned first, on all cores; the rest in order, once their dependencies are.
        let independent = try ordered.concurrentMap { resource -> Result<ResourcePlan, PlanFailure>? in
            guard !resource.hasDependencies else { return nil }
            return try planOne(resource, observed: Self.observation(of: resource, in: observations), changing: [], pending: .none, root: root)
        }
        var changing = Set<ResourceAddress>()
        var changes: [Change] = []
        var planned: [ResourcePlan] = []
        var problems: [Diagnostic] = []
        for (resource, early) in zip(ordered, independent) {
            let observation = try Self.observation(of: resource, in: observations)
            let changingDependencies = changing.intersection(resource.dependencies)
            let outcome = try early ?? planOne(
                resource, observed: observation, changing: changingDependencies,
                pending: byAddress.isEmpty ? .none : AccountDependencies.pending(from: changingDependencies, in: byAddress), root: root)
            let resourcePlan: ResourcePlan
            switch outcome {
            case .success(let plan):
                resourcePlan = plan
            case .failure(let failure):
                problems.append(contentsOf: failure.problems.map { Self.diagnostic($0, resource) })
                continue
            }
            if resourcePlan.action != .noop {
                changing.insert(resource.address)
            }
            planned.append(resourcePlan)
            var change = Change(
                address: resource.address, plan: resourcePlan, dependsOn: resource.dependencies,
                fingerprint: observation.fingerprint, desired: DesiredState(resource.spec),
                state: resource.meta.state, source: resource.meta.mark?.description)
            try view.annotate(&change, spec: resource.spec, undeclared: undeclared.contains(resource.address))
            changes.append(change)
        }
        if !problems.isEmpty {
            throw DiagnosticsError(problems)
        }
        Self.moveTriggersToCauses(&changes, plans: planned)
        StepBatches.merge(&changes)
        SystemctlBatches.merge(&changes)
        var plan = Plan(
            reconcileVersion: version, createdAt: now, host: hostName, labels: labels, root: root.path,
            source: { if case .file = source { return .facts } else { return .live } }(), changes: changes,
            targets: scope.targets.isEmpty ? nil : scope.targets, leftOut: scope.targets.isEmpty ? nil : leftOut,
            undeclaredKept: kept, released: released.isEmpty ? nil : released)
        plan.values = values.flatMap { $0.values.isEmpty ? nil : $0.values }
        return plan
    }

    /// What a provider refused to plan, for the diagnostics (its other errors stop the plan).
    struct PlanFailure: Error {
        let problems: [PlanProblem]
    }

    private static func observation(of resource: Resource, in observations: [ResourceAddress: Observation]) throws -> Observation {
        guard let observation = observations[resource.address] else {
            throw ReconcileError.probeFailed(kind: resource.address.kind, reason: "no facts for \(resource.address)")
        }
        return observation
    }

    /// Plans one resource; `changing`: those of its dependencies that will change.
    private func planOne(
        _ resource: Resource, observed: Observation, changing: Set<ResourceAddress>, pending: PendingAccounts, root: HostRoot
    ) throws -> Result<ResourcePlan, PlanFailure> {
        guard let provider = registry.provider(for: resource.address.kind) else {
            throw ReconcileError.unknownKind(resource.address.kind)
        }
        do {
            return .success(try provider.plan(resource, observed: observed, context: PlanContext(root: root, changing: changing, pendingAccounts: pending)))
        } catch let problem as PlanProblem {
            return .failure(PlanFailure(problems: [problem]))
        } catch let many as PlanProblems {
            return .failure(PlanFailure(problems: many.problems))
        }
    }

    static func diagnostic(_ problem: PlanProblem, _ resource: Resource) -> Diagnostic {
        .error(at: resource.meta.mark(for: problem.keyPath), keyPath: problem.keyPath, "\(resource.address): \(problem.message)")
    }

    /// A restart caused by another resource's change is queued before that change runs,
    /// so a crash between the two cannot lose it.
    static func moveTriggersToCauses(_ changes: inout [Change], plans: [ResourcePlan]) {
        guard plans.contains(where: { !$0.triggers.isEmpty }) else { return }
        let position = Dictionary(changes.enumerated().map { ($0.element.address, $0.offset) }, uniquingKeysWith: { a, _ in a })
        for (index, plan) in plans.enumerated() where !plan.triggers.isEmpty {
            let earliest = plan.triggerCauses.compactMap { position[$0] }.filter { changes[$0].hasChanges }.min()
            guard let earliest, earliest < index else { continue }
            changes[index].triggers.removeAll { plan.triggers.contains($0) }
            for trigger in plan.triggers where !changes[earliest].triggers.contains(trigger) {
                changes[earliest].triggers.append(trigger)
            }
        }
    }
}
