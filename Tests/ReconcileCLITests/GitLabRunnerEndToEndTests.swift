import Foundation
import ReconcileCore
import ReconcileProviders
import Testing

/// GitLabRunner through the built binary: a canary token that must never show, a config.toml
/// that python's tomllib must read with the unmanaged runner intact, and units that
/// `systemd-analyze verify` accepts without a word.
@Suite struct GitLabRunnerEndToEndTests {
    static let canary = "glrt-CANARY-e2e-5b8d"
    static let configPath = "/home/gitlab-runner/.gitlab-runner/config.toml"
    static let unmanaged = """
        concurrent = 4

        [[runners]]
          name = "shell-runner"   # someone else's
          url = "https://gitlab.example.org/"
          token = "glrt-unmanaged"
          executor = "shell"

        """

    func manifest(executable: String = "/usr/local/bin/gitlab-runner", user: String = "nobody", group: String = "nogroup") -> String {
        """
        kind: GitLabRunner
        name: podman-fedora
        url: https://gitlab.example.org/
        token: {env: RUNNER_TOKEN}
        user: \(user)
        group: \(group)
        home: /home/gitlab-runner
        image: registry.example.org/base/fedora:40
        executable: \(executable)

        """
    }

    @Test func theCanaryTokenNeverAppearsInAnyOutput() throws {
        let stage = Stage()
        try stage.writeManifest(manifest())
        try stage.write(Self.configPath, Self.unmanaged)
        let environment = ["RUNNER_TOKEN": Self.canary]
        let runs = [
            try reconcile(["plan", "--root", stage.root, stage.manifest], environment: environment),
            try reconcile(["plan", "--json", "--root", stage.root, stage.manifest], environment: environment),
            try reconcile(["apply", "--auto-approve", "--log-level", "debug", "--root", stage.root, stage.manifest], environment: environment),
            try reconcile(["plan", "--detailed-exitcode", "--root", stage.root, stage.manifest], environment: environment),
            try reconcile(["facts", "--root", stage.root, stage.manifest], environment: environment),
        ]
        #expect(runs.map(\.status) == [0, 0, 0, 0, 0], "\(runs.map(\.stderr))")
        for run in runs {
            #expect(!run.stdout.contains("CANARY") && !run.stderr.contains("CANARY"), "\(run.stdout)\(run.stderr)")
        }
        let written = try #require(stage.read(Self.configPath))
        #expect(written.hasPrefix(Self.unmanaged), "the other runner's lines stay byte for byte")
        let parsed = try tomllib(stage.root + Self.configPath)
        #expect(parsed.contains("'name': 'shell-runner', 'url': 'https://gitlab.example.org/', 'token': 'glrt-unmanaged', 'executor': 'shell'"), "\(parsed)")
        #expect(parsed.contains("'token': '\(Self.canary)', 'executor': 'custom'"), "\(parsed)")
        #expect(parsed.hasPrefix("{'concurrent': 4,"), "never lowered")

        // A rotated token: the plan says it changed and shows neither value.
        let rotated = ["RUNNER_TOKEN": "glrt-CANARY-rotated"]
        let plan = try reconcile(["plan", "--detailed-exitcode", "--root", stage.root, stage.manifest], environment: rotated)
        #expect(plan.status == 2)
        #expect(plan.stdout.contains("token: changed (now from environment variable RUNNER_TOKEN; values not shown)"))
        #expect(!plan.stdout.contains("CANARY") && !plan.stderr.contains("CANARY"))
        let missing = try reconcile(["plan", "--root", stage.root, stage.manifest])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("token: GitLabRunner/podman-fedora: cannot read the runner token: environment variable RUNNER_TOKEN is not set"), "\(missing.stderr)")
    }

    /// `systemd-analyze verify` reports unknown keys as warnings and still exits 0: any output fails.
    @Test func generatedUnitsPassSystemdAnalyzeVerify() throws {
        let stage = Stage()
        // systemd warns about User=nobody ("not safe"), rightly: a real account here.
        try stage.writeManifest(manifest(executable: "/usr/bin/true", user: "daemon", group: "daemon"))
        let apply = try reconcile(["apply", "--auto-approve", "--root", stage.root, stage.manifest], environment: ["RUNNER_TOKEN": Self.canary])
        #expect(apply.status == 0, "\(apply.stderr)")
        let units = ["gitlab-runner.service", "gitlab-runner-podman-fedora-cache-purge.service", "gitlab-runner-podman-fedora-cache-purge.timer"]
        let verify = try ProcessRunner().run(Command(["systemd-analyze", "verify", "--man=no"] + units.map { stage.root + "/etc/systemd/system/" + $0 }))
        #expect(verify.status == 0)
        #expect(verify.stdoutText + verify.stderrText == "", "systemd-analyze verify must print nothing")
    }

    func tomllib(_ path: String) throws -> String {
        let result = try ProcessRunner().run(Command(["python3", "-c", "import sys, tomllib; print(tomllib.load(open(sys.argv[1], 'rb')))", path]))
        #expect(result.status == 0, "\(result.stderrText)")
        return result.stdoutText
    }
}
