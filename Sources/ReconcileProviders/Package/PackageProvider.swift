import ReconcileCore

/// Debian packages: one `dpkg-query` and one `apt-cache policy` for all of them; one
/// `apt-get install` (and one `apt-get remove`) per apply for all that change.
public struct PackageProvider: ResourceProvider {
    public init() {}

    public func probe(_ resources: [Declared<PackageSpec>], host: HostContext) throws -> [PackageObservation] {
        guard !resources.isEmpty else { return [] }
        let names = resources.map(\.spec.package)
        let hasDatabase = try host.root.isLive || host.files.status("/var/lib/dpkg/status") != nil
        guard hasDatabase else {
            var none = PackageObservation.unknown
            none.noDatabase = true
            return resources.map { _ in none }
        }
        let status = try host.commands.run(Command(DpkgQuery.statusArgv(names, root: host.root)))
        // 1: some names are unknown to dpkg (said on stderr); anything else is a failure.
        guard status.status == 0 || status.status == 1 else {
            throw ReconcileError.probeFailed(
                kind: Self.kind,
                reason: CommandFailure(argv: DpkgQuery.statusArgv(names, root: host.root), status: status.status, stderr: status.stderrText).description)
        }
        let installed = DpkgQuery.parseStatus(status.stdoutText)
        let policyArgv = DpkgQuery.policyArgv(names, root: host.root)
        let policy = try host.commands.checked(Command(policyArgv, environment: Self.environment))
        let policies = DpkgQuery.parsePolicy(policy.stdoutText)
        let untrusted = host.root.isLive ? nil : try StagedRootTrust.problem(host.root, files: host.files)
        var observations = resources.map { resource -> PackageObservation in
            let entry = installed[resource.spec.package]
            let offered = policies[resource.spec.package]
            return PackageObservation(
                status: entry?.status, version: entry?.version, candidate: offered?.candidate, available: offered?.available ?? [],
                alsoRemoves: nil, noDatabase: nil, untrustedRoot: untrusted)
        }
        try noteDependentsOfRemovals(resources, &observations, host: host)
        return observations
    }

    /// What `apt-get remove` of the absent ones would take with it, simulated once.
    private func noteDependentsOfRemovals(
        _ resources: [Declared<PackageSpec>], _ observations: inout [PackageObservation], host: HostContext
    ) throws {
        let removing = zip(resources, observations).filter { $0.0.meta.state == .absent && $0.1.isInstalled }.map(\.0.spec.package)
        guard !removing.isEmpty else { return }
        let argv = DpkgQuery.simulateRemovalArgv(removing, root: host.root)
        let result = try host.commands.checked(Command(argv, environment: Self.environment))
        // apt names packages with their architecture (`tor:amd64`); a manifest may not.
        let withoutArchitecture = { (name: String) in name.split(separator: ":").first.map(String.init) ?? name }
        let declaredAbsent = Set(resources.filter { $0.meta.state == .absent }.map { withoutArchitecture($0.spec.package) })
        let others = DpkgQuery.parseRemovals(result.stdoutText).filter { !declaredAbsent.contains(withoutArchitecture($0)) }
        for index in resources.indices where resources[index].meta.state == .absent && observations[index].isInstalled {
            observations[index].alsoRemoves = others
        }
    }

