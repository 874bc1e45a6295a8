import Foundation
@testable import ReconcileCore
import ReconcileJSON
import Testing

/// The comparison behind `apply PLAN.json`: any field a reviewer reads, edited, is a difference.
@Suite struct SavedPlanCheckTests {
    static func plan(summary: String) -> Plan {
        let command = CommandStep(argv: ["lvconvert", "--uncache", "storage/slowlv"], summary: summary)
        let change = Change(
            address: ResourceAddress(kind: "LogicalVolume", name: "storage/slowlv"),
            plan: ResourcePlan(action: .update, reasons: ["cache removed"], steps: [.command(command)], risk: .disruptive),
            dependsOn: [], fingerprint: "sha256:00", desired: DesiredState(json: .object(["vg": .string("storage")])),
            state: .present, source: nil)
        return Plan(reconcileVersion: "0", createdAt: Date(timeIntervalSince1970: 0), host: "h", root: "/", source: .live, changes: [change])
    }

    @Test func anEditedCommandSummaryIsTheFirstDifference() throws {
        let saved = Self.plan(summary: "run systemctl daemon-reload")
        let derived = Self.plan(summary: "uncache storage/slowlv (flushes dirty blocks first)")
        let difference = try #require(try SavedPlanCheck.firstDifference(saved: saved, derived: derived))
        #expect(difference.hasPrefix("plan.changes[0].steps[0].summary: saved \"run systemctl daemon-reload\", derived \"uncache"))
        #expect(difference.hasSuffix("(resource LogicalVolume/storage/slowlv)"))
        #expect(try SavedPlanCheck.firstDifference(saved: derived, derived: derived) == nil)
    }

    @Test func longValuesAreShortenedInTheMessage() {
        let long = String(repeating: "x", count: 500)
        let difference = JSONValue.firstDifference(.string(long), .string("y"), at: "plan.a")
        #expect(difference.map { $0.count < 300 } == true)
        #expect(JSONValue.firstDifference(.object(["a": .null]), .object([:]), at: "plan") == "plan.a is in the saved plan but not in the derived one")
    }
}
