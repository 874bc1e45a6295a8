import ReconcileCore

/// Local accounts through `useradd`/`usermod`/`userdel` (`--prefix ROOT` when staged), with
/// subordinate ids for rootless containers and lingering for user services. Probed from the
/// account files, no process.
public struct UserProvider: ResourceProvider {
    public init() {}

    public func validate(_ resources: [Declared<UserSpec>]) -> [Diagnostic] {
        let present = resources.filter { $0.meta.state == .present }
        var diagnostics = AccountName.idClashes(present.map { ($0.spec.uid, $0.meta, "uid") })
        var claimed: [(IdRange, ResourceMeta)] = []
        for resource in present {
            guard let ids = resource.spec.subordinateIds, let start = ids.start else { continue }
            let range = IdRange(start: start, count: ids.count)
            if let other = claimed.first(where: { $0.0.overlaps(range) }) {
                diagnostics.append(.error(
                    at: resource.meta.mark(for: "subordinateIds.start"), keyPath: "subordinateIds.start",
                    "\(resource.address): subordinate ids \(range.usermodArgument) overlap \(other.1.address)'s \(other.0.usermodArgument)"))
            }
            claimed.append((range, resource.meta))
        }
        return diagnostics
    }

    public func probe(_ resources: [Declared<UserSpec>], host: HostContext) throws -> [UserObservation] {
        try UserObservation.probe(resources, accounts: AccountFiles.read(host.files), files: host.files)
    }

    public func plan(_ resource: Declared<UserSpec>, observed: UserObservation, context: PlanContext) throws -> ResourcePlan {
        let spec = resource.spec
        let prefix = AccountName.prefix(context.root)
        guard resource.meta.state == .present else {
            guard observed.exists else { return .noop }
            // userdel refuses a user with processes: a lingering user's systemd instance is one.
            var linger = observed.linger ? [lingerStep(spec.user, enable: false, root: context.root)] : []
            if observed.linger, context.root.isLive, let uid = observed.uid {
                linger.append(.systemctl(SystemctlStep(.stop, "user@\(uid).service")))
            }
            return ResourcePlan(
                action: .delete, reasons: ["state is absent and user \(spec.user) exists; its home and files stay"],
                steps: linger + [.command(CommandStep(argv: ["userdel"] + prefix + ["--", spec.user]))], risk: .disruptive)
        }
        var problems: [PlanProblem] = []
        let missing = observed.missingGroups.filter { !context.pendingAccounts.groups.contains($0) }
        for group in missing {
            problems.append(PlanProblem(
                spec.group == group ? "group" : "groups",
                "no group \(TerminalText.quoted(group)) on this host, and no Group in the manifests creates it"))
        }
        if let other = observed.uidTakenBy, !observed.exists || observed.uid != spec.uid {
            problems.append(PlanProblem("uid", "uid \(spec.uid.map(String.init) ?? "") belongs to user \(other)"))
        }
        if let uid = observed.uid, let wanted = spec.uid, uid != wanted {
            problems.append(PlanProblem(
                "uid", "user \(spec.user) has uid \(uid), not \(wanted); reconcile does not renumber users (files keep the old id)"))
        }
        if let ids = spec.subordinateIds, observed.needsRange(ids) {
            if let holder = observed.rangeTakenBy, let range = observed.proposedRange {
                problems.append(PlanProblem("subordinateIds.start", "subordinate ids \(range.usermodArgument) overlap \(holder)'s"))
            } else if observed.proposedRange == nil {
                problems.append(PlanProblem("subordinateIds.count", "no free range of \(ids.count) subordinate ids below \(UserObservation.subordinateMaximum)"))
            }
        }
        if !problems.isEmpty { throw PlanProblems(problems) }
        return observed.exists ? update(spec, observed: observed, prefix: prefix, root: context.root) : create(spec, observed: observed, prefix: prefix, root: context.root)
    }

