import Foundation
import Logging
import ReconcileCore
import Testing

/// Executor behaviour on hand-made plans: failure reports, and restarts that are never lost.
@Suite struct ExecutorTests {
    func change(_ name: String, steps: [Step], triggers: [Trigger] = []) -> Change {
        Change(
            address: ResourceAddress(kind: "File", name: name),
            plan: ResourcePlan(action: .update, steps: steps, triggers: triggers),
            dependsOn: [], fingerprint: "sha256:" + String(repeating: "0", count: 64), desired: DesiredState(json: .object([:])),
            state: .present, source: nil)
    }

    func plan(_ changes: [Change], root: HostRoot) -> Plan {
        Plan(reconcileVersion: "test", createdAt: fixedDate, host: "h", root: root.path, source: .live, changes: changes)
    }

    @Test func restartQueuedBeforeAFailingChangeIsStillRun() throws {
        let directory = TemporaryDirectory()
        let root = HostRoot(directory.path)
        let state = StateDirectory(directory.path + "/state")
        let queueSeen = Flag()
        let runner = RecordedRunner([:]) { argv in
            if argv == ["false-command"] {
                // The restart is on disk before the change that needs it runs.
                queueSeen.set(FileManager.default.fileExists(atPath: state.triggerQueuePath))
                return CommandResult(status: 3, stderr: Data("it broke\n".utf8))
            }
            if argv.first == "systemctl" { return CommandResult(status: 0) }
            return nil
        }
        let executor = Executor(files: LocalFileSystem(root: root), commands: runner, state: state, logger: Logger(label: "t"))
        let report = try executor.apply(plan([
            change("conf", steps: [.command(CommandStep(argv: ["false-command"]))], triggers: [.restart(unit: "app.service")]),
            change("later", steps: [.command(CommandStep(argv: ["never-run"]))]),
        ], root: root), applyID: "a1")
        #expect(queueSeen.value)
        #expect(report.failure?.message == "`false-command` exited with status 3: it broke")
        #expect(report.notAttempted.map(\.name) == ["later"])
        #expect(report.triggersRun == ["systemctl restart app.service"])
        #expect(runner.recordedCalls.last == ["systemctl", "--root=\(directory.path)", "restart", "app.service"])
        #expect(!runner.recordedCalls.contains(["never-run"]))
        #expect(!FileManager.default.fileExists(atPath: state.triggerQueuePath), "drained queue leaves no file")
    }

    @Test func leftoversOfAKilledApplyAreDrainedFirst() throws {
        let directory = TemporaryDirectory()
        let root = HostRoot(directory.path)
        let state = StateDirectory(directory.path + "/state")
        try state.create()
        var queue = TriggerQueue()
        queue.triggers = [.restart(unit: "a.service"), .reload(unit: "b.service")]
        try queue.save(state)
        let runner = RecordedRunner([:]) { $0.first == "systemctl" ? CommandResult(status: 0) : nil }
        let executor = Executor(files: LocalFileSystem(root: root), commands: runner, state: state, logger: Logger(label: "t"))
        let report = try executor.drainLeftovers(applyID: "a2")
        #expect(report.triggersRun == ["systemctl restart a.service", "systemctl try-reload-or-restart b.service"])
        #expect(try TriggerQueue.load(state).isEmpty)
        #expect(try executor.drainLeftovers(applyID: "a3").triggersRun.isEmpty)
    }

    @Test func aFailedRestartIsReportedAndTheRestStillRun() throws {
        let directory = TemporaryDirectory()
        let root = HostRoot(directory.path)
        let state = StateDirectory(directory.path + "/state")
        let runner = RecordedRunner([:]) { argv in
            argv.contains("bad.service") ? CommandResult(status: 5, stderr: Data("Unit bad.service not found.\n".utf8))
                : CommandResult(status: 0)
        }
        let executor = Executor(files: LocalFileSystem(root: root), commands: runner, state: state, logger: Logger(label: "t"))
        let report = try executor.apply(plan([
            change("x", steps: [], triggers: [.restart(unit: "bad.service"), .restart(unit: "good.service")]),
        ], root: root), applyID: "a4")
        #expect(report.failure == nil)
        #expect(!report.succeeded)
        #expect(report.triggerFailures.map(\.step) == ["systemctl restart bad.service"])
        #expect(report.triggersRun == ["systemctl restart good.service"])
        // One call for both, then each alone to find the one that fails.
        #expect(runner.recordedCalls == [
            ["systemctl", "--root=\(directory.path)", "restart", "bad.service", "good.service"],
            ["systemctl", "--root=\(directory.path)", "restart", "bad.service"],
            ["systemctl", "--root=\(directory.path)", "restart", "good.service"],
        ])
    }

    @Test func dataLossNeedsItsAllowanceInTheLibraryToo() throws {
        let directory = TemporaryDirectory()
        let root = HostRoot(directory.path)
        let state = StateDirectory(directory.path + "/state")
        let runner = RecordedRunner([["lvremove", "-y", "vg/lv"]: CommandResult(status: 0)])
        let executor = Executor(files: LocalFileSystem(root: root), commands: runner, state: state, logger: Logger(label: "t"))
        var lossy = change("lv", steps: [.command(CommandStep(argv: ["lvremove", "-y", "vg/lv"]))])
        lossy.risk = .dataLoss
        #expect(throws: ReconcileError.self) { try executor.apply(plan([lossy], root: root), applyID: "d1") }
        #expect(runner.recordedCalls.isEmpty, "nothing runs without the allowance")
        #expect(!FileManager.default.fileExists(atPath: state.journalPath))
        let report = try executor.apply(plan([lossy], root: root), applyID: "d2", allowDataLoss: true)
        #expect(report.succeeded && runner.recordedCalls == [["lvremove", "-y", "vg/lv"]])
    }

    @Test func journalRecordsEveryStep() throws {
        let directory = TemporaryDirectory()
        let root = HostRoot(directory.path)
        let state = StateDirectory(directory.path + "/state")
        let executor = Executor(files: LocalFileSystem(root: root), commands: RecordedRunner(), state: state, logger: Logger(label: "t"))
        _ = try executor.apply(plan([
            change("f", steps: [.writeFile(WriteFileStep(path: "/f", content: Data("x".utf8)))]),
        ], root: root), applyID: "a5")
        let journal = try #require(directory.read("state/journal.jsonl"))
        let events = journal.split(separator: "\n").compactMap {
            (try? JSONDecoder().decode(Journal.Entry.self, from: Data($0.utf8)))?.event
        }
        #expect(events == ["apply-started", "change-started", "step-started", "step-done", "change-done", "apply-succeeded"])
    }
}

final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = false
    func set(_ value: Bool) { lock.withLock { stored = value } }
    var value: Bool { lock.withLock { stored } }
}
