import Foundation

/// A plan that may be applied: planned in this process against a live probe of the host from
/// declarations (the trusted manifests), or a saved plan that `SavedPlanCheck` derived again to
/// the letter. `Executor` applies only this, so a library caller cannot apply a plan read from a
/// file, or made from a facts file, without the check the CLI makes.
public struct CheckedPlan: Sendable {
    public let plan: Plan

    init(verified plan: Plan) {
        self.plan = plan
    }
}

extension Planner {
    /// `plan(_:from:…)` against a live probe of `host`, for applying.
    public func planToApply(
        _ resources: [Resource], host: HostContext, hostName: String, labels: [String: String] = [:],
        inventory: Inventory = .empty, scope: PlanScope = .all, values: ValueReport? = nil
    ) throws -> CheckedPlan {
        CheckedPlan(verified: try plan(
            resources, from: .live(host), root: host.root, hostName: hostName, labels: labels, inventory: inventory, scope: scope,
            values: values))
    }
}
