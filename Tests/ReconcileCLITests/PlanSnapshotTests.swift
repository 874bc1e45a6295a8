import Foundation
import ReconcileCore
import ReconcileProviders
import Testing

/// The example host's plan, human and JSON, compared with reviewed snapshots in Snapshots/.
/// After an intended change to the output: RECORD_SNAPSHOTS=1 swift test --filter PlanSnapshotTests, then review the diff.
@Suite struct PlanSnapshotTests {
    func examplePlan() throws -> Plan {
        let factsPath = repositoryRoot + "/manifests/example/facts/mx1.example.org.json"
        let facts = try FactsDocument.load(from: try Data(contentsOf: URL(fileURLWithPath: factsPath)), path: factsPath)
        let loaded = try ManifestLoader(registry: Providers.registry).load(paths: [repositoryRoot + "/manifests/example"], hosts: [facts.identity])
        #expect(!loaded.diagnostics.hasErrors)
        return try Planner(registry: Providers.registry, version: "snapshot").plan(
            loaded.resources, from: .file(facts, path: factsPath), root: HostRoot(facts.root), hostName: facts.host,
            values: loaded.valueReport(for: facts.identity), now: Date(timeIntervalSince1970: 1_800_000_000))
    }

    func compare(_ actual: String, snapshot name: String) throws {
        try compareSnapshot(actual, named: name, differs: "snapshot \(name) differs; see the test's doc comment to re-record")
    }

    @Test func humanPlan() throws {
        try compare(PlanRenderer(colour: false).render(try examplePlan()), snapshot: "example-plan.txt")
    }

    @Test func humanPlanInColour() throws {
        let coloured = PlanRenderer(colour: true).render(try examplePlan())
        #expect(coloured.contains("\u{1B}[32m+   GitLabRunner/podman-fedora\u{1B}[0m"))
        #expect(coloured.contains("\u{1B}[31m-Welcome to mx1\u{1B}[0m"))
    }

    @Test func jsonPlan() throws {
        try compare(String(decoding: try examplePlan().jsonData(), as: UTF8.self) + "\n", snapshot: "example-plan.json")
    }
}
