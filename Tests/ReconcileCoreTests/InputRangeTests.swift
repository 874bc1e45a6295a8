import Foundation
@testable import ReconcileCore
import ReconcileJSON
@testable import ReconcileProviders
import Testing

/// Numbers at the edges of their types, from manifests and facts: errors at their place, never a trap.
@Suite struct InputRangeTests {
    static let observed = LVObservation(
        lvmVersion: "2.03.16", kernel: "6.1.0-56-amd64", vgNames: ["storage"],
        vg: .init(name: "storage", extentSize: 4_194_304, freeExtents: 100, pvs: [.init(name: "/dev/loop0", freeExtents: 100)]),
        lv: nil)

    /// Plans one manifest against LV facts as `plan --facts` reads them; the problems' headlines.
    func problems(_ manifest: String, _ observation: LVObservation) throws -> [String] {
        let loaded = loadManifest(manifest)
        #expect(!loaded.diagnostics.hasErrors, "\(rendered(loaded))")
        let json = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(observation))
        let facts = FactsDocument(
            host: "h", root: "/", probedAt: fixedDate, resources: [loaded.resources[0].address.description: json])
        do {
            _ = try Planner(registry: Providers.registry, version: "t").plan(
                loaded.resources, from: .file(facts, path: "h.json"), root: HostRoot("/"), hostName: "h")
            return []
        } catch let error as DiagnosticsError {
            return error.diagnostics.map(\.headline)
        }
    }

    /// Plans with the LV planner itself: facts files carry numbers through Double, exact only below 2^53.
    func plannerProblems(_ manifest: String, _ observation: LVObservation) throws -> [String] {
        let loaded = loadManifest(manifest)
        let spec = try #require(loaded.resources.first?.spec as? LVSpec, "\(rendered(loaded))")
        do {
            _ = try LVPlanner(spec: spec, observed: observation).planPresence()
            return []
        } catch let problem as PlanProblem {
            return ["\(problem.keyPath): \(problem.message)"]
        } catch let many as PlanProblems {
            return many.problems.map { "\($0.keyPath): \($0.message)" }
        }
    }

    @Test func largestSizeIsRefusedWhereTheManifestSaysIt() {
        let loaded = loadManifest("kind: LogicalVolume\nname: storage/slowlv\nsize: \"18446744073709551615\"\n")
        #expect(loaded.diagnostics.items.map(\.headline) == [
            "m.yaml:3:7: error: size: 18446744073709551615 bytes is more than LVM's largest LV (8 EiB)",
        ])
        let cache = loadManifest("""
            kind: LogicalVolume
            name: storage/slowlv
            size: 8192P
            cache: {mode: writeback, size: 16383P, device: /dev/loop1}
            """)
        #expect(cache.diagnostics.items.map(\.headline).contains { $0.contains("cache.size: 16383 PiB is more than LVM's largest LV") })
    }

    @Test func sizeNearTheLimitIsComparedWithHugeExtentsInCheckedArithmetic() throws {
        var observation = Self.observed
        observation.vg?.extentSize = (1 << 63) + 2
        let found = try plannerProblems("kind: LogicalVolume\nname: storage/slowlv\nsize: \"9223372036854775807\"\n", observation)
        #expect(found.first?.hasPrefix("size: 9223372036854775807 bytes") == true && found.first?.hasSuffix("is not a multiple of storage's extent size (9223372036854775810 bytes); 9223372036854775810 bytes is the next one") == true, "\(found)")
    }

    @Test func zeroExtentSizeInFactsIsAnErrorNotADivision() throws {
        var observation = Self.observed
        observation.vg?.extentSize = 0
        #expect(try problems("kind: LogicalVolume\nname: storage/slowlv\nsize: 1G\n", observation) == [
            "m.yaml:2:7: error: name: LogicalVolume/storage/slowlv: LVM reports an extent size of 0 bytes for volume group storage: the facts or the report are damaged (probe the host again)",
        ])
    }

    @Test func freeExtentsThatOverflowWhenSummedOrMultipliedAreCounted() throws {
        var observation = Self.observed
        observation.vg?.pvs = [.init(name: "/dev/loop0", freeExtents: .max), .init(name: "/dev/loop2", freeExtents: .max)]
        #expect(try plannerProblems("kind: LogicalVolume\nname: storage/slowlv\nsize: 1G\n", observation) == [])
        observation.vg?.pvs = [.init(name: "/dev/loop0", freeExtents: 1), .init(name: "/dev/loop1", freeExtents: .max)]
        let cached = """
            kind: LogicalVolume
            name: storage/slowlv
            size: 1G
            cache: {mode: writeback, size: 200M, device: /dev/loop1}
            """
        #expect(try plannerProblems(cached, observation) == ["size: the new LV needs 1 GiB, /dev/loop0 has 4 MiB free"])
        observation.vg?.extentSize = 1 << 62
        observation.vg?.pvs = [.init(name: "/dev/loop0", freeExtents: 3), .init(name: "/dev/loop1", freeExtents: 0)]
        let big = cached.replacingOccurrences(of: "size: 1G", with: "size: 8192P").replacingOccurrences(of: "200M", with: "4096P")
        #expect(try plannerProblems(big, observation) == ["cache.size: a 4 EiB cache needs that much free on /dev/loop1, which has 0 bytes"])
        observation.vg?.pvs = [.init(name: "/dev/loop0", freeExtents: 3), .init(name: "/dev/loop1", freeExtents: 1)]
        let bigger = big.replacingOccurrences(of: "4096P", with: "8192P")
        #expect(try plannerProblems(bigger, observation) == ["cache.size: a 8 EiB cache needs that much free on /dev/loop1, which has 4 EiB"])
        #expect(ExtentMath.describe(5, 1 << 62) == "5 extents of 4 EiB")
    }

    @Test(arguments: ["File", "CaptureProxy"])
    func ownerMinusOneIsRefusedForEveryKindWithOwners(kind: String) {
        let body = kind == "File"
            ? "path: /etc/x\ncontent: x\n"
            : "socket: /run/a.sock\nproxy: /run/a.proxy\nport: 9000\npcap: /var/a.pcap\ntimeLimit: 60\n"
        let loaded = loadManifest("kind: \(kind)\nname: a\n\(body)owner: \"4294967295\"\ngroup: \"99999999999\"\n")
        let headlines = loaded.diagnostics.items.map(\.headline)
        #expect(headlines.contains { $0.contains("owner: 4294967295 is not a user id: ids go from 0 to 4294967294 (4294967295 is -1, which chown reads as \"leave unchanged\")") }, "\(headlines)")
        #expect(headlines.contains { $0.contains("group: 99999999999 is not a group id") }, "\(headlines)")
        let fine = loadManifest("kind: \(kind)\nname: a\n\(body)owner: \"4294967294\"\ngroup: adm\n")
        #expect(!fine.diagnostics.hasErrors, "\(rendered(fine))")
    }

    /// A saved plan's monitor names the field; the host prints the count: a bad one of either is "no reading".
    @Test func progressFieldsOutOfRangeAreNoReading() {
        for field in [-1, 3, Int.max] {
            #expect(ProgressMonitor(argv: ["dmsetup"], field: field, unit: "blocks", stallSeconds: 10).remaining(in: "0 1 2\n") == nil)
        }
        let monitor = ProgressMonitor(argv: ["dmsetup"], field: 1, unit: "blocks", stallSeconds: 10)
        #expect(monitor.remaining(in: "0 -5 2") == nil && monitor.remaining(in: "0 99999999999999999999 2") == nil)
        #expect(monitor.remaining(in: "0 7 2") == 7)
    }

    /// Found by the plan-from-facts fuzzer: a runner's facts with two units of three indexed past the end.
    @Test func runnerFactsWithAnEntryMissingAreAFactsError() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path + "/manifests/example/facts/mx1.example.org.json"
        let document = try FactsDocument.load(from: try Data(contentsOf: URL(fileURLWithPath: path)), path: path)
        let provider = try #require(Providers.registry.provider(for: "GitLabRunner"))
        guard case .object(var runner)? = document.resources["GitLabRunner/podman-fedora"],
              case .array(let units)? = runner["units"] else {
            Issue.record("the example facts have no runner units")
            return
        }
        _ = try provider.observation(from: .object(runner))
        runner["units"] = .array(Array(units.dropLast()))
        #expect(throws: DecodingError.self) { try provider.observation(from: .object(runner)) }
    }
}
