import Foundation
import ReconcileCore

/// `plan --facts FOLDER`: every host's plan from its facts in one run, without contacting any,
/// and the summary a reviewer reads first.
struct FleetPlan {
    let session: Session
    let manifests: [String]
    let facts: String
    let out: String?
    let signKey: String?
    let output: PlanOutputOptions
    let keepUndeclared: Bool

    func run() throws {
        let (entries, unreadable) = try orFail(session) { try FactsFiles.loadEach([facts]) }
        if entries.isEmpty, let first = unreadable.first { throw session.fail(first.error) }
        // Loaded once for all hosts: each host's view is checked, problems name their hosts.
        let loaded = try session.loadManifests(manifests, hosts: entries.map(\.document.identity))
        if let out {
            try orFail(session) { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) }
        }
        var summary = FleetSummary()
        for bad in unreadable {
            _ = session.fail(bad.error)
            summary.add(failure: "\(bad.error)", host: bad.host)
        }
        for entry in entries {
            let document = entry.document
            let resources = loaded.declared.filter { $0.meta.applies(to: document.identity) }
            do {
                let plan = try session.planner.plan(
                    resources, from: .file(document, path: entry.path), root: HostRoot(document.root), hostName: document.host,
                    labels: document.labels, inventory: document.inventory ?? .empty, scope: PlanScope(keepUndeclared: keepUndeclared),
                    values: loaded.valueReport(for: document.identity))
                let saved = try out.map { folder in
                    let path = "\(folder)/\(Self.fileName(document.host)).json"
                    try session.save(plan, to: path, signKey: signKey)
                    return path
                }
                summary.add(plan, savedAt: saved)
            } catch {
                _ = session.fail(error)
                summary.add(failure: (error as? DiagnosticsError).map { "\($0.diagnostics.count) problem(s), printed above" } ?? "\(error)",
                            host: document.host)
            }
        }
        if let out { try orFail(session) { try session.save(try summary.jsonData(), to: "\(out)/summary.json") } }
        if output.json {
            Terminal.write(String(decoding: try summary.jsonData(), as: UTF8.self) + "\n")
        } else {
            Terminal.write(summary.render())
            if let out { Terminal.write("Saved \(summary.totals.hosts - summary.totals.hostsFailed) plans and summary.json to \(out).\n") }
        }
        if summary.hasFailures { throw CLIExit.failure }
        if output.detailedExitcode && summary.hasChanges { throw CLIExit.changes }
    }

    /// Host names are file-name safe already; anything else is replaced.
    static func fileName(_ host: String) -> String {
        String(host.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" })
    }
}
