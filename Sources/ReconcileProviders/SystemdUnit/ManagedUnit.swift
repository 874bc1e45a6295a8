import Foundation
import ReconcileCore

/// A unit as some resource wants it; `plan` is the unit planning every unit-managing provider
/// shares (like `ManagedFile` for files): write the file, enable, start/stop, restart on change.
public struct ManagedUnit: Sendable, Equatable {
    public var unit: String
    /// nil when the unit must be gone, or (with `ownsFile` false) when its file is not ours.
    public var content: String?
    /// false for a unit the host already has (a package's): only enablement and activity are managed.
    public var ownsFile = true
    public var enabled: Bool?
    public var active: Bool?
    /// Resources whose changes restart this unit.
    public var restartOn: [ResourceAddress]

    public init(unit: String, content: String?, enabled: Bool? = nil, active: Bool? = nil, restartOn: [ResourceAddress] = []) {
        self.unit = unit
        self.content = content
        self.enabled = enabled
        self.active = active
        self.restartOn = restartOn
    }

    public var path: String { Self.path(of: unit) }

    /// Where reconcile writes unit files, and where systemctl makes its links.
    static let folder = "/etc/systemd/system"

    public static func path(of unit: String) -> String { "\(folder)/\(unit)" }

    /// One stat per unit file, one read of the unit folders, and at most two `systemctl` calls
    /// for all units: `list-units` (live) and `is-enabled` for what the files cannot tell.
    /// `notOwned`: units whose file may be anywhere systemd looks (a package's), not only in
    /// /etc/systemd/system.
    public static func probe(_ units: [String], notOwned: Set<String> = [], host: HostContext) throws -> [UnitObservation] {
        try probe(units, notOwned: notOwned, host: host, live: host.root.isLive)
    }

    /// `live` apart from the root: tests read a live host's unit files from a folder.
    static func probe(_ units: [String], notOwned: Set<String> = [], host: HostContext, live: Bool) throws -> [UnitObservation] {
        guard !units.isEmpty else { return [] }
        let files = try units.map { try FileObservation.probe(path(of: $0), files: host.files) }
        // The unit folders, listed once: where a unit's file is, and (UnitFileStates) its state.
        let searchPath = try UnitSearchPath(files: host.files)
        var present: [String] = []
        var missing: [String] = []
        for (unit, file) in zip(units, files) {
            // Live, systemd answered for every unit; staged, only for ours and the packages'.
            if file.exists || ((live || notOwned.contains(unit)) && searchPath.unitFile(unit) != nil) {
                present.append(unit)
            } else if live || notOwned.contains(unit) {
                missing.append(unit)
            }
        }
        var states = try fileStates(present, host: host, searchPath: searchPath, stagedRoot: live ? nil : host.root)
        for unit in missing { states[unit] = SystemctlProbe.UnitState(loadState: "not-found") }
        if live {
            let loaded = try SystemctlProbe.loaded(commands: host.commands)
            for unit in units {
                var state = states[unit] ?? SystemctlProbe.UnitState()
                let listed = loaded[unit]
                // Not loaded: not running either; its load state is told only when it is missing.
                state.activeState = listed?.activeState ?? "inactive"
                state.subState = listed?.subState ?? "dead"
                state.loadState = listed?.loadState ?? state.loadState
                states[unit] = state
            }
        }
        let unclear = Set(units.filter { ["enabled-runtime", "generated"].contains(states[$0]?.unitFileState ?? "") })
        let linked = unclear.isEmpty ? [] : try persistentlyLinked(files: host.files)
        return try zip(units, files).map { unit, file in
            let state = states[unit]
            let notEnableable = state?.unitFileState == "static" || (state?.unitFileState == "enabled-runtime" && !linked.contains(unit))
            return UnitObservation(
                file: file, unitFileState: state?.unitFileState, activeState: state?.activeState, subState: state?.subState,
                loadState: state?.loadState, persistentLinks: unclear.contains(unit) ? linked.contains(unit) : nil,
                installable: notEnableable ? try searchPath.isInstallable(unit, files: host.files) : nil)
        }
    }

