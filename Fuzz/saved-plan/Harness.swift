import Foundation
import ReconcileCore

/// The saved-plan decoder, and what `show` and `summary` do with a decoded plan.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let plan = try? Plan.load(from: Data(bytes: data, count: size), path: "fuzz.json") else { return 0 }
    _ = PlanRenderer(colour: false, showUnchanged: true).render(plan)
    _ = try? plan.jsonData()
    var summary = FleetSummary()
    summary.add(plan, savedAt: "fuzz.json")
    summary.add(plan, savedAt: "again.json")
    _ = summary.render()
    for change in plan.changes {
        _ = change.steps.map(\.summary)
        _ = change.steps.map(\.details)
    }
    return 0
}
