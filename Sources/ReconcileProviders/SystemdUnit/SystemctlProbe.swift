import ReconcileCore

/// Asks systemd about many units in one process: `systemctl show` live, `systemctl --root is-enabled` when staged.
enum SystemctlProbe {
    static let properties = ["Id", "LoadState", "ActiveState", "SubState", "UnitFileState"]

    struct UnitState: Equatable {
        var unitFileState: String?
        var activeState: String?
        var subState: String?
        var loadState: String?
    }

    static func showArgv(_ units: [String]) -> [String] {
        ["systemctl", "show", "--no-pager", "--property=" + properties.joined(separator: ",")] + ["--"] + units
    }

    /// `systemctl show` prints one block of `Key=value` lines per unit, in argument order, blank-line separated.
    static func parseShow(_ output: String, units: [String]) throws -> [String: UnitState] {
        let blocks = output.split(separator: "\n", omittingEmptySubsequences: false)
            .split(separator: "", omittingEmptySubsequences: true)
        guard blocks.count == units.count else {
            throw ReconcileError.probeFailed(
                kind: "SystemdUnit", reason: "systemctl show returned \(blocks.count) blocks for \(units.count) units")
        }
        var result: [String: UnitState] = [:]
        for (unit, block) in zip(units, blocks) {
            var values: [String: String] = [:]
            for line in block {
                guard let equals = line.firstIndex(of: "=") else { continue }
                values[String(line[..<equals])] = String(line[line.index(after: equals)...])
            }
            result[unit] = UnitState(
                unitFileState: values["UnitFileState"].flatMap { $0.isEmpty ? nil : $0 },
                activeState: values["ActiveState"], subState: values["SubState"], loadState: values["LoadState"])
        }
        return result
    }

    static func live(_ units: [String], commands: any CommandRunner) throws -> [String: UnitState] {
        guard !units.isEmpty else { return [:] }
        let argv = showArgv(units)
        let result = try commands.run(Command(argv))
        guard result.status == 0 else {
            throw ReconcileError.probeFailed(
                kind: "SystemdUnit",
                reason: CommandFailure(argv: argv, status: result.status, stderr: result.stderrText).description
                    + " (is systemd running? use --root DIR to stage, or --facts FILE)")
        }
        return try parseShow(result.stdoutText, units: units)
    }

    static let unitFolders = ["/etc/systemd/system", "/run/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"]

    /// Whether a staged root has a file for `unit` (or, for an instance `a@b.service`, its template
    /// `a@.service`) where systemd looks for one.
    static func hasUnitFile(_ unit: String, files: any HostFileSystem) throws -> Bool {
        try unitFile(unit, files: files) != nil
    }

    /// Where systemd finds the file of `unit`: the unit's own, else its template's.
    static func unitFile(_ unit: String, files: any HostFileSystem) throws -> String? {
        var names = [unit]
        if let at = unit.firstIndex(of: "@"), let dot = unit.lastIndex(of: "."), at < dot {
            names.append(String(unit[...at]) + String(unit[dot...]))
        }
        for name in names {
            for folder in unitFolders where try files.status("\(folder)/\(name)") != nil { return "\(folder)/\(name)" }
        }
        return nil
    }

    /// Whether the unit's file has an `[Install]` section: without one, `systemctl enable` does
    /// nothing and something else (another unit, a generator) must start it.
    static func isInstallable(_ unit: String, files: any HostFileSystem) throws -> Bool? {
        guard let path = try unitFile(unit, files: files) else { return nil }
        return UnitSpec.hasInstallSection(String(decoding: try files.read(path), as: UTF8.self))
    }

    /// Only for units whose file exists: `is-enabled` stops at the first missing one.
    static func staged(_ units: [String], root: HostRoot, commands: any CommandRunner) throws -> [String: UnitState] {
        guard !units.isEmpty else { return [:] }
        let argv = ["systemctl", "--root=\(root.path)", "is-enabled", "--"] + units
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
