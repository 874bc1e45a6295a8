import Foundation
import ReconcileCore

/// Runs GitLab CI jobs in podman containers through gitlab-runner's custom executor: the account,
/// the cache folder, the executor scripts, the `[[runners]]` entry in config.toml (the token read
/// only when the step runs), and the service with its cache purge timer.
public struct GitLabRunnerProvider: ResourceProvider {
    public init() {}

    /// One gitlab-runner process serves one config file: each runner gets its own file, service,
    /// scripts and cache folder.
    public func validate(_ resources: [Declared<GitLabRunnerSpec>]) -> [Diagnostic] {
        PathClaims.conflicts(resources.map { ($0.spec.config, $0.meta) }, key: "config")
            + PathClaims.conflicts(resources.map { ($0.spec.service, $0.meta) }, key: "service")
            + PathClaims.conflicts(resources.map { ($0.spec.scriptsDir, $0.meta) }, key: "scriptsDir")
            + PathClaims.conflicts(resources.map { ($0.spec.hostCacheDir, $0.meta) }, key: "hostCacheDir")
    }

    /// One unit probe (ManagedUnit) for every unit of every runner; a stat and read per file.
    public func probe(_ resources: [Declared<GitLabRunnerSpec>], host: HostContext) throws -> [GitLabRunnerObservation] {
        let roles = RunnerUnits.Role.allCases
        let units = try ManagedUnit.probe(resources.flatMap { RunnerUnits.unitNames($0.spec) }, host: host)
        return try resources.enumerated().map { index, resource in
            let spec = resource.spec
            let scripts = ExecutorScripts(spec: spec)
            let present = resource.meta.state == .present
            var tokenValue: String?
            var token: GitLabRunnerObservation.TokenObservation?
            if present, let reference = spec.token {
                var observed = GitLabRunnerObservation.TokenObservation()
                do {
                    let value = try reference.resolve(environment: host.environment, files: host.files)
                    observed.isAuthenticationToken = value.hasPrefix("glrt-")
                    tokenValue = value
                } catch {
                    observed.problem = "\(error)"
                }
                if case .file(let path) = reference { observed.fileMode = try host.files.status(path)?.mode }
                token = observed
            }
            let keys = RunnerConfig(spec: spec, scripts: scripts).settings.map(\.key)
            let executable = try host.files.status(spec.executable)
            return GitLabRunnerObservation(
                scripts: try ExecutorScripts.Script.allCases.map { try FileObservation.probe(scripts.path($0), files: host.files) },
                config: try RunnerConfig.observe(spec, keys: keys, token: tokenValue, files: host.files),
                units: Array(units[(index * roles.count)..<((index + 1) * roles.count)]),
                hostCacheDir: try FileObservation.probe(spec.hostCacheDir, files: host.files),
                userExists: AccountDatabase.of(host.files).uid(spec.user) != nil,
                groupExists: AccountDatabase.of(host.files).gid(spec.group) != nil,
                userPrimaryGroup: AccountDatabase.of(host.files).primaryGroup(of: spec.user),
                executableRunnable: executable.map { $0.type == .symlink || ($0.type == .file && $0.mode & 0o111 != 0) } ?? false,
                token: token)
        }
    }

    public func plan(
        _ resource: Declared<GitLabRunnerSpec>, observed: GitLabRunnerObservation, context: PlanContext
    ) throws -> ResourcePlan {
        let spec = resource.spec
        guard resource.meta.state == .present, let token = spec.token else {
            return try planRemoval(spec, observed: observed, context: context)
        }
        let isAuthenticationToken = observed.token?.isAuthenticationToken ?? true
        let pending = context.pendingAccounts
        try checkPlannable(spec, observed: observed, legacy: !isAuthenticationToken, live: context.root.isLive, pending: pending)
        var plan = ResourcePlan(action: .noop)
        func add(_ reasons: [String], _ steps: [Step]) {
            plan.reasons += reasons
            plan.steps += steps
        }
        // A User resource that creates the account comes first; otherwise the runner makes its own.
        if !observed.userExists && !pending.users.contains(spec.user) {
            add(["user \(spec.user) does not exist"], [.command(userAdd(spec, groupExists: observed.groupExists))])
        }
        let cache = try cacheFolder(spec, observed: observed.hostCacheDir)
        add(cache.reasons, cache.steps)
        let scripts = ExecutorScripts(spec: spec)
        for script in ExecutorScripts.Script.allCases {
            let file = ManagedFile(path: scripts.path(script), content: Data(scripts.content(script).utf8), mode: 0o755, owner: "root", group: "root")
            let outcome = try file.plan(against: observed.script(script))
            add(outcome.reasons, outcome.steps)
        }
        let config = planConfig(RunnerConfig(spec: spec, scripts: scripts), token: token, observed: observed, authentication: isAuthenticationToken)
        add(config.reasons, config.steps)
        let units = try planUnits(spec, observed: observed, context: context)
        plan.reasons += units.reasons
        plan.steps += units.steps
        plan.triggers = units.triggers
        plan.triggerCauses = units.triggerCauses
        plan.risk = units.risk
        plan.warnings = warnings(spec, observed: observed, legacy: !isAuthenticationToken) + units.warnings
        if units.triggers.contains(.restart(unit: spec.service)) { plan.warnings.append(Self.stopWarning(spec)) }
        let isNew = observed.config.entry == nil && observed.scripts.allSatisfy { !$0.exists } && observed.units.allSatisfy { !$0.file.exists }
        if !plan.steps.isEmpty || !plan.triggers.isEmpty { plan.action = isNew ? .create : .update }
        return plan
    }

