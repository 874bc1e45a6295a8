import Foundation
@testable import ReconcileProviders
import Testing

/// `systemctl show` output captured from systemd 252 in the VM (see Fixtures/systemctl-show-mixed.md).
@Suite struct SystemctlProbeTests {
    @Test func parsesOneBlockPerUnitInArgumentOrder() throws {
        let output = try fixture("systemctl-show-mixed.txt")
        let units = ["a.service", "b.service", "missing.service", "c.timer"]
        let states = try SystemctlProbe.parseShow(output, units: units)
        #expect(states["a.service"] == .init(unitFileState: "enabled", activeState: "active", subState: "running", loadState: "loaded"))
        #expect(states["b.service"] == .init(unitFileState: "disabled", activeState: "inactive", subState: "dead", loadState: "loaded"))
        #expect(states["missing.service"] == .init(unitFileState: nil, activeState: "inactive", subState: "dead", loadState: "not-found"))
        #expect(states["c.timer"] == .init(unitFileState: "enabled", activeState: "active", subState: "waiting", loadState: "loaded"))
    }

    @Test func blockCountMismatchIsAnError() throws {
        let output = try fixture("systemctl-show-mixed.txt")
        #expect(throws: (any Error).self) { try SystemctlProbe.parseShow(output, units: ["a.service"]) }
    }

    @Test func probeIsOneProcessForAllUnits() throws {
        let output = try fixture("systemctl-show-mixed.txt")
        let units = ["a.service", "b.service", "missing.service", "c.timer"]
        let runner = RecordedRunner([SystemctlProbe.showArgv(units): .init(status: 0, stdout: Data(output.utf8))])
        _ = try SystemctlProbe.live(units, commands: runner)
        #expect(runner.recordedCalls.count == 1)
    }
}
