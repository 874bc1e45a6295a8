import Foundation
import Logging
@testable import ReconcileCore
import Testing

/// An apply killed half-way: the next plan tells it from the journal, the next apply removes
/// reconcile's own temp files (and nothing else) and the backup policy keeps STATE/backups bounded.
@Suite struct RecoveryTests {
    @Test func onlyTheWriterOwnTempNamesMatch() {
        #expect(Leftovers.isTemp(".motd.reconcile-AbC123", base: "motd"))
        #expect(Leftovers.isTemp(".motd.reconcile-AbC123"))
        #expect(Leftovers.isTemp(".a.b.reconcile-000000", base: "a.b"))
        for name in [
            ".motd.reconcile-AbC12", ".motd.reconcile-AbC1234", "motd.reconcile-AbC123", ".motd.reconcile-AbC12_",
            ".motd.reconcile-", "..reconcile-AbC123", ".motd.Reconcile-AbC123", ".motd.reconcile-AbC123.bak",
        ] {
            #expect(!Leftovers.isTemp(name, base: "motd"), "\(name)")
        }
        #expect(!Leftovers.isTemp(".other.reconcile-AbC123", base: "motd"))
        #expect(Leftovers.isCheckFile("check-12-3456") && !Leftovers.isCheckFile("check-12-") && !Leftovers.isCheckFile("check-a-1"))
    }

    /// What a SIGKILL after the first step of three leaves: the running-apply record, journal
    /// lines up to the second step, temp files beside the target and in the backups.
    func interruptedApply(_ stage: Stage) throws {
        let journal = try Journal(stage.state, applyID: "20261206T140000-4242")
        try RunningApply(apply: "20261206T140000-4242", startedAt: fixedDate, pid: 4242, steps: 3, journalOffset: journal.offset)
            .save(stage.state)
        journal.record("apply-started", detail: "2 changes, 3 steps")
        journal.record("step-started", step: "write /etc/first", path: "/etc/first")
        journal.record("step-done", step: "write /etc/first", path: "/etc/first")
        journal.record("step-started", step: "write /etc/motd (mode 0640)", path: "/etc/motd")
        for (path, text) in [
            ("etc/.motd.reconcile-AbC123", "half"), ("etc/.motd.reconcile-notmine", "keep"), ("etc/.other.reconcile-AbC123", "keep"),
            ("etc/motd.reconcile-AbC123", "keep"), ("etc/.first.reconcile-Zz9Zz9", "half"),
            ("state/backups/20261206T140000-4242/etc/.motd.reconcile-Qw12Er", "half"),
            ("state/backups/20261206T140000-4242/etc/first", "old"), ("state/check-4242-17", "x"),
            ("state/.pending-triggers.json.reconcile-Aa11Bb", "x"), ("state/notes", "keep"),
        ] {
            try stage.directory.write(path, text)
        }
    }

    @Test func planTellsAndApplyRepairsOnlyItsOwnLeftovers() throws {
        let stage = Stage()
        try interruptedApply(stage)
        let plan = try stage.plan(PlanApplyTests.motd)
        let recovery = Recovery(files: stage.files, state: stage.state)
        let told = try recovery.inspect(plan)
        #expect(told.interruption?.message == "the apply started at 2027-01-15T08:00:00Z (20261206T140000-4242) was interrupted after step 1 of 3 (during: write /etc/motd (mode 0640))")
        let root = stage.directory.path
        let expected = [
            "\(root)/etc/.motd.reconcile-AbC123", "\(root)/etc/.first.reconcile-Zz9Zz9",
            "\(root)/state/.pending-triggers.json.reconcile-Aa11Bb", "\(root)/state/backups/20261206T140000-4242/etc/.motd.reconcile-Qw12Er",
            "\(root)/state/check-4242-17",
        ]
        #expect(told.leftovers.sorted() == expected.sorted())
        #expect(told.render(removed: false).hasPrefix("Note: the apply started at 2027-01-15T08:00:00Z (20261206T140000-4242) was interrupted after step 1 of 3"))
        #expect(stage.directory.read("etc/.motd.reconcile-AbC123") == "half", "a plan removes nothing")

        let repaired = try recovery.repair(told.interruption, plan: plan, applyID: "20261206T150000-5")
        #expect(repaired.leftovers.sorted() == expected.sorted())
        #expect(repaired.render(removed: true).contains("Removed 5 temp files of an interrupted apply:"))
        for kept in ["etc/.motd.reconcile-notmine", "etc/.other.reconcile-AbC123", "etc/motd.reconcile-AbC123", "state/notes",
                     "state/backups/20261206T140000-4242/etc/first"] {
            #expect(stage.directory.read(kept) != nil, "\(kept) is not reconcile's temp file")
        }
        #expect(try Interruption.find(stage.state) == nil)
        let journal = try #require(stage.directory.read("state/journal.jsonl"))
        #expect(journal.contains("\"event\":\"apply-interrupted\"") && journal.contains("\"event\":\"leftovers-removed\""))
        #expect(try recovery.inspect(plan).isEmpty)
        // And the plan finishes what the killed apply left.
        let report = try stage.apply(plan)
        #expect(report.succeeded && stage.directory.read("etc/motd") == "managed\n")
        #expect(!(try stage.plan(PlanApplyTests.motd).hasChanges))
    }

