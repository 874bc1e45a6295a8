import Foundation
import ReconcileCore
@testable import ReconcileProviders
import Testing

/// GitLabRunner: manifest checks, the pure planner (what restarts, legacy registration), and
/// staged applies that edit a config.toml holding a runner nobody here manages.
@Suite struct GitLabRunnerTests {
    static let canary = "glrt-CANARY-3f9a1c"
    static let manifest = """
        kind: GitLabRunner
        name: podman-fedora
        url: https://gitlab.example.org/
        token: {env: RUNNER_TOKEN}
        user: nobody
        group: nogroup
        home: /home/gitlab-runner
        image: registry.example.org/base/fedora:40
        allowedImages: ["registry.example.org/base/*"]
        buildsDir: /home/user
        cacheDir: /home/user/cache
        concurrency: 2
        purgeCacheAfter: 14d
        """
    /// An entry written by someone else, with comments and a multi-line array, before ours.
    static let unmanaged = """
        # edited by hand
        concurrent = 1
        check_interval = 0

        [[runners]]
          name = "docker-builds"   # not ours
          url = "https://gitlab.example.org/"
          token = "glrt-someone-elses"
          executor = "docker"
          [runners.docker]
            volumes = ["/cache",
                       "/var/run/docker.sock:/var/run/docker.sock"]

        """
    static let configPath = "/home/gitlab-runner/.gitlab-runner/config.toml"

    let provider = GitLabRunnerProvider()

    /// Staged unit probes and enables run the real `systemctl --root`, which needs no running systemd.
    static func stage(token: String? = canary) -> Stage {
        let runner = RecordedRunner(fallback: { argv in
            argv.first == "systemctl" ? try? ProcessRunner().run(Command(argv)) : nil
        })
        return Stage(runner: runner, environment: token.map { ["RUNNER_TOKEN": $0] } ?? [:])
    }

    // MARK: manifests

    @Test func decodesWithDefaults() throws {
        let loaded = loadManifest("""
            kind: GitLabRunner
            name: fedora
            url: https://gitlab.example.org/
            token: {file: /etc/reconcile/secrets/runner}
            image: registry.example.org/base/fedora:40
            """)
        #expect(!loaded.diagnostics.hasErrors, "\(rendered(loaded))")
        let spec = try #require(loaded.resources.first?.spec as? GitLabRunnerSpec)
        #expect(spec.user == "gitlab-runner" && spec.group == "gitlab-runner" && spec.home == "/home/gitlab-runner")
        #expect(spec.token == .file("/etc/reconcile/secrets/runner"))
        #expect(spec.allowedImages == ["registry.example.org/base/fedora:40"], "only the default image unless told")
        #expect(spec.scriptsDir == "/home/gitlab-runner/fedora")
        #expect(spec.config == "/home/gitlab-runner/.gitlab-runner/config.toml")
        #expect(spec.hostCacheDir == "/home/gitlab-runner/_cache")
        #expect(spec.service == "gitlab-runner.service" && spec.pullPolicy == .missing && spec.shell == .bash)
        #expect(spec.purgeCacheAfter == 30 * 86400 && spec.concurrency == 1)
    }