    private func create(_ spec: UserSpec, observed: UserObservation, prefix: [String], root: HostRoot) -> ResourcePlan {
        var argv = ["useradd"] + prefix
        if spec.system { argv.append("--system") }
        if let uid = spec.uid { argv += ["--uid", String(uid)] }
        argv += spec.group.map { ["--gid", $0] } ?? ["--user-group"]
        if !spec.groups.isEmpty { argv += ["--groups", spec.groups.joined(separator: ",")] }
        if let home = spec.home { argv += ["--home-dir", home, "--create-home"] } else { argv.append("--no-create-home") }
        if let shell = spec.shell { argv += ["--shell", shell] }
        // The range the plan shows is the only one: useradd would add its own for a non-system user.
        if spec.subordinateIds != nil { argv += ["-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0"] }
        var steps: [Step] = [.command(CommandStep(argv: argv + ["--", spec.user]))]
        var reasons = ["user \(spec.user) does not exist"]
        steps += subordinateSteps(spec, observed: observed, prefix: prefix, reasons: &reasons)
        if spec.linger == true { steps.append(lingerStep(spec.user, enable: true, root: root)) }
        return ResourcePlan(action: .create, reasons: reasons, steps: steps)
    }

    private func update(_ spec: UserSpec, observed: UserObservation, prefix: [String], root: HostRoot) -> ResourcePlan {
        var options: [String] = []
        var reasons: [String] = []
        if let group = spec.group, observed.primaryGroup != group {
            options += ["--gid", group]
            reasons.append("primary group is \(observed.primaryGroup ?? "none"), \(group) is wanted")
        }
        let joining = spec.groups.filter { !observed.memberOf.contains($0) }
        if !joining.isEmpty {
            options += ["--append", "--groups", joining.joined(separator: ",")]
            reasons.append("not in \(joining.joined(separator: ", "))")
        }
        if let home = spec.home, observed.home != home {
            options += ["--home", home]
            reasons.append("home is \(observed.home ?? "none"), \(home) is wanted (the old one is not moved)")
        }
        if let shell = spec.shell, observed.shell != shell {
            options += ["--shell", shell]
            reasons.append("shell is \(observed.shell ?? "none"), \(shell) is wanted")
        }
        var steps: [Step] = options.isEmpty ? [] : [.command(CommandStep(argv: ["usermod"] + prefix + options + ["--", spec.user]))]
        steps += subordinateSteps(spec, observed: observed, prefix: prefix, reasons: &reasons)
        if let linger = spec.linger, linger != observed.linger {
            steps.append(lingerStep(spec.user, enable: linger, root: root))
            reasons.append(linger ? "does not linger" : "lingers")
        }
        guard !steps.isEmpty else { return .noop }
        return ResourcePlan(action: .update, reasons: reasons, steps: steps, risk: options.contains("--home") ? .restart : .safe)
    }

    private func subordinateSteps(_ spec: UserSpec, observed: UserObservation, prefix: [String], reasons: inout [String]) -> [Step] {
        guard let ids = spec.subordinateIds, observed.needsRange(ids), let range = observed.proposedRange else { return [] }
        let uids = observed.lacksUids(ids) ? ["--add-subuids", range.usermodArgument] : []
        let gids = observed.lacksGids(ids) ? ["--add-subgids", range.usermodArgument] : []
        let which = [uids.isEmpty ? nil : "uids", gids.isEmpty ? nil : "gids"].compactMap { $0 }.joined(separator: " and ")
        reasons.append("fewer than \(ids.count) subordinate \(which); adding \(range.usermodArgument)")
        return [.command(CommandStep(argv: ["usermod"] + prefix + uids + gids + ["--", spec.user]))]
    }

    /// Live, logind starts the user's manager at once; staged, the flag file is what it reads at boot.
    private func lingerStep(_ user: String, enable: Bool, root: HostRoot) -> Step {
        let path = "/var/lib/systemd/linger/\(user)"
        guard root.isLive else {
            return enable ? .writeFile(WriteFileStep(path: path, content: .init(), mode: 0o644, backup: false)) : .removeFile(RemoveFileStep(path: path, backup: false))
        }
        return .command(CommandStep(argv: ["loginctl", enable ? "enable-linger" : "disable-linger", "--", user]))
    }
}
