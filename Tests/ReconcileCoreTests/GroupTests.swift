import Foundation
@testable import ReconcileCore
import ReconcileProviders
import Testing

/// `kind: ResourceGroup` and `kind: Use`: parameters typed and checked at both places, names
/// prefixed, dependencies inside the group followed, nested uses, a group that uses itself.
@Suite struct GroupTests {
    static let host = HostIdentity(name: "mx1.example.org", labels: ["role": "mx"])

    static let relay = """
        kind: ResourceGroup
        name: relay
        parameters:
          domain: {type: string}
          port: {type: integer, default: 9000}
          domains: {type: list, default: []}
        ---
        kind: File
        name: note
        path: /etc/relay-${params.domain}.conf
        content: "port=${params.port} on ${host.name}, $${params.literal}\\n"
        ---
        kind: SystemdUnit
        name: relay-${params.domain}.service
        content: "[Service]\\nExecStart=/bin/true\\n"
        restartOn: [File/note]
        dependsOn: [File/note]
        """

    func load(_ manifest: String, group: String = relay, extra: [(String, String)] = []) -> LoadedManifests {
        let files = [("groups/relay.yaml", group), ("m.yaml", manifest)] + extra
        return ManifestLoader(registry: Providers.registry).load(files: files.map { ($0.0, Array($0.1.utf8)) }, hosts: [Self.host])
    }

    func headlines(_ loaded: LoadedManifests) -> [String] { loaded.diagnostics.sorted.map(\.headline) }

    @Test func eachUseMakesTheGroupsResourcesUnderItsName() throws {
        let loaded = load("""
            kind: Use
            name: a
            group: groups/relay.yaml
            with: {domain: a.example}
            ---
            kind: Use
            name: b
            group: groups/relay.yaml
            with: {domain: b.example, port: 9001}
            """)
        #expect(headlines(loaded).isEmpty, "\(rendered(loaded))")
        #expect(loaded.resources.map(\.address.description).sorted() == [
            "File/a/note", "File/b/note", "SystemdUnit/a/relay-a.example.service", "SystemdUnit/b/relay-b.example.service",
        ])
        let note = try #require(loaded.resources.first { $0.address.description == "File/b/note" }?.spec as? FileSpec)
        #expect(note.path == "/etc/relay-b.example.conf")
        #expect(note.content == Data("port=9001 on mx1.example.org, ${params.literal}\n".utf8))
        let unit = try #require(loaded.resources.first { $0.address.description == "SystemdUnit/a/relay-a.example.service" })
        #expect(unit.dependencies.map(\.description) == ["File/a/note"], "dependsOn and restartOn follow the instance")
        #expect((unit.spec as? UnitSpec)?.restartOn.map(\.description) == ["File/a/note"])
    }

    @Test func theGroupFileAloneDeclaresNothing() {
        let loaded = load("kind: File\nname: x\npath: /x\ncontent: x\n")
        #expect(headlines(loaded).isEmpty && loaded.resources.map(\.address.description) == ["File/x"])
    }

    @Test func everyParameterProblemAtOnceAtBothPlaces() {
        let loaded = load("""
            kind: Use
            name: a
            group: groups/relay.yaml
            with: {port: "http", domians: x}
            """)
        let problems = loaded.diagnostics.sorted
        #expect(problems.map(\.headline) == [
            "m.yaml:4:7: error: with: the group relay needs domain (a string), which has no default",
            "m.yaml:4:14: error: with.port: port must be a integer, found a scalar",
            "m.yaml:4:22: error: with.domians: the group relay has no parameter domians; did you mean \"domains\"? (its parameters: domain, port, domains)",
        ], "\(problems.map(\.headline))")
        #expect(problems.first?.notes.map(\.mark.description) == ["groups/relay.yaml:4:3"])
        #expect(problems[1].notes.map(\.mark.description) == ["groups/relay.yaml:5:3"])
    }

    @Test func aKindsErrorInsideAnInstancePointsAtTheGroupAndTheUse() {
        let loaded = load("kind: Use\nname: a\ngroup: groups/relay.yaml\nwith: {domain: \"a/../b\"}\n")
        let problem = loaded.diagnostics.sorted.first { $0.keyPath == "path" }
        #expect(problem?.mark?.file == "groups/relay.yaml", "\(headlines(loaded))")
        #expect(problem?.notes.map { "\($0.mark): \($0.message)" } == [
            "m.yaml:4:16: params.domain is given here", "m.yaml:1:1: in Use a, an instance of \(DecodeContext.absolute("groups/relay.yaml"))",
        ], "\(problem?.notes ?? [])")
    }

    @Test func aGroupThatUsesItselfIsRefused() {
        let selfish = Self.relay + "\n---\nkind: Use\nname: inner\ngroup: relay.yaml\nwith: {domain: x}\n"
        let loaded = load("kind: Use\nname: a\ngroup: groups/relay.yaml\nwith: {domain: a}\n", group: selfish)
        #expect(headlines(loaded).contains { $0.contains("uses itself") }, "\(headlines(loaded))")
    }

    @Test func nestedUsesCompoundTheirNames() {
        let outer = "kind: ResourceGroup\nname: outer\nparameters: {d: {type: string}}\n---\nkind: Use\nname: inner\ngroup: relay.yaml\nwith: {domain: \"${params.d}\"}\n"
        let loaded = load("kind: Use\nname: top\ngroup: groups/outer.yaml\nwith: {d: z.example}\n", extra: [("groups/outer.yaml", outer)])
        #expect(headlines(loaded).isEmpty, "\(rendered(loaded))")
        #expect(loaded.resources.map(\.address.description).sorted() == ["File/top/inner/note", "SystemdUnit/top/inner/relay-z.example.service"])
    }

    @Test func aGroupsOwnProblemIsToldOnceHoweverOftenItIsUsed() {
        let bad = "kind: ResourceGroup\nname: bad\nparameters: {n: {type: number}}\n---\nkind: File\nname: f\npath: /f\ncontent: x\n"
        let loaded = load(
            "kind: Use\nname: a\ngroup: groups/bad.yaml\n---\nkind: Use\nname: b\ngroup: groups/bad.yaml\n", extra: [("groups/bad.yaml", bad)])
        #expect(headlines(loaded).filter { $0.contains("parameters.n.type") }.count == 1, "\(headlines(loaded))")
    }

    @Test func aMissingGroupFileIsAnErrorAtTheUse() {
        let loaded = load("kind: Use\nname: a\ngroup: groups/none.yaml\nwith: {}\n")
        #expect(headlines(loaded).first?.hasPrefix("m.yaml:3:8: error: group: cannot read the group ") == true, "\(headlines(loaded))")
    }
}

