import Foundation
import Logging
import ReconcileCore
import ReconcileProviders
import Testing

/// Plans and applies against a temp folder as root, with systemctl answered from recordings.
struct Stage {
    let directory = TemporaryDirectory()
    let runner: RecordedRunner
    /// What `{env: NAME}` secrets read, for plans and applies alike.
    var environment: [String: String] = [:]
    var root: HostRoot { HostRoot(directory.path) }
    var state: StateDirectory { StateDirectory(directory.path + "/state") }
    var files: LocalFileSystem { LocalFileSystem(root: root) }
    var host: HostContext { HostContext(files: files, commands: runner, environment: environment) }

    init(runner: RecordedRunner = RecordedRunner(), environment: [String: String] = [:]) {
        self.runner = runner
        self.environment = environment
    }

    func plan(_ manifest: String) throws -> Plan {
        let loaded = loadManifest(manifest)
        #expect(!loaded.diagnostics.hasErrors, "\(rendered(loaded))")
        return try Planner(registry: Providers.registry, version: "test").plan(
            loaded.resources, from: .live(host), root: root, hostName: "test-host", now: fixedDate)
    }

    func apply(_ plan: Plan) throws -> ApplyReport {
        try Executor(files: files, commands: runner, state: state, logger: Logger(label: "test"), environment: environment)
            .apply(plan, applyID: "test-apply")
    }
}

@Suite struct PlanApplyTests {
    static let motd = """
        kind: File
        name: motd
        path: /etc/motd
        content: "managed\\n"
        mode: "0640"
        """

    /// The middle one cannot be written while /etc/blocker is a file.
    static let threeFiles = """
        kind: File
        name: first
        path: /etc/first
        content: "1"
        ---
        kind: File
        name: broken
        path: /etc/blocker/child
        content: "2"
        ---
        kind: File
        name: last
        path: /etc/last
        content: "3"
        """

    @Test func createThenConverge() throws {
        let stage = Stage()
        let first = try stage.plan(Self.motd)
        #expect(first.summary.create == 1)
        #expect(first.changes.first?.reasons == ["/etc/motd does not exist"])
        let report = try stage.apply(first)
        #expect(report.succeeded)
        #expect(stage.directory.read("etc/motd") == "managed\n")
        let status = try #require(try stage.files.status("/etc/motd"))
        #expect(status.mode == 0o640)
        let second = try stage.plan(Self.motd)
        #expect(!second.hasChanges)
        #expect(second.summary.noop == 1)
    }

    @Test func contentChangeIsAnUpdateWithDiffAndBackup() throws {
        let stage = Stage()
        try stage.directory.write("etc/motd", "old\n")
        let plan = try stage.plan(Self.motd)
        let change = try #require(plan.changes.first)
        #expect(change.action == .update)
        guard case .writeFile(let write) = change.steps.first else {
            Issue.record("expected a write step")
            return
        }
        #expect(write.diff == "--- /etc/motd\n+++ /etc/motd (planned)\n@@ -1 +1 @@\n-old\n+managed\n")
        _ = try stage.apply(plan)
        #expect(stage.directory.read("state/backups/test-apply/etc/motd") == "old\n")
    }

    @Test func modeOnlyChangeSetsAttributesWithoutRewriting() throws {
        let stage = Stage()
        try stage.directory.write("etc/motd", "managed\n")
        let plan = try stage.plan(Self.motd)
        #expect(plan.changes.first?.reasons.first?.hasPrefix("/etc/motd: mode ") == true)
        guard case .setAttributes(let step) = plan.changes.first?.steps.first else {
            Issue.record("expected an attribute step")
            return
        }
        #expect(step.mode == 0o640)
    }

    @Test func absentRemovesWithBackup() throws {
        let stage = Stage()
        try stage.directory.write("etc/gone", "bye\n")
        let plan = try stage.plan("kind: File\nname: gone\npath: /etc/gone\nstate: absent\n")
        #expect(plan.changes.first?.action == .delete)
        #expect(plan.changes.first?.risk == .disruptive)
        _ = try stage.apply(plan)
        #expect(stage.directory.read("etc/gone") == nil)
        #expect(stage.directory.read("state/backups/test-apply/etc/gone") == "bye\n")
        #expect(!(try stage.plan("kind: File\nname: gone\npath: /etc/gone\nstate: absent\n")).hasChanges)
    }

    @Test func refusesToReplaceADirectory() throws {
        let stage = Stage()
        try FileManager.default.createDirectory(atPath: stage.directory.path + "/etc/motd", withIntermediateDirectories: true)
        #expect(throws: ReconcileError.self) { try stage.plan(Self.motd) }
    }

    @Test func firstFailureStopsAndReportSaysWhatWasNotAttempted() throws {
        let stage = Stage()
        // /etc/blocker is a file, so nothing can be created below it.
        try stage.directory.write("etc/blocker", "x")
        let plan = try stage.plan(Self.threeFiles)
        let report = try stage.apply(plan)
        #expect(!report.succeeded)
        #expect(report.completed.map(\.name) == ["first"])
        #expect(report.failure?.address?.name == "broken")
        #expect(report.failure?.message.contains("Not a directory") == true)
        #expect(report.notAttempted.map(\.name) == ["last"])
        let rendered = ApplyReportRenderer.render(report)
        #expect(rendered.contains("Not attempted:\n  · File/last"))
        // Level-triggered: the next plan holds only what is left.
        try FileManager.default.removeItem(atPath: stage.directory.path + "/etc/blocker")
        let next = try stage.plan(Self.threeFiles)
        #expect(next.changes.filter(\.hasChanges).map(\.address.name) == ["broken", "last"])
    }

    @Test func lockNamesItsHolder() throws {
        let stage = Stage()
        let held = try ApplyLock.acquire(stage.state, holder: "pid 1 (test) on host h")
        #expect(throws: ReconcileError.lockHeld(path: stage.state.lockPath, holder: "pid 1 (test) on host h; the live holder is pid \(getpid()): \(LockHolders.commandLine(getpid()))")) {
            _ = try ApplyLock.acquire(stage.state, holder: "second")
        }
        withExtendedLifetime(held) {}
    }
}
