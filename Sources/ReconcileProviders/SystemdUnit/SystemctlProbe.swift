import Foundation
import ReconcileCore

/// Asks systemd about many units in one process: `systemctl list-units` for what is loaded
/// live, `systemctl is-enabled` for the unit files only systemd can tell about.
enum SystemctlProbe {
    struct UnitState: Equatable {
        var unitFileState: String?
        var activeState: String?
        var subState: String?
        var loadState: String?
    }

    /// Every unit systemd has loaded, as JSON (systemd ≥ 246), one process whatever the count.
    static let listArgv = ["systemctl", "list-units", "--all", "--no-pager", "--output=json"]

    private struct ListedUnit: Decodable {
        var unit: String
        var load: String
        var active: String
        var sub: String
    }

    /// A unit that is not listed is not loaded, so not active: systemd loads a unit to start it.
    /// Asking `systemctl show` about units instead makes systemd load each one it is asked about
    /// (minutes for 2,000 units under emulation).
    static func parseList(_ output: Data) throws -> [String: UnitState] {
        let listed: [ListedUnit]
        do {
            listed = try JSONDecoder().decode([ListedUnit].self, from: output)
        } catch {
            throw ReconcileError.probeFailed(kind: "SystemdUnit", reason: "\(listArgv.joined(separator: " ")) printed what is not its JSON: \(error)")
        }
        var states: [String: UnitState] = [:]
        for unit in listed {
            states[unit.unit] = UnitState(activeState: unit.active, subState: unit.sub, loadState: unit.load)
        }
        return states
    }

    static func loaded(commands: any CommandRunner) throws -> [String: UnitState] {
        let result = try commands.run(Command(listArgv))
        guard result.status == 0 else {
            throw ReconcileError.probeFailed(
                kind: "SystemdUnit",
                reason: CommandFailure(argv: listArgv, status: result.status, stderr: result.stderrText).description
                    + " (is systemd running? use --root DIR to stage, or --facts FILE)")
        }
        return try parseList(result.stdout)
    }

    /// Live without `stagedRoot`.
    static func isEnabledArgv(_ units: [String], stagedRoot: HostRoot?) -> [String] {
        ["systemctl"] + (stagedRoot.map { ["--root=\($0.path)"] } ?? []) + ["is-enabled", "--"] + units
    }

    /// Only for units whose file exists: `is-enabled` stops at the first missing one.
    static func isEnabled(_ units: [String], stagedRoot: HostRoot?, commands: any CommandRunner) throws -> [String: UnitState] {
        guard !units.isEmpty else { return [:] }
        let argv = isEnabledArgv(units, stagedRoot: stagedRoot)
        let result = try commands.run(Command(argv))
        let lines = result.stdoutText.split(separator: "\n").map(String.init)
        guard lines.count == units.count else {
            throw ReconcileError.probeFailed(
                kind: "SystemdUnit",
                reason: CommandFailure(argv: argv, status: result.status, stderr: result.stderrText).description)
        }
        return Dictionary(uniqueKeysWithValues: zip(units, lines.map { UnitState(unitFileState: $0) }))
    }
}