/// Instances in plans: a saved plan of them is derived again, and one left out is removed.
@Suite struct GroupPlanTests {
    static let group = """
        kind: ResourceGroup
        name: team
        parameters: {team: {type: string}}
        ---
        kind: Group
        name: ${params.team}
        system: true
        ---
        kind: File
        name: note
        path: /etc/team-${params.team}
        content: x
        """

    func plan(_ stage: Stage, uses: String, inventory: Inventory = .empty) throws -> Plan {
        try stage.directory.write("etc/group", "root:x:0:\n")
        try stage.directory.write("etc/passwd", "root:x:0:0:root:/root:/bin/bash\n")
        let loaded = ManifestLoader(registry: Providers.registry).load(
            files: [("groups/team.yaml", Array(Self.group.utf8)), ("m.yaml", Array(uses.utf8))], hosts: [GroupTests.host])
        #expect(!loaded.diagnostics.hasErrors, "\(rendered(loaded))")
        return try Planner(registry: Providers.registry, version: "t").plan(
            loaded.resources, from: .live(stage.host), root: stage.root, hostName: GroupTests.host.name, labels: GroupTests.host.labels,
            inventory: inventory)
    }

    @Test func aSavedPlanOfInstancesIsDerivedAgainAndALeftOutOneRemoved() throws {
        let stage = Stage()
        let two = "kind: Use\nname: a\ngroup: groups/team.yaml\nwith: {team: ops}\n---\nkind: Use\nname: b\ngroup: groups/team.yaml\nwith: {team: dev}\n"
        let saved = try plan(stage, uses: two)
        #expect(saved.changes.map(\.address.description).sorted() == ["File/a/note", "File/b/note", "Group/a/ops", "Group/b/dev"])
        let derived = try SavedPlanCheck(registry: Providers.registry).derive(saved, host: stage.host, identity: GroupTests.host, path: "p.json")
        #expect(derived.plan.changes.map(\.address) == saved.changes.map(\.address), "the spec's name is the address's after the Use's")
        var applied = ApplyReport(applyID: "x")
        applied.completed = saved.changes.map(\.address)
        let inventory = try Inventory.empty.recording(
            saved, report: applied, before: .empty, hashes: try Inventory.hashes(of: saved), applyID: "x", at: "t")
        let one = try plan(stage, uses: String(two.prefix { $0 != "-" }), inventory: inventory)
        let removals = one.changes.filter { $0.cause == .undeclared }.map(\.address.description).sorted()
        #expect(removals == ["File/b/note", "Group/b/dev"], "\(one.changes.map { ($0.address, $0.action, $0.cause) })")
    }
}
