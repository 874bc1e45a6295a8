import Foundation

/// What the inventory adds to a plan: removals of resources no longer declared, renames, and
/// why each declared change happens.
struct InventoryView: Sendable {
    let inventory: Inventory
    /// Resources in the inventory, in no manifest, and not renamed: each planned `state: absent`.
    let removals: [Resource]
    /// New address → the address the inventory knew it by.
    let renames: [ResourceAddress: ResourceAddress]
    /// Undeclared, of a kind that never removes what it made (a Filesystem): let go, left as they are.
    let released: [ReleasedResource]

    /// Reads each undeclared entry's last applied declaration back as its kind's spec, checked as a
    /// saved plan's is. An entry no kind of this build reads is an error: it could not be removed.
    init(inventory: Inventory, declared: [Resource], registry: ProviderRegistry) throws {
        guard !inventory.isEmpty else {
            self.init(inventory: inventory, removals: [], renames: [:], released: [])
            return
        }
        let declaredAddresses = Set(declared.map(\.address.description))
        var undeclared: [String: Inventory.Entry] = [:]
        for address in inventory.addresses where !declaredAddresses.contains(address) {
            undeclared[address] = try inventory.entry(named: address)
        }
        guard !undeclared.isEmpty else {
            self.init(inventory: inventory, removals: [], renames: [:], released: [])
            return
        }
        // A declared resource with a removed entry's kind and identity is that entry, renamed.
        var declaredByIdentity: [String: ResourceAddress] = [:]
        for resource in declared where !inventory.contains(resource.address.description) {
            declaredByIdentity["\(resource.address.kind)\u{0}\(resource.spec.hostIdentity)"] = resource.address
        }
        var renames: [ResourceAddress: ResourceAddress] = [:]
        var removals: [Resource] = []
        var released: [ReleasedResource] = []
        var problems: [String] = []
        for (text, entry) in undeclared.sorted(by: { $0.key < $1.key }) {
            guard let address = ResourceAddress(parsing: text) else { continue }
            if let renamed = declaredByIdentity["\(entry.kind)\u{0}\(entry.identity)"], renames[renamed] == nil {
                renames[renamed] = address
                continue
            }
            guard let provider = registry.provider(for: entry.kind) else {
                problems.append("\(text): this reconcile has no kind \(entry.kind)")
                continue
            }
            do {
                let spec = try provider.decodeSpec(try entry.desired.json())
                guard spec.isRemovable else {
                    released.append(ReleasedResource(
                        address: address, reason: spec.problems(addressName: address.name, state: .absent).first ?? "its kind never removes it"))
                    continue
                }
                let specProblems = spec.problems(addressName: address.name, state: .absent)
                guard specProblems.isEmpty else {
                    problems.append("\(text): " + specProblems.joined(separator: "; "))
                    continue
                }
                let dependsOn = entry.dependsOn.filter { undeclared[$0.description] != nil }
                removals.append(Resource(
                    meta: ResourceMeta(address: address, state: .absent, dependsOn: dependsOn.map { DependencyReference(address: $0, mark: nil) }),
                    spec: spec))
            } catch {
                problems.append("\(text): its last applied declaration does not read as a \(entry.kind): \(error)")
            }
        }
        guard problems.isEmpty else {
            throw ReconcileError.notAllowed(
                "resources in the inventory that are no longer declared cannot be planned for removal:\n"
                    + problems.map { "  - \($0)" }.joined(separator: "\n")
                    + "\ndeclare them again, or drop them with `reconcile forget ADDRESS` (the host is left as it is)")
        }
        self.init(inventory: inventory, removals: ExecutionOrder.sort(removals), renames: renames, released: released)
    }

    private init(inventory: Inventory, removals: [Resource], renames: [ResourceAddress: ResourceAddress], released: [ReleasedResource]) {
        self.inventory = inventory
        self.removals = removals
        self.renames = renames
        self.released = released
    }

    /// Sets why the change happens and when its resource was last applied.
    /// No-ops are left alone (their entries are not even decoded): a no-op plan stays fast.
    func annotate(_ change: inout Change, spec: any ResourceSpec, undeclared: Bool) throws {
        let known = change.address
        let previous = renames[known] ?? known
        change.renamedFrom = renames[known]
        guard change.hasChanges || undeclared || change.renamedFrom != nil else { return }
        guard let entry = try inventory.entry(previous) else {
            change.cause = change.hasChanges ? .new : nil
            return
        }
        change.lastApply = entry.lastApply
        if undeclared {
            change.cause = .undeclared
            change.reasons.insert(
                "no longer declared for this host: last applied by apply \(entry.applyID) at \(entry.appliedAt)"
                    + (entry.adopted ? " (it was on the host before reconcile managed it)" : ""), at: 0)
            return
        }
        guard change.hasChanges else { return }
        if !entry.complete {
            change.cause = .incomplete
            change.reasons.insert("apply \(entry.applyID) (\(entry.appliedAt)) did not finish changing it", at: 0)
        } else if try Inventory.hash(DesiredState(spec)) == entry.desiredHash {
            change.cause = .drift
            change.reasons.insert("changed outside reconcile since apply \(entry.applyID) (\(entry.appliedAt)); the manifest did not change", at: 0)
        } else {
            change.cause = .manifest
            change.reasons.insert("the manifest changed since apply \(entry.applyID) (\(entry.appliedAt))", at: 0)
        }
    }
}
