import Foundation
import ReconcileCore

/// Manages a unit file and its enabled/active state; restarts only when its file or its inputs changed.
public struct SystemdUnitProvider: ResourceProvider {
    public typealias Spec = UnitSpec
    public typealias Observed = UnitObservation

    public static let kind = "SystemdUnit"
    public static let keys = UnitSpec.keys

    public init() {}

    public func decode(_ reader: ObjectReader, context: DecodeContext) -> UnitSpec? {
        UnitSpec.decode(reader, context: context)
    }

    public func probe(_ resources: [Declared<UnitSpec>], host: HostContext) throws -> [UnitObservation] {
        let files = try resources.map { try FileObservation.probe($0.spec.path, files: host.files) }
        let units = resources.map(\.spec.unit)
        let states: [String: SystemctlProbe.UnitState]
        if host.root.isLive {
            states = try SystemctlProbe.live(units, commands: host.commands)
        } else {
            let present = zip(units, files).filter { $0.1.exists }.map(\.0)
            states = try SystemctlProbe.staged(present, root: host.root, commands: host.commands)
        }
        return zip(units, files).map { unit, file in
            let state = states[unit]
            return UnitObservation(
                file: file, unitFileState: state?.unitFileState, activeState: state?.activeState, subState: state?.subState)
        }
    }

    public func plan(_ resource: Declared<UnitSpec>, observed: UnitObservation, context: PlanContext) throws -> ResourcePlan {
        resource.meta.state == .absent
            ? planRemoval(resource.spec, observed: observed, live: context.root.isLive)
            : try planPresence(resource.spec, observed: observed, context: context)
    }

    private func planRemoval(_ spec: UnitSpec, observed: UnitObservation, live: Bool) -> ResourcePlan {
        var plan = ResourcePlan(action: .noop)
        if live && observed.isActive {
            plan.steps.append(.systemctl(SystemctlStep(.stop, spec.unit)))
            plan.reasons.append("\(spec.unit) is running (\(observed.activeState ?? "?")) and must go")
            plan.risk = .disruptive
        }
        if observed.isEnabled {
            plan.steps.append(.systemctl(SystemctlStep(.disable, spec.unit)))
        }
        if observed.file.exists {
            plan.steps.append(.removeFile(RemoveFileStep(path: spec.path, backup: true, needsDaemonReload: live)))
            plan.reasons.append("state is absent and \(spec.path) exists")
        }
        if !plan.steps.isEmpty { plan.action = .delete }
        return plan
    }

    private func planPresence(_ spec: UnitSpec, observed: UnitObservation, context: PlanContext) throws -> ResourcePlan {
        var file = ManagedFile(path: spec.path, content: Data((spec.content ?? "").utf8), mode: 0o644)
        file.needsDaemonReload = context.root.isLive
        let outcome = try file.plan(against: observed.file)
        var plan = ResourcePlan(action: outcome.action, reasons: outcome.reasons, steps: outcome.steps)
        if spec.enabled == true && !observed.isEnabled {
            plan.steps.append(.systemctl(SystemctlStep(.enable, spec.unit)))
            plan.reasons.append("not enabled (\(observed.unitFileState ?? "no unit file yet"))")
        } else if spec.enabled == false && observed.isEnabled {
            plan.steps.append(.systemctl(SystemctlStep(.disable, spec.unit)))
            plan.reasons.append("enabled, but enabled: false")
        }
        if context.root.isLive {
            planActivity(spec, observed: observed, contentChanges: outcome.contentChanges, context: context, into: &plan)
        } else if spec.active != nil {
            plan.warnings.append("active: is not managed under --root \(context.root.path): no systemd runs there")
        }
        if plan.action == .noop && (!plan.steps.isEmpty || !plan.triggers.isEmpty) {
            plan.action = .update
        }
        return plan
    }

    /// Start/stop, or a restart when the file or a declared input changed and the unit keeps running.
    private func planActivity(
        _ spec: UnitSpec, observed: UnitObservation, contentChanges: Bool, context: PlanContext, into plan: inout ResourcePlan
    ) {
        let runningState = observed.activeState ?? "unknown"
        if spec.active == true && !observed.isActive {
            plan.steps.append(.systemctl(SystemctlStep(.start, spec.unit)))
            plan.reasons.append("\(runningState), but active: true")
            return
        }
        if spec.active == false && observed.isActive {
            plan.steps.append(.systemctl(SystemctlStep(.stop, spec.unit)))
            plan.reasons.append("\(runningState), but active: false")
            plan.risk = max(plan.risk, .disruptive)
            return
        }
        guard observed.isActive else { return }
        let changedInputs = spec.restartOn.filter { context.changing.contains($0) }
        if contentChanges || !changedInputs.isEmpty {
            plan.triggers.append(.restart(unit: spec.unit))
            plan.triggerCauses = changedInputs
            let why = (contentChanges ? ["its unit file"] : []) + changedInputs.map(\.description)
            plan.reasons.append("restart, since \(why.joined(separator: " and ")) changed")
            plan.risk = max(plan.risk, .restart)
        }
    }
}
