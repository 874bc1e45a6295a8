import Foundation

extension Inventory {
    /// Each declaration's hash, once per apply (on every core): registering and recording both need it.
    public static func hashes(of plan: Plan) throws -> [ResourceAddress: String] {
        let present = plan.changes.filter { $0.state == .present }
        let hashes = try present.concurrentMap { try hash($0.desired) }
        return Dictionary(zip(present.map(\.address), hashes), uniquingKeysWith: { first, _ in first })
    }

    /// Before an apply changes anything: each resource it will create or change is entered as not
    /// complete, so an apply killed half way leaves behind what it may have made, for the next
    /// plan to finish or remove.
    public func registering(_ plan: Plan, hashes: [ResourceAddress: String], applyID: String, at time: String) throws -> Inventory {
        var result = self
        for change in plan.changes where change.hasChanges && change.state == .present {
            result.set(change.address.description, try entry(for: change, hashes: hashes, applyID: applyID, at: time, complete: false))
        }
        return result
    }

    /// After the apply: each change it completed, and each no-op, is recorded as applied (a removal,
    /// and a resource released, leave the inventory); the one that failed stays not complete; those
    /// it never reached are as they were before it (`before`).
    public func recording(
        _ plan: Plan, report: ApplyReport?, before: Inventory, hashes: [ResourceAddress: String], applyID: String, at time: String
    ) throws -> Inventory {
        var result = self
        for release in plan.released ?? [] { result.set(release.address.description, nil) }
        let completed = Set(report?.completed ?? [])
        let notAttempted = Set(report?.notAttempted ?? [])
        for change in plan.changes {
            let key = change.address.description
            if notAttempted.contains(change.address) {
                result.restore(key, from: before)
                continue
            }
            if change.hasChanges && !completed.contains(change.address) { continue }
            if let old = change.renamedFrom { result.set(old.description, nil) }
            if change.state == .absent {
                result.set(key, nil)
            } else if change.hasChanges || change.renamedFrom != nil
                || !before.isComplete(key, desiredHash: hashes[change.address] ?? "") {
                // A no-op whose entry is complete with its declaration's hash keeps its entry (its
                // line is written back unread): "last applied" names the apply that last changed it.
                result.set(key, try before.entry(for: change, hashes: hashes, applyID: applyID, at: time, complete: true))
            }
        }
        return result
    }

    /// The change's declaration as an entry; `adopted` kept from the entry it had (under its old
    /// name if renamed), else true unless this change creates it.
    private func entry(
        for change: Change, hashes: [ResourceAddress: String], applyID: String, at time: String, complete: Bool
    ) throws -> Entry {
        let previous = try entry(change.address) ?? change.renamedFrom.flatMap { try entry($0) }
        return Entry(
            kind: change.address.kind, identity: try identity(of: change),
            desired: change.desired.spec.map { DesiredState($0.removalSpec) } ?? change.desired,
            desiredHash: try hashes[change.address] ?? Inventory.hash(change.desired), dependsOn: change.dependsOn,
            appliedAt: time, applyID: applyID, complete: complete, adopted: previous?.adopted ?? (change.action != .create))
    }

    /// Plans to apply are always planned (a saved one derived afresh), so their specs are typed.
    private func identity(of change: Change) throws -> String {
        try change.desired.spec?.hostIdentity ?? entry(change.address)?.identity ?? change.address.description
    }
}