    public func plan(_ resource: Declared<PackageSpec>, observed: PackageObservation, context: PlanContext) throws -> ResourcePlan {
        let spec = resource.spec
        if observed.noDatabase == true {
            throw PlanProblem("name", "\(context.root.path) has no dpkg database (var/lib/dpkg/status): packages go only into a Debian system")
        }
        if let problem = observed.untrustedRoot {
            throw PlanProblem("name", "refusing to run apt-get in \(context.root.path) (through chroot, as root): \(problem)")
        }
        guard resource.meta.state == .present else { return try planRemoval(spec, observed: observed, root: context.root) }
        let wanted = spec.version ?? (observed.isInstalled ? observed.version : observed.candidate)
        if observed.isInstalled, spec.version == nil || observed.version == spec.version { return .noop }
        guard let wanted, observed.available.contains(wanted) || observed.candidate == wanted else {
            if let version = spec.version {
                let offered = observed.available.isEmpty ? "the apt sources offer none" : "the apt sources offer \(observed.available.joined(separator: ", "))"
                throw PlanProblem("version", "\(spec.package) \(version) is not available (\(offered)); run apt-get update, or change the version")
            }
            throw PlanProblem(
                "name",
                "no package \(TerminalText.quoted(spec.package)) in the apt sources (apt-cache policy knows no installable version; a virtual package, a typo, or apt-get update not run?)")
        }
        if observed.isHeld {
            throw PlanProblem("name", "\(spec.package) is held (apt-mark showhold); run apt-mark unhold \(spec.package) to let reconcile change it")
        }
        let reason = observed.isInstalled
            ? "\(spec.package) \(observed.version ?? "?") is installed, \(wanted) is wanted"
            : "\(spec.package) is not installed\(observed.status.map { " (dpkg status \($0))" } ?? ""); \(wanted) will be"
        return ResourcePlan(
            action: observed.isInstalled ? .update : .create, reasons: [reason],
            steps: [.command(Self.install(spec.version == nil ? spec.package : "\(spec.package)=\(wanted)", root: context.root))],
            risk: observed.isInstalled ? .restart : .safe)
    }

    private func planRemoval(_ spec: PackageSpec, observed: PackageObservation, root: HostRoot) throws -> ResourcePlan {
        guard observed.isInstalled || observed.status.map({ $0.dropFirst().first != "n" && $0.dropFirst().first != "c" }) == true else {
            return .noop
        }
        if observed.isHeld {
            throw PlanProblem("name", "\(spec.package) is held (apt-mark showhold); run apt-mark unhold \(spec.package) to let reconcile remove it")
        }
        if let others = observed.alsoRemoves, !others.isEmpty {
            throw PlanProblem(
                "state",
                "removing \(spec.package) would also remove \(others.joined(separator: ", ")) (apt-get --simulate remove): declare them absent too, or keep \(spec.package)")
        }
        return ResourcePlan(
            action: .delete,
            reasons: ["state is absent and \(spec.package)\(observed.version.map { " \($0)" } ?? "") is installed; its configuration files stay (not purged)"],
            steps: [.command(Self.remove(spec.package, root: root))], risk: .disruptive)
    }

    /// Never a question, never a configuration file replaced without asking, never a removal
    /// apt would make on its own to resolve a conflict (`--no-remove`).
    static let environment = ["DEBIAN_FRONTEND": "noninteractive", "APT_LISTCHANGES_FRONTEND": "none", "LC_ALL": "C.UTF-8"]
    static let options = [
        "-y", "-q", "-o", "Dpkg::Options::=--force-confdef", "-o", "Dpkg::Options::=--force-confold", "-o", "Dpkg::Use-Pty=0",
    ]

    /// dpkg logs each package's state changes as they happen: the apt run's progress.
    static func dpkgLog(_ marker: String, _ unit: String) -> ProgressLog {
        ProgressLog(path: "/var/log/dpkg.log", marker: marker, unit: unit)
    }

    static func chroot(_ root: HostRoot) -> [String] {
        root.isLive ? [] : ["chroot", "--", root.path]
    }

    static func install(_ item: String, root: HostRoot) -> CommandStep {
        CommandStep(
            batch: CommandBatch(
                key: "apt-get install",
                // A pinned version below the installed one is a downgrade the plan names; apt
                // refuses it under -y without --allow-downgrades.
                command: chroot(root) + ["apt-get", "install"] + options
                    + ["--no-install-recommends", "--no-remove", "--allow-downgrades", "--"],
                items: [item], progressLog: dpkgLog(" status installed ", "installed so far")),
            environment: environment)
    }

    static func remove(_ package: String, root: HostRoot) -> CommandStep {
        CommandStep(
            batch: CommandBatch(
                key: "apt-get remove", command: chroot(root) + ["apt-get", "remove"] + options + ["--"], items: [package],
                progressLog: dpkgLog(" status not-installed ", "removed so far")),
            environment: environment)
    }
}
