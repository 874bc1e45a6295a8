import Foundation
import ReconcileCore
@testable import ReconcileProviders
import Testing

/// `systemctl list-units --all --output=json` captured from systemd 252 in the VM (see
/// Fixtures/systemctl-list-units.md), and the live probe built on it.
@Suite struct SystemctlProbeTests {
    @Test func listedUnitsGiveLoadAndActivity() throws {
        let states = try SystemctlProbe.parseList(Data(try fixture("systemctl-list-units.json").utf8))
        #expect(states.count == 179)
        #expect(states["a.service"] == .init(activeState: "active", subState: "running", loadState: "loaded"))
        #expect(states["c.timer"] == .init(activeState: "active", subState: "waiting", loadState: "loaded"))
        #expect(states["d.service"] == .init(activeState: "failed", subState: "failed", loadState: "loaded"))
        #expect(states["missing.service"] == .init(activeState: "inactive", subState: "dead", loadState: "not-found"))
        // Never loaded (a disabled unit, a masked one): not listed at all.
        #expect(states["b.service"] == nil && states["m.service"] == nil && states["never.service"] == nil)
    }

    @Test func outputThatIsNotTheJSONIsAProbeError() {
        #expect(throws: ReconcileError.self) { try SystemctlProbe.parseList(Data("a.service loaded active running a\n".utf8)) }
        #expect(throws: ReconcileError.self) { try SystemctlProbe.parseList(Data("[{\"unit\":\"a.service\"}]".utf8)) }
    }

    /// A live host with the captured units: their files and links under a root, systemd's answers
    /// from the fixture. Units the files tell about cost no `is-enabled`; the probe is one
    /// `list-units` for all units, however many.
    @Test func liveProbeReadsFilesAndAsksSystemdOnce() throws {
        let directory = TemporaryDirectory()
        let install = "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n"
        for unit in ["a.service", "b.service", "never.service"] { try directory.write("etc/systemd/system/\(unit)", install) }
        try directory.write("etc/systemd/system/d.service", "[Service]\nExecStart=/bin/false\n")
        try FileManager.default.createDirectory(atPath: directory.path + "/etc/systemd/system/multi-user.target.wants", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: directory.path + "/etc/systemd/system/multi-user.target.wants/a.service", withDestinationPath: "/etc/systemd/system/a.service")
        try FileManager.default.createSymbolicLink(atPath: directory.path + "/etc/systemd/system/m.service", withDestinationPath: "/dev/null")
        // A runtime folder naming one unit: that one is asked of systemctl, the others are not.
        try directory.write("run/systemd/generator.late/never.service", "[Service]\nExecStart=/bin/true\n")
        let units = ["a.service", "b.service", "d.service", "m.service", "never.service", "missing.service"]
        let runner = RecordedRunner([
            SystemctlProbe.listArgv: CommandResult(status: 0, stdout: Data(try fixture("systemctl-list-units.json").utf8)),
            SystemctlProbe.isEnabledArgv(["never.service"], stagedRoot: nil): CommandResult(status: 1, stdout: Data("generated\n".utf8)),
        ])
        let files = LocalFileSystem(root: HostRoot(directory.path))
        let observed = try ManagedUnit.probe(units, host: HostContext(files: files, commands: runner), live: true)
        #expect(runner.recordedCalls.count == 2, "\(runner.recordedCalls)")
        let byUnit = Dictionary(uniqueKeysWithValues: zip(units, observed))
        #expect(byUnit["a.service"]?.unitFileState == "enabled" && byUnit["a.service"]?.isActive == true)
        #expect(byUnit["b.service"]?.unitFileState == "disabled" && byUnit["b.service"]?.activeState == "inactive")
        #expect(byUnit["d.service"]?.unitFileState == "static" && byUnit["d.service"]?.activeState == "failed")
        #expect(byUnit["m.service"]?.unitFileState == "masked")
        #expect(byUnit["never.service"]?.unitFileState == "generated")
        #expect(byUnit["missing.service"]?.loadState == "not-found" && byUnit["missing.service"]?.unitFileState == nil)
    }
}
