import Foundation

extension Inventory {
    /// Before an apply changes anything: each resource it will create or change is entered as not
    /// complete, so an apply killed half way leaves behind what it may have made, for the next
    /// plan to finish or remove.
    public func registering(_ plan: Plan, applyID: String, at time: String) throws -> Inventory {
        var result = self
        for change in plan.changes where change.hasChanges && change.state == .present {
            result.resources[change.address.description] = try entry(for: change, applyID: applyID, at: time, complete: false)
        }
        return result
    }

    /// After the apply: each change it completed, and each no-op, is recorded as applied (a removal,
    /// and a resource released, leave the inventory); the one that failed stays not complete; those it never reached are
    /// as they were before it (`before`).
    public func recording(_ plan: Plan, report: ApplyReport?, before: Inventory, applyID: String, at time: String) throws -> Inventory {
        var result = self
        for release in plan.released ?? [] { result.resources[release.address.description] = nil }
        let completed = Set(report?.completed ?? [])
        let notAttempted = Set(report?.notAttempted ?? [])
        for change in plan.changes {
            let key = change.address.description
            if notAttempted.contains(change.address) {
                result.resources[key] = before.resources[key]
                continue
            }
            if change.hasChanges && !completed.contains(change.address) { continue }
            if let old = change.renamedFrom { result.resources[old.description] = nil }
            if change.state == .absent {
                result.resources[key] = nil
            } else {
                result.resources[key] = try before.entry(for: change, applyID: applyID, at: time, complete: true)
            }
        }
        return result
    }

    /// The change's declaration as an entry; `adopted` kept from the entry it had (under its old
    /// name if renamed), else true unless this change creates it.
    private func entry(for change: Change, applyID: String, at time: String, complete: Bool) throws -> Entry {
        let previous = entry(change.address) ?? change.renamedFrom.flatMap { entry($0) }
        return Entry(
            kind: change.address.kind, identity: identity(of: change), desired: change.desired,
            desiredHash: try Inventory.hash(change.desired), dependsOn: change.dependsOn, appliedAt: time, applyID: applyID,
            complete: complete, adopted: previous?.adopted ?? (change.action != .create))
    }

    /// Plans to apply are always planned (a saved one derived afresh), so their specs are typed.
    private func identity(of change: Change) -> String {
        change.desired.spec?.hostIdentity ?? entry(change.address)?.identity ?? change.address.description
    }
}