    @Test func everyProblemHasItsPosition() {
        let loaded = loadManifest("""
            kind: GitLabRunner
            name: podman fedora
            url: gitlab.example.org
            token: glrt-pasted-here
            image: "-v /:/host"
            allowedImages: []
            concurrency: 0
            service: runner
            hostCacheDir: /home/gitlab-runner
            purgeCacheAfter: 30s
            """)
        #expect(rendered(loaded) == """
            m.yaml:2:7: error: name: "podman fedora" cannot name a runner's folder and units: use letters, digits, "_", "." and "-", starting with a letter or digit (at most 200 characters)
            2 | name: podman fedora
              |       ^~~~~~~~~~~~~
            m.yaml:3:6: error: url: expected the GitLab instance's http(s) URL, like "https://gitlab.example.org/", found "gitlab.example.org"
            3 | url: gitlab.example.org
              |      ^~~~~~~~~~~~~~~~~~
            m.yaml:4:8: error: token: write where the token is, not the token: {env: RUNNER_TOKEN} or {file: /etc/reconcile/secrets/runner}
            4 | token: glrt-pasted-here
              |        ^~~~~~~~~~~~~~~~
            m.yaml:5:8: error: image: "-v /:/host" is not an image reference like "registry.example.org/base/fedora:40"
            5 | image: "-v /:/host"
              |        ^~~~~~~~~~
            m.yaml:6:16: error: allowedImages: an empty list would refuse every job; leave the key out to allow only image:
            6 | allowedImages: []
              |                ^
            m.yaml:7:14: error: concurrency: must be between 1 and 1000, found 0
            7 | concurrency: 0
              |              ^
            m.yaml:8:10: error: service: "runner" is not a service unit name like "gitlab-runner.service"
            8 | service: runner
              |          ^~~~~~
            m.yaml:9:15: error: hostCacheDir: the purge deletes old folders in hostCacheDir: give it a folder of its own, not "/home/gitlab-runner"
            9 | hostCacheDir: /home/gitlab-runner
              |               ^~~~~~~~~~~~~~~~~~~
            m.yaml:10:18: error: purgeCacheAfter: must be at least a minute (find -mmin counts minutes), found 30 seconds
            10 | purgeCacheAfter: 30s
               |                  ^~~
            9 errors, 0 warnings

            """)
    }

    @Test func twoRunnersCannotShareAConfigFile() {
        let second = Self.manifest.replacingOccurrences(of: "name: podman-fedora", with: "name: podman-debian")
        let loaded = loadManifest(Self.manifest + "\n---\n" + second)
        let messages = loaded.diagnostics.items.map(\.message)
        #expect(messages.contains("\(Self.configPath) is already managed by GitLabRunner/podman-fedora"))
        #expect(messages.contains("gitlab-runner.service is already managed by GitLabRunner/podman-fedora"))
    }

    // MARK: staged applies

    @Test func createsConvergesAndKeepsOtherRunnersByteForByte() throws {
        let stage = Self.stage()
        try stage.directory.write(String(Self.configPath.dropFirst()), Self.unmanaged)
        let first = try stage.plan(Self.manifest)
        let change = try #require(first.changes.first)
        #expect(change.action == .create)
        #expect(try stage.apply(first).succeeded)
        let written = try #require(stage.directory.read(String(Self.configPath.dropFirst())))
        let before = Self.unmanaged.replacingOccurrences(of: "concurrent = 1", with: "concurrent = 2")
        #expect(written.hasPrefix(before), "the unmanaged entry and the comments stay byte for byte")
        #expect(written.contains("  token = \"\(Self.canary)\"\n"))
        #expect(written.contains("concurrent = 2\n"), "raised to the runner's concurrency")
        #expect(written.contains("    run_exec = \"/home/gitlab-runner/podman-fedora/run.sh\"\n"))
        let status = try #require(try stage.files.status(Self.configPath))
        #expect(status.mode == 0o600 && status.uid == Accounts.uid("nobody"))
        #expect(try stage.files.status("/home/gitlab-runner/_cache")?.type == .directory)
        #expect(try stage.files.status("/home/gitlab-runner/podman-fedora/run.sh")?.mode == 0o755)
        #expect(try stage.plan(Self.manifest).hasChanges == false, "second plan empty")
    }

    @Test func theTokenNeverReachesPlansJournalsOrErrors() throws {
        let stage = Self.stage()
        let first = try stage.plan(Self.manifest)
        _ = try stage.apply(first)
        let rotated = "glrt-CANARY-rotated-77"
        let secondStage = Self.stage(token: rotated)
        try secondStage.directory.write(
            String(Self.configPath.dropFirst()), try #require(stage.directory.read(String(Self.configPath.dropFirst()))))
        let second = try secondStage.plan(Self.manifest)
        let edit = try #require(second.changes.first?.steps.compactMap { step -> EditTOMLStep? in
            if case .editTOML(let edit) = step { return edit } else { return nil }
        }.first)
        #expect(edit.changes.contains("token: changed (now from environment variable RUNNER_TOKEN; values not shown)"))
        let report = try secondStage.apply(second)
        #expect(report.succeeded)
        #expect(secondStage.directory.read(String(Self.configPath.dropFirst()))?.contains(rotated) == true)
        for plan in [first, second] {
            let json = String(decoding: try plan.jsonData(), as: UTF8.self)
            let human = PlanRenderer(colour: false, showUnchanged: true).render(plan)
            for text in [json, human, ApplyReportRenderer.render(report)] {
                #expect(!text.contains("CANARY"), "\(text)")
            }
        }
        for journal in [stage, secondStage].compactMap({ $0.directory.read("state/journal.jsonl") }) {
            #expect(!journal.contains("CANARY") && !journal.isEmpty)
        }
    }

    @Test func aMissingTokenIsAPlanErrorAtTheTokenKey() throws {
        let stage = Self.stage(token: nil)
        #expect {
            try stage.plan(Self.manifest)
        } throws: { error in
            let text = "\(error)"
            return text.contains("token") && text.contains("environment variable RUNNER_TOKEN is not set")
        }
    }

    /// Debian's nobody has no group "nobody": the default group (the user's name) names the real one.
    @Test func anExistingUserWithoutAGroupOfItsNameGetsTheGroupToSet() throws {
        let stage = Self.stage()
        #expect {
            try stage.plan(Self.manifest.replacingOccurrences(of: "group: nogroup\n", with: ""))
        } throws: { error in
            "\(error)".contains("user nobody exists without a group nobody; its primary group is nogroup: set group: nogroup")
        }
    }

    @Test func aConfigThatIsNotTOMLStopsThePlanWithItsLine() throws {
        let stage = Self.stage()
        try stage.directory.write(String(Self.configPath.dropFirst()), "concurrent = 1\n[[runners]\n")
        #expect {
            try stage.plan(Self.manifest)
        } throws: { error in
            (error as? DiagnosticsError)?.diagnostics.first?.message
                == "GitLabRunner/podman-fedora: cannot edit the runner's entry: \(Self.configPath):2:10: expected \"]]\" to close the table header"
        }
    }

    @Test func absentRemovesOnlyItsEntry() throws {
        let stage = Self.stage()
        try stage.directory.write(String(Self.configPath.dropFirst()), Self.unmanaged)
        _ = try stage.apply(try stage.plan(Self.manifest))
        let absent = Self.manifest + "\nstate: absent\n"
        let removal = try stage.plan(absent)
        #expect(removal.changes.first?.action == .delete)
        #expect(try stage.apply(removal).succeeded)
        let left = try #require(stage.directory.read(String(Self.configPath.dropFirst())))
        #expect(left == Self.unmanaged.replacingOccurrences(of: "concurrent = 1", with: "concurrent = 2"))
        #expect(try stage.files.status("/home/gitlab-runner/podman-fedora/base.sh") == nil)
        #expect(try stage.plan(absent).hasChanges == false)
    }

    /// gitlab-runner rewrites config.toml in its own format (token refreshes, `register`): the
    /// same values in another layout, plus keys of its own, are not a change.
    @Test func theRunnersOwnRewriteIsNotAChange() throws {
        let stage = Self.stage()
        _ = try stage.apply(try stage.plan(Self.manifest))
        let rewritten = """
            concurrent = 2
            check_interval = 0

            [[runners]]
            name = 'podman-fedora'
            url = "https://gitlab.example.org/"
            id = 42
            token = "\(Self.canary)"
            token_obtained_at = 2026-11-27T10:00:00Z
            executor = "custom"
            shell = "bash"
            builds_dir = "/home/user"
            cache_dir = "/home/user/cache"
            limit = 2
            [runners.custom]
            prepare_exec = "/home/gitlab-runner/podman-fedora/prepare.sh"
            run_exec = "/home/gitlab-runner/podman-fedora/run.sh"
            cleanup_exec = "/home/gitlab-runner/podman-fedora/cleanup.sh"
            [runners.cache]

            """
        try stage.directory.write(String(Self.configPath.dropFirst()), rewritten)
        try stage.files.setAttributes(Self.configPath, mode: 0o600, uid: Accounts.uid("nobody"), gid: Accounts.gid("nogroup"))
        #expect(try stage.plan(Self.manifest).hasChanges == false)
        // A key of ours changed by hand is put back, and only that line changes.
        try stage.directory.write(String(Self.configPath.dropFirst()), rewritten.replacingOccurrences(of: "limit = 2", with: "limit = 9"))
        let plan = try stage.plan(Self.manifest)
        #expect(plan.changes.first?.reasons.contains("\(Self.configPath): runner podman-fedora differs (limit)") == true)
        _ = try stage.apply(plan)
        #expect(stage.directory.read(String(Self.configPath.dropFirst())) == rewritten)
    }

    @Test func removingAnEntryFromAMissingFileMakesNoFile() throws {
        let stage = Self.stage()
        let step = EditTOMLStep(path: Self.configPath, array: "runners", matchKey: "name", name: "x", settings: nil)
        let plan = Plan(
            reconcileVersion: "t", createdAt: fixedDate, host: "h", root: stage.root.path, source: .live,
            changes: [Change(
                address: ResourceAddress(kind: "GitLabRunner", name: "x"), plan: ResourcePlan(action: .delete, steps: [.editTOML(step)]),
                dependsOn: [], fingerprint: "sha256:" + String(repeating: "0", count: 64), desired: DesiredState(GitLabRunnerSpecStub()),
                state: .absent, source: nil)])
        #expect(try stage.apply(plan).succeeded)
        #expect(try stage.files.status(Self.configPath) == nil)
    }

    // MARK: pure planning

    /// Probed from a stage after apply, then marked running, as systemd would show it.
    func runningObservation(_ manifest: String) throws -> (Declared<GitLabRunnerSpec>, GitLabRunnerObservation) {
        let stage = Self.stage()
        _ = try stage.apply(try stage.plan(manifest))
        let loaded = loadManifest(manifest)
        let resource = try #require(loaded.resources.first)
        let declared = Declared(meta: resource.meta, spec: try #require(resource.spec as? GitLabRunnerSpec))
        var observed = try #require(try provider.probe([declared], host: stage.host).first)
        for index in observed.units.indices {
            observed.units[index].unitFileState = index == 1 ? "static" : "enabled"
            observed.units[index].activeState = index == 1 ? "inactive" : "active"
        }
        observed.executableRunnable = true
        return (declared, observed)
    }

    func declared(_ manifest: String) throws -> Declared<GitLabRunnerSpec> {
        let resource = try #require(loadManifest(manifest).resources.first)
        return Declared(meta: resource.meta, spec: try #require(resource.spec as? GitLabRunnerSpec))
    }

    let live = PlanContext(root: HostRoot("/"), changing: [])

    @Test func scriptAndConfigChangesRestartNothing() throws {
        let (_, observed) = try runningObservation(Self.manifest)
        let changed = Self.manifest.replacingOccurrences(of: "fedora:40", with: "fedora:41")
            .replacingOccurrences(of: "concurrency: 2", with: "concurrency: 3")
        let plan = try provider.plan(try declared(changed), observed: observed, context: live)
        #expect(plan.action == .update)
        #expect(plan.triggers.isEmpty)
        #expect(plan.steps.contains { if case .systemctl = $0 { true } else { false } } == false)
        #expect(plan.risk == .safe)
        #expect(plan.reasons.contains { $0.contains("base.sh: content differs") })
        #expect(plan.reasons.contains { $0.contains("runner podman-fedora differs (limit, concurrent)") })
    }

    @Test func aUnitChangeRestartsTheServiceOnce() throws {
        let (_, observed) = try runningObservation(Self.manifest)
        let changed = Self.manifest + "\nexecutable: /opt/gitlab-runner/bin/gitlab-runner\n"
        let plan = try provider.plan(try declared(changed), observed: observed, context: live)
        #expect(plan.triggers == [.restart(unit: "gitlab-runner.service")])
        #expect(plan.risk == .restart)
    }

    @Test func aRegistrationTokenRegistersOnceWithTheTokenInTheEnvironment() throws {
        var (_, observed) = try runningObservation(Self.manifest)
        observed.token = .init(isAuthenticationToken: false)
        observed.config.entry = nil
        let plan = try provider.plan(try declared(Self.manifest), observed: observed, context: live)
        let command = try #require(plan.steps.compactMap { step -> CommandStep? in
            if case .command(let command) = step { return command } else { return nil }
        }.first)
        #expect(command.argv.prefix(5) == ["/usr/local/bin/gitlab-runner", "register", "--non-interactive", "--config", Self.configPath])
        #expect(command.secretEnvironment == ["REGISTRATION_TOKEN": .environment("RUNNER_TOKEN")])
        #expect(command.summary.hasPrefix("run REGISTRATION_TOKEN=<environment variable RUNNER_TOKEN> /usr/local/bin/gitlab-runner register"))
        #expect(plan.warnings.contains { $0.contains("removed in GitLab 18") })
        // Once the entry exists, no second registration; its token is GitLab's, not compared.
        var registered = observed
        registered.config.entry = try runningObservation(Self.manifest).1.config.entry
        registered.config.tokenMatches = false
        let again = try provider.plan(try declared(Self.manifest), observed: registered, context: live)
        #expect(again.action == .noop, "\(again.reasons)")
    }

    @Test func secretsGoToTheChildAndOutOfItsErrors() throws {
        let runner = RecordedRunner(fallback: { argv in
            argv.first == "register" ? CommandResult(status: 1, stderr: Data("bad token REGCANARY-1\n".utf8)) : nil
        })
        let stage = Stage(runner: runner, environment: ["REG": "REGCANARY-1"])
        let step = CommandStep(argv: ["register", "--url", "https://x/"], secretEnvironment: ["REGISTRATION_TOKEN": .environment("REG")])
        let plan = Plan(
            reconcileVersion: "t", createdAt: fixedDate, host: "h", root: stage.root.path, source: .live,
            changes: [Change(
                address: ResourceAddress(kind: "GitLabRunner", name: "x"), plan: ResourcePlan(action: .create, steps: [.command(step)]),
                dependsOn: [], fingerprint: "sha256:" + String(repeating: "0", count: 64), desired: DesiredState(GitLabRunnerSpecStub()),
                state: .present, source: nil)])
        let report = try stage.apply(plan)
        #expect(runner.recordedEnvironments.first?["REGISTRATION_TOKEN"] == "REGCANARY-1")
        #expect(runner.recordedCalls.first == ["register", "--url", "https://x/"])
        let message = try #require(report.failure?.message)
        #expect(message.contains("bad token [secret]") && !message.contains("REGCANARY"))
    }
}

/// A spec for hand-built changes.
struct GitLabRunnerSpecStub: ResourceSpec {
    static let kind = "GitLabRunner"
    static let keys: [String] = []
    static func decode(_ reader: ObjectReader, context: DecodeContext) -> GitLabRunnerSpecStub? { nil }
    var hostIdentity: String { "stub" }
    func problems(name: String, state: ResourceState) -> [String] { [] }
}