    /// Problems that stop the plan, named at the key to fix.
    private func checkPlannable(
        _ spec: GitLabRunnerSpec, observed: GitLabRunnerObservation, legacy: Bool, live: Bool, pending: PendingAccounts
    ) throws {
        let userExists = observed.userExists || pending.users.contains(spec.user)
        let groupExists = observed.groupExists || pending.groups.contains(spec.group)
        var problems: [PlanProblem] = []
        if let problem = observed.token?.problem {
            problems.append(PlanProblem("token", "cannot read the runner token: \(problem)"))
        }
        if let problem = observed.config.problem {
            problems.append(PlanProblem("config", "cannot edit the runner's entry: \(problem)"))
        }
        if !userExists && !live {
            problems.append(PlanProblem(
                "user", "user \(spec.user) does not exist in the staged root; declare it as a User (created with useradd --prefix)"))
        }
        if spec.group != spec.user && !groupExists {
            problems.append(PlanProblem("group", "group \(spec.group) does not exist; declare it as a Group, or leave group: out"))
        } else if spec.group == spec.user && !groupExists && observed.userExists {
            // useradd makes a group of the user's name only for a user it creates.
            let primary = observed.userPrimaryGroup.map { "; its primary group is \($0): set group: \($0)" } ?? ""
            problems.append(PlanProblem(
                "group", "the group defaults to the user's name, and user \(spec.user) exists without a group \(spec.group)\(primary)"))
        }
        if legacy && observed.config.entry == nil {
            if !live {
                problems.append(PlanProblem(
                    "token", "a registration token needs `gitlab-runner register`, which cannot run under --root; use a runner authentication token (glrt-…)"))
            } else if !observed.executableRunnable {
                problems.append(PlanProblem(
                    "executable", "\(spec.executable) is not an executable file: install gitlab-runner first (registration runs it)"))
            }
        }
        if !problems.isEmpty { throw PlanProblems(problems) }
    }

    private func userAdd(_ spec: GitLabRunnerSpec, groupExists: Bool) -> CommandStep {
        let group = spec.group == spec.user && !groupExists ? ["--user-group"] : ["--gid", spec.group]
        return CommandStep(argv: [
            "useradd", "--system", "--create-home", "--home-dir", spec.home, "--shell", "/usr/sbin/nologin",
        ] + group + ["--comment", "GitLab Runner", spec.user])
    }

    /// Written by the jobs (as the runner's user), read by nobody else.
    private func cacheFolder(_ spec: GitLabRunnerSpec, observed: FileObservation) throws -> (reasons: [String], steps: [Step]) {
        guard observed.exists else {
            return (["\(spec.hostCacheDir) does not exist"],
                    [.createDirectory(CreateDirectoryStep(path: spec.hostCacheDir, mode: 0o750, owner: spec.user, group: spec.group))])
        }
        guard observed.type == .directory else {
            throw ReconcileError.notAllowed("\(spec.hostCacheDir) is a \(observed.type?.rawValue ?? "special file"), not a folder; hostCacheDir must be one")
        }
        guard !ManagedFile.same(spec.user, name: observed.owner, id: observed.uid) else { return ([], []) }
        return (["\(spec.hostCacheDir): owner \(observed.owner ?? "?") → \(spec.user) (jobs write there)"],
                [.setAttributes(SetAttributesStep(path: spec.hostCacheDir, owner: spec.user, group: spec.group))])
    }

