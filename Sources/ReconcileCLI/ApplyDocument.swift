import Foundation
import ReconcileCore
import ReconcileJSON

/// `apply --json`: one document with the plan and what became of it (schemas/apply.schema.json),
/// so a pipeline reads the outcome without parsing the human report.
struct ApplyDocument: Encodable {
    enum Result: String, Encodable {
        /// Every change ran.
        case complete
        /// A step failed (or a queued restart did); the report says which and what was not reached.
        case failed
        /// The plan had nothing to change.
        case noChanges = "no-changes"
        /// Nothing ran: data loss not allowed, or no confirmation.
        case refused
    }

    struct Report: Encodable {
        var applyID: String
        var result: Result
        var reason: String?
        var startedAt: String
        var finishedAt: String
        var seconds: Double
        var completed: [String]
        var failure: ApplyReport.Failure?
        var notAttempted: [String]
        var triggersRun: [String]
        var triggerFailures: [ApplyReport.Failure]
        var backupsPruned: [String]
        var backupsNotPruned: [String]
        var inventoryNotRecorded: String?
    }

    var formatVersion = 1
    var plan: JSONValue
    var report: Report

    init(plan: Plan, report: ApplyReport?, result: Result, reason: String? = nil, startedAt: Date, applyID: String) throws {
        self.plan = try JSONDecoder().decode(JSONValue.self, from: plan.jsonData())
        let finished = Date()
        let format = ISO8601DateFormatter()
        self.report = Report(
            applyID: applyID, result: result, reason: reason, startedAt: format.string(from: startedAt),
            finishedAt: format.string(from: finished), seconds: (finished.timeIntervalSince(startedAt) * 1000).rounded() / 1000,
            completed: report?.completed.map(\.description) ?? [], failure: report?.failure,
            notAttempted: report?.notAttempted.map(\.description) ?? [], triggersRun: report?.triggersRun ?? [],
            triggerFailures: report?.triggerFailures ?? [], backupsPruned: report?.backupsPruned ?? [],
            backupsNotPruned: report?.backupsNotPruned ?? [], inventoryNotRecorded: report?.inventoryNotRecorded)
    }

    func write() throws {
        Terminal.write(String(decoding: try CanonicalJSON.encode(self, pretty: true), as: UTF8.self) + "\n")
    }
}
