import Foundation
import ReconcileCore
import ReconcileProviders
import Testing

/// Resources without dependencies are planned on all cores (past a few hundred); the plan must
/// be the one a resource-by-resource loop gives: same order, same actions, same first error,
/// and dependents still see their inputs change.
@Suite struct PlannerConcurrencyTests {
    static let count = 1_200

    /// Every third file matches, every third differs, every third is missing; odd ones depend on the one before.
    static func manifest(directoryAt blocked: Set<Int> = []) -> String {
        (0..<count).map { index in
            var document = """
                kind: File
                name: f\(index)
                path: /etc/many/f\(index)\(blocked.contains(index) ? "" : ".conf")
                content: "value \(index)\\n"
                """
            if index % 2 == 1 { document += "\ndependsOn: [File/f\(index - 1)]" }
            return document
        }.joined(separator: "\n---\n")
    }

    static func stage(directoryAt blocked: Set<Int> = []) throws -> Stage {
        let stage = Stage()
        for index in 0..<count where index % 3 != 2 {
            try stage.directory.write("etc/many/f\(index).conf", index % 3 == 0 ? "value \(index)\n" : "old \(index)\n")
        }
        for index in blocked {
            try FileManager.default.createDirectory(
                atPath: stage.directory.path + "/etc/many/f\(index)", withIntermediateDirectories: true)
        }
        return stage
    }

    @Test func manyResourcesKeepTheirOrderAndActions() throws {
        let plan = try Self.stage().plan(Self.manifest())
        #expect(plan.changes.map(\.address.name) == (0..<Self.count).map { "f\($0)" })
        let expected: [Action] = (0..<Self.count).map { [.noop, .update, .create][$0 % 3] }
        #expect(plan.changes.map(\.action) == expected)
        #expect(plan.changes[1].dependsOn == [ResourceAddress(kind: "File", name: "f0")])
        #expect(plan.changes[2].dependsOn.isEmpty)
    }

    @Test func theFirstFailingResourceInOrderIsReported() throws {
        let stage = try Self.stage(directoryAt: [300, 901, 1_100])
        #expect {
            try stage.plan(Self.manifest(directoryAt: [300, 901, 1_100]))
        } throws: { error in
            "\(error)".contains("/etc/many/f300") && !"\(error)".contains("f901") && !"\(error)".contains("f1100")
        }
    }

    @Test func aDependentStillSeesItsInputChange() throws {
        let stage = try SystemdUnitPlanTests.stageWithInput()
        let padding = (0..<Self.count).map { "kind: File\nname: pad\($0)\npath: /etc/pad/\($0)\ncontent: \"x\"" }
        let loaded = loadManifest((padding.prefix(600) + [SystemdUnitPlanTests.unitWithInput] + padding.suffix(600)).joined(separator: "\n---\n"))
        #expect(!loaded.diagnostics.hasErrors, "\(rendered(loaded))")
        let planner = Planner(registry: Providers.registry, version: "test")
        let facts = try SystemdUnitPlanTests.liveFacts(of: loaded, staged: stage)
        let plan = try planner.plan(loaded.resources, from: .file(facts, path: "facts.json"), root: HostRoot("/"), hostName: "h")
        let conf = try #require(plan.changes.first { $0.address.name == "app-conf" })
        let unit = try #require(plan.changes.first { $0.address.name == "app.service" })
        #expect(conf.triggers == [.restart(unit: "app.service")])
        #expect(unit.action == .update)
        #expect(plan.changes.count == Self.count + 2)
    }
}
