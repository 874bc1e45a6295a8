import ReconcileCore

/// Local groups through `groupadd`/`groupdel` (`--prefix ROOT` when staged); probed from the
/// account files, no process.
public struct GroupProvider: ResourceProvider {
    public init() {}

    public func validate(_ resources: [Declared<GroupSpec>]) -> [Diagnostic] {
        AccountName.idClashes(resources.filter { $0.meta.state == .present }.map { ($0.spec.gid, $0.meta, "gid") })
    }

    public func probe(_ resources: [Declared<GroupSpec>], host: HostContext) throws -> [GroupObservation] {
        let accounts = try AccountFiles.read(host.files)
        return resources.map { GroupObservation.probe($0.spec, accounts: accounts) }
    }

    public func plan(_ resource: Declared<GroupSpec>, observed: GroupObservation, context: PlanContext) throws -> ResourcePlan {
        let spec = resource.spec
        let prefix = AccountName.prefix(context.root)
        guard resource.meta.state == .present else {
            guard observed.gid != nil else { return .noop }
            if !observed.primaryOf.isEmpty {
                throw PlanProblem("state", "group \(spec.group) is the primary group of \(observed.primaryOf.joined(separator: ", ")); groupdel refuses to remove it")
            }
            return ResourcePlan(
                action: .delete, reasons: ["state is absent and group \(spec.group) exists"],
                steps: [.command(CommandStep(argv: ["groupdel"] + prefix + ["--", spec.group]))], risk: .disruptive)
        }
        if let gid = observed.gid {
            if let wanted = spec.gid, wanted != gid {
                throw PlanProblem("gid", "group \(spec.group) has gid \(gid), not \(wanted); reconcile does not renumber groups (files keep the old id): change it by hand or fix the manifest")
            }
            return .noop
        }
        if let wanted = spec.gid, let other = observed.gidTakenBy {
            throw PlanProblem("gid", "gid \(wanted) belongs to group \(other)")
        }
        var argv = ["groupadd"] + prefix
        if spec.system { argv.append("--system") }
        if let gid = spec.gid { argv += ["--gid", String(gid)] }
        return ResourcePlan(
            action: .create, reasons: ["group \(spec.group) does not exist"],
            steps: [.command(CommandStep(argv: argv + ["--", spec.group]))])
    }
}