    private func planConfig(
        _ config: RunnerConfig, token: SecretReference, observed: GitLabRunnerObservation, authentication: Bool
    ) -> (reasons: [String], steps: [Step]) {
        let spec = config.spec
        var settings = config.settings
        if authentication { settings.insert(.init(RunnerConfig.tokenKey, .secret(token)), at: 1) }
        guard let entry = observed.config.entry else {
            let directory = RunnerConfig.directory(of: spec.config)
            let folder: [Step] = observed.config.directoryExists ? [] : [
                .createDirectory(CreateDirectoryStep(path: directory, mode: 0o700, owner: spec.user, group: spec.group)),
            ]
            guard authentication else {
                return (["runner \(spec.name) is not in \(spec.config): `gitlab-runner register` runs once (registration token)"],
                        folder + [.command(config.registerCommand),
                         .editTOML(config.edit(settings: settings, createEntry: false, changes: ["ownership and mode after registration"]))])
            }
            let changes = ["new [[runners]] entry \(spec.name) (token from \(token), not shown)"] + config.differences(from: [:])
            // The folder is the runner's own: gitlab-runner saves its state beside config.toml.
            return (["runner \(spec.name) is not in \(spec.config)"],
                    folder + [.editTOML(config.edit(settings: settings, createEntry: true, changes: changes))])
        }
        var changes = config.differences(from: entry)
        if authentication && observed.config.tokenMatches != true {
            changes.append("token: changed (now from \(token); values not shown)")
        }
        if (observed.config.concurrent ?? 1) < spec.concurrency {
            changes.append("concurrent: \(observed.config.concurrent.map(String.init) ?? "(not set)") → \(spec.concurrency) (at least concurrency)")
        }
        let file = observed.config.file
        if file.mode != 0o600 { changes.append("mode \(file.mode.map(FileMode.format) ?? "?") → 0600 (it holds tokens)") }
        if !ManagedFile.same(spec.user, name: file.owner, id: file.uid) || !ManagedFile.same(spec.group, name: file.group, id: file.gid) {
            changes.append("owner \(file.owner ?? "?"):\(file.group ?? "?") → \(spec.user):\(spec.group)")
        }
        guard !changes.isEmpty else { return ([], []) }
        let keys = changes.map { String($0.prefix { $0 != ":" && $0 != " " }) }
        return (["\(spec.config): runner \(spec.name) differs (\(keys.joined(separator: ", ")))"],
                [.editTOML(config.edit(settings: settings, createEntry: authentication, changes: changes))])
    }

    /// The service runs only once gitlab-runner is installed; the timer always.
    private func planUnits(_ spec: GitLabRunnerSpec, observed: GitLabRunnerObservation, context: PlanContext) throws -> ResourcePlan {
        let units = RunnerUnits(spec: spec)
        let planned = try RunnerUnits.Role.allCases.map { role in
            let unit: ManagedUnit
            switch role {
            case .service:
                unit = ManagedUnit(
                    unit: units.unitName(role), content: units.unitContent(role), enabled: true,
                    active: observed.executableRunnable ? true : nil)
            case .purge:
                unit = ManagedUnit(unit: units.unitName(role), content: units.unitContent(role))
            case .purgeTimer:
                unit = ManagedUnit(unit: units.unitName(role), content: units.unitContent(role), enabled: true, active: true)
            }
            return (unit.unit, try unit.plan(against: observed.unit(role), context: context))
        }
        return ManagedUnit.merge(planned, fileStepsFirst: true)
    }

    private func warnings(_ spec: GitLabRunnerSpec, observed: GitLabRunnerObservation, legacy: Bool) -> [String] {
        var warnings: [String] = []
        if !observed.executableRunnable {
            warnings.append("\(spec.executable) is not installed: \(spec.service) is enabled but starts only once it is")
        }
        if legacy {
            warnings.append("a registration token (not glrt-…) is the legacy way, removed in GitLab 18: create the runner in GitLab and use its authentication token")
        }
        if let mode = observed.token?.fileMode, mode & 0o077 != 0, case .file(let path)? = spec.token {
            warnings.append("the token file \(path) is readable by others (mode \(FileMode.format(mode))): chmod 0600 it")
        }
        return warnings
    }

    /// Unit: KillSignal=SIGQUIT, TimeoutStopSec=3600.
    static func stopWarning(_ spec: GitLabRunnerSpec) -> String {
        "\(spec.service) stops with SIGQUIT, which lets running jobs finish: the apply waits for them, up to an hour"
    }

    private func planRemoval(_ spec: GitLabRunnerSpec, observed: GitLabRunnerObservation, context: PlanContext) throws -> ResourcePlan {
        let planned = try RunnerUnits.Role.allCases.reversed().map { role in
            let unit = ManagedUnit(unit: RunnerUnits.unitName(spec, role), content: nil)
            return (unit.unit, try unit.plan(against: observed.unit(role), context: context))
        }
        var plan = ManagedUnit.merge(planned, fileStepsFirst: false)
        if plan.steps.contains(.systemctl(SystemctlStep(.stop, spec.service))) { plan.warnings.append(Self.stopWarning(spec)) }
        let scripts = ExecutorScripts(spec: spec)
        if observed.config.entry != nil {
            let config = RunnerConfig(spec: spec, scripts: scripts)
            plan.steps.append(.editTOML(config.edit(settings: nil, createEntry: false, changes: ["entry removed; other runners stay"])))
            plan.reasons.append("state is absent and \(spec.config) has runner \(spec.name)")
            plan.warnings.append("the runner stays registered in GitLab: delete it there (Settings → CI/CD → Runners)")
        }
        for script in ExecutorScripts.Script.allCases where observed.script(script).exists {
            plan.steps.append(.removeFile(RemoveFileStep(path: scripts.path(script), backup: true)))
            plan.reasons.append("state is absent and \(scripts.path(script)) exists")
        }
        if !plan.steps.isEmpty {
            plan.action = .delete
            if observed.hostCacheDir.exists { plan.warnings.append("the cache folder \(spec.hostCacheDir) is kept") }
            if observed.scripts.contains(where: \.exists) { plan.warnings.append("the folder \(spec.scriptsDir) is kept (empty)") }
        }
        return plan
    }
}