    @Test func aFinishedApplyLeavesNoRunningRecordAndJournalsPaths() throws {
        let stage = Stage()
        let report = try stage.apply(try stage.plan(PlanApplyTests.motd))
        #expect(report.succeeded)
        #expect(try RunningApply.load(stage.state) == nil)
        let journal = try #require(stage.directory.read("state/journal.jsonl"))
        #expect(journal.contains("\"detail\":\"1 changes, 1 steps\""))
        #expect(journal.contains("\"path\":\"/etc/motd\""))
    }

    @Test func anApplyHoldingTheLockIsRunningNotInterrupted() throws {
        let stage = Stage()
        let lock = try ApplyLock.acquire(stage.state, holder: "test")
        try RunningApply(apply: "20261206T140000-1", startedAt: fixedDate, pid: getpid(), steps: 1, journalOffset: 0).save(stage.state)
        #expect(try Interruption.find(stage.state) == nil)
        // Its temp files are work in progress: a plan meanwhile reports none.
        try stage.directory.write("etc/.motd.reconcile-AbC123", "being written")
        #expect(try Recovery(files: stage.files, state: stage.state).inspect(try stage.plan(PlanApplyTests.motd)).isEmpty)
        withExtendedLifetime(lock) {}
    }

    @Test func commandsCarryTheApplyIDAndLiveOnesAreFound() throws {
        let runner = RecordedRunner(fallback: { _ in CommandResult(status: 0) })
        let stage = Stage(runner: runner)
        var plan = try stage.plan(PlanApplyTests.motd)
        plan.changes[0].steps.append(.command(CommandStep(argv: ["true"], summary: "true")))
        _ = try Executor(files: stage.files, commands: runner, state: stage.state, logger: Logger(label: "t")).apply(plan, applyID: "id-7")
        #expect(runner.recordedEnvironments.last?[LockHolders.applyVariable] == "id-7")

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sleep")
        process.arguments = ["30"]
        // An id no other run of this test shares.
        let id = "20261206T140000-\(getpid())\(UInt32.random(in: 1000...9999))"
        process.environment = [LockHolders.applyVariable: id]
        try process.run()
        defer { process.terminate() }
        // Until the child has exec'd, /proc shows this process's environment.
        var children = LockHolders.children(of: id)
        for _ in 0..<100 where children.isEmpty {
            usleep(50_000)
            children = LockHolders.children(of: id)
        }
        #expect(children.map(\.pid) == [process.processIdentifier])
        #expect(children.first?.command == "/bin/sleep 30")
        #expect(LockHolders.children(of: String(id.dropLast())).isEmpty, "whole values only")
    }

    @Test func lockHolderComesFromProcLocks() {
        let locks = "1: POSIX  ADVISORY  WRITE 77 fe:00:1 0 EOF\n2: FLOCK  ADVISORY  WRITE 4242 fe:00:%INODE% 0 EOF\n"
        let file = TemporaryDirectory()
        try? file.write("lock", "")
        var info = stat()
        stat(file.path + "/lock", &info)
        #expect(LockHolders.flockHolder(file.path + "/lock", locks: locks.replacingOccurrences(of: "%INODE%", with: "\(info.st_ino)")) == 4242)
        #expect(LockHolders.flockHolder(file.path + "/lock", locks: locks.replacingOccurrences(of: "%INODE%", with: "1")) == nil)
    }

    @Test func backupPolicyKeepsTheNewestAndDropsTheOld() throws {
        let now = try #require(BackupPolicy.startTime(ofApply: "20261206T120000-1"))
        let names = ["20261206T110000-9", "20261201T000000-2", "20261101T000000-3", "20261205T000000-4", "mine", "2026-12-01"]
        let policy = BackupPolicy(keep: 2, maxAgeDays: 30)
        #expect(policy.expired(names, current: "20261206T110000-9", now: now) == ["20261101T000000-3", "20261201T000000-2"])
        #expect(BackupPolicy(keep: 10, maxAgeDays: 30).expired(names, current: "x", now: now) == ["20261101T000000-3"])
        #expect(BackupPolicy(keep: 10, maxAgeDays: 0).expired(names, current: "x", now: now).isEmpty)

        let stage = Stage()
        for name in names { try stage.directory.write("state/backups/\(name)/etc/motd", "old") }
        let executor = Executor(
            files: stage.files, commands: stage.runner, state: stage.state, logger: Logger(label: "t"), backupPolicy: policy)
        try stage.directory.write("etc/motd", "before\n")
        let report = try executor.apply(try stage.plan(PlanApplyTests.motd), applyID: "20261206T120000-1", now: now)
        #expect(report.backupsPruned == ["20261101T000000-3", "20261201T000000-2", "20261205T000000-4"])
        let left = try FileManager.default.contentsOfDirectory(atPath: stage.state.path + "/backups").sorted()
        #expect(left == ["2026-12-01", "20261206T110000-9", "20261206T120000-1", "mine"], "its own backup counts; other names are not reconcile's")
        #expect(ApplyReportRenderer.render(report).contains("Old backups removed (backup policy): 20261101T000000-3, "))
    }
}