    /// From the unit files and links where they tell, from one `systemctl is-enabled` for the rest.
    private static func fileStates(
        _ units: [String], host: HostContext, searchPath: UnitSearchPath, stagedRoot: HostRoot?
    ) throws -> [String: SystemctlProbe.UnitState] {
        let read = try UnitFileStates(files: host.files, searchPath: searchPath)
        var states: [String: SystemctlProbe.UnitState] = [:]
        var unclear: [String] = []
        for unit in units {
            if let state = try read.state(of: unit) {
                states[unit] = SystemctlProbe.UnitState(unitFileState: state)
            } else {
                unclear.append(unit)
            }
        }
        return states.merging(try SystemctlProbe.isEnabled(unclear, stagedRoot: stagedRoot, commands: host.commands)) { read, _ in read }
    }

    /// Units that persistent links start: `/etc/systemd/system/*.{wants,requires}/UNIT`, and
    /// SysV scripts with an `/etc/rc[2-5].d/S??NAME` link (as `systemd-sysv-install is-enabled`).
    static func persistentlyLinked(files: any ReadableFileSystem) throws -> Set<String> {
        var linked = Set<String>()
        for folder in try files.entries("/etc/systemd/system") ?? [] where folder.hasSuffix(".wants") || folder.hasSuffix(".requires") {
            linked.formUnion(try files.entries("/etc/systemd/system/\(folder)") ?? [])
        }
        for level in ["2", "3", "4", "5"] {
            for name in try files.entries("/etc/rc\(level).d") ?? [] where name.hasPrefix("S") && name.count > 3 {
                linked.insert(String(name.dropFirst(3)) + ".service")
            }
        }
        return linked
    }

    public func plan(against observed: UnitObservation, context: PlanContext) throws -> ResourcePlan {
        guard content != nil || !ownsFile else { return planRemoval(observed, live: context.root.isLive) }
        return try planPresence(content, observed: observed, context: context)
    }

    private func planRemoval(_ observed: UnitObservation, live: Bool) -> ResourcePlan {
        var plan = ResourcePlan(action: .noop)
        if live && observed.isActive {
            plan.steps.append(.systemctl(SystemctlStep(.stop, unit)))
            plan.reasons.append("\(unit) is running (\(observed.activeState ?? "?")) and must go")
            plan.risk = .disruptive
        }
        if observed.isEnabled {
            plan.steps.append(.systemctl(SystemctlStep(.disable, unit)))
        }
        if observed.file.exists {
            plan.steps.append(.removeFile(RemoveFileStep(path: path, backup: true, needsDaemonReload: live)))
            plan.reasons.append("state is absent and \(path) exists")
        }
        if !plan.steps.isEmpty { plan.action = .delete }
        return plan
    }

    private func planPresence(_ content: String?, observed: UnitObservation, context: PlanContext) throws -> ResourcePlan {
        var outcome = ManagedFile.Outcome(action: .noop)
        if let content {
            var file = ManagedFile(path: path, content: Data(content.utf8), mode: 0o644)
            file.needsDaemonReload = context.root.isLive
            outcome = try file.plan(against: observed.file)
        } else if observed.loadState == "not-found" {
            throw PlanProblem(
                "name", "\(unit) does not exist on this host\(context.root.isLive ? "" : " (no unit file for it under \(context.root.path))"): "
                    + "install the package that ships it first (and make this resource depend on that), or give its content")
        }
        var plan = ResourcePlan(action: outcome.action, reasons: outcome.reasons, steps: outcome.steps)
        // The file this plan writes decides; otherwise the one the host has.
        let installable = content.map(UnitSpec.hasInstallSection) ?? observed.installable
        if enabled == true && !observed.isEnabled && installable == false {
            throw PlanProblem(
                "enabled", "\(unit) cannot be enabled: its unit file has no [Install] section (\(observed.unitFileState ?? "static")); "
                    + "something else starts it (another unit's Wants=, a generator). Leave out enabled:, and enable the unit that pulls it in")
        }
        if enabled == true && !observed.isEnabled {
            plan.steps += enableSteps(content: content, live: context.root.isLive, writesFile: outcome.contentChanges)
            plan.reasons.append("not enabled (\(observed.unitFileState ?? "no unit file yet"))")
        } else if enabled == false && observed.isEnabled {
            plan.steps.append(.systemctl(SystemctlStep(.disable, unit)))
            plan.reasons.append("enabled, but enabled: false")
        }
        if context.root.isLive {
            planActivity(observed, contentChanges: outcome.contentChanges, context: context, into: &plan)
        } else if active != nil {
            plan.warnings.append("active: is not managed under --root \(context.root.path): no systemd runs there")
        }
        if plan.action == .noop && (!plan.steps.isEmpty || !plan.triggers.isEmpty) {
            plan.action = .update
        }
        return plan
    }

    /// The links `systemctl enable` would make, made by the executor (no process per unit): under
    /// a staging root, and live when this plan writes the unit file (its write queues the one
    /// daemon-reload that makes systemd see both). Otherwise, or when only systemctl can tell,
    /// `systemctl enable`.
    private func enableSteps(content: String?, live: Bool, writesFile: Bool) -> [Step] {
        if !live || writesFile, ownsFile, let content, let links = InstallSection(content).enableLinks(unit: unit, path: path), !links.isEmpty {
            return links.map { .link(LinkStep(path: $0.path, target: $0.target, reason: "systemctl enable \(unit)")) }
        }
        return [.systemctl(SystemctlStep(.enable, unit))]
    }

    /// Start/stop, or a restart when the file or a declared input changed and the unit keeps running.
    private func planActivity(
        _ observed: UnitObservation, contentChanges: Bool, context: PlanContext, into plan: inout ResourcePlan
    ) {
        let runningState = observed.activeState ?? "unknown"
        if active == true && !observed.isActive {
            plan.steps.append(.systemctl(SystemctlStep(.start, unit)))
            plan.reasons.append("\(runningState), but active: true")
            return
        }
        if active == false && observed.isActive {
            plan.steps.append(.systemctl(SystemctlStep(.stop, unit)))
            plan.reasons.append("\(runningState), but active: false")
            plan.risk = max(plan.risk, .disruptive)
            return
        }
        guard observed.isActive else { return }
        let changedInputs = restartOn.filter { context.changing.contains($0) }
        if contentChanges || !changedInputs.isEmpty {
            plan.triggers.append(.restart(unit: unit))
            plan.triggerCauses = changedInputs
            let why = (contentChanges ? ["its unit file"] : []) + changedInputs.map(\.description)
            plan.reasons.append("restart, since \(why.joined(separator: " and ")) changed")
            plan.risk = max(plan.risk, .restart)
        }
    }
}

extension ManagedUnit {
    /// One change from the plans of its units: file steps before systemctl ones when creating
    /// (so systemd reloads once), stops before removals when deleting.
    static func merge(_ planned: [(unit: String, plan: ResourcePlan)], fileStepsFirst: Bool) -> ResourcePlan {
        var merged = ResourcePlan(action: .noop)
        var fileSteps: [Step] = []
        var systemctlSteps: [Step] = []
        for (unit, plan) in planned {
            merged.reasons += plan.reasons.map { $0.hasPrefix(unit) ? $0 : "\(unit): \($0)" }
            for step in plan.steps {
                if case .systemctl = step { systemctlSteps.append(step) } else { fileSteps.append(step) }
            }
            merged.triggers += plan.triggers
            merged.triggerCauses += plan.triggerCauses
            merged.warnings += plan.warnings.filter { !merged.warnings.contains($0) }
            merged.risk = max(merged.risk, plan.risk)
            if plan.action != .noop { merged.action = fileStepsFirst ? .update : .delete }
        }
        merged.steps = fileStepsFirst ? fileSteps + systemctlSteps : systemctlSteps + fileSteps
        return merged
    }
}
