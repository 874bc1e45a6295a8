import Foundation
import Logging
@testable import ReconcileCore
import Testing

/// Applies start processes per kind and sync per batch, not per resource (issue 18): systemctl
/// calls merged across changes, and file writes made durable together.
@Suite struct ApplyBatchingTests {
    func change(_ kind: String, _ name: String, steps: [Step], dependsOn: [ResourceAddress] = []) -> Change {
        Change(
            address: ResourceAddress(kind: kind, name: name),
            plan: ResourcePlan(action: .create, steps: steps),
            dependsOn: dependsOn, fingerprint: "sha256:" + String(repeating: "0", count: 64), desired: DesiredState(json: .object([:])),
            state: .present, source: nil)
    }

    func unit(_ name: String, dependsOn: [ResourceAddress] = []) -> Change {
        change("SystemdUnit", name, steps: [
            .writeFile(WriteFileStep(path: "/etc/systemd/system/\(name)", content: Data("[Service]\n".utf8))),
            .systemctl(SystemctlStep(.enable, name)),
            .systemctl(SystemctlStep(.start, name)),
        ], dependsOn: dependsOn)
    }

    func plan(_ changes: [Change], root: HostRoot) -> Plan {
        Plan(reconcileVersion: "test", createdAt: fixedDate, host: "h", root: root.path, source: .live, changes: changes)
    }

    func calls(_ change: Change) -> [String] {
        change.steps.compactMap { step in
            guard case .systemctl(let call) = step else { return nil }
            return call.arguments.joined(separator: " ")
        }
    }

    @Test func trailingCallsOfAWindowRunOnceInItsLastChange() {
        let b = ResourceAddress(kind: "SystemdUnit", name: "b.service")
        var changes = [
            unit("a.service"), unit("b.service"), unit("c.service", dependsOn: [b]), unit("d.service"),
            change("File", "after-d", steps: [.writeFile(WriteFileStep(path: "/x", content: Data()))]),
            unit("e.service"), unit("f.service"),
        ]
        SystemctlBatches.merge(&changes)
        // c needs b started: the first window closes before it.
        #expect(calls(changes[0]).isEmpty)
        #expect(calls(changes[1]) == ["enable a.service b.service", "start a.service b.service"])
        #expect(calls(changes[2]).isEmpty)
        #expect(calls(changes[3]) == ["enable c.service d.service", "start c.service d.service"])
        // Whatever follows a unit in the plan finds it started, dependency or not.
        #expect(calls(changes[5]).isEmpty)
        #expect(calls(changes[6]) == ["enable e.service f.service", "start e.service f.service"])
        #expect(changes[0].steps.count == 1, "the unit file is still written in its own change")
        #expect(changes[0].reasons.last == "its systemctl calls run in SystemdUnit/b.service's steps: systemctl enable (2 units), systemctl start (2 units)")
    }

    @Test func aUnitOnlyWrittenStaysInTheWindow() {
        let written = change("SystemdUnit", "b.service", steps: [.writeFile(WriteFileStep(path: "/etc/systemd/system/b.service", content: Data()))])
        var changes = [unit("a.service"), written, unit("c.service")]
        SystemctlBatches.merge(&changes)
        #expect(calls(changes[0]).isEmpty)
        #expect(changes[1] == written)
        #expect(calls(changes[2]) == ["enable a.service c.service", "start a.service c.service"])
    }

    @Test func aWindowHoldsOneKind() {
        var changes = [
            unit("a.service"),
            change("Mount", "data", steps: [
                .writeFile(WriteFileStep(path: "/etc/systemd/system/srv-data.mount", content: Data())),
                .systemctl(SystemctlStep(.start, "srv-data.mount")),
            ]),
            unit("b.service"),
        ]
        let before = changes
        SystemctlBatches.merge(&changes)
        #expect(changes == before)
    }

    @Test func aWindowClosesBeforeWhatAMemberNeeds() {
        // Removals run dependents first: a change that a member depends on comes after it.
        let mount = ResourceAddress(kind: "Mount", name: "data")
        var changes = [
            change("SystemdUnit", "user.service", steps: [.systemctl(SystemctlStep(.stop, "user.service"))], dependsOn: [mount]),
            change("Mount", "data", steps: [.systemctl(SystemctlStep(.stop, "data.mount"))]),
        ]
        SystemctlBatches.merge(&changes)
        #expect(calls(changes[0]) == ["stop user.service"])
        #expect(calls(changes[1]) == ["stop data.mount"])
    }

    @Test func leadingCallsAreNotMoved() {
        // stop, disable, then the file goes: the calls cannot wait for later changes.
        let removal: (String) -> Change = { name in
            self.change("SystemdUnit", name, steps: [
                .systemctl(SystemctlStep(.stop, name)), .systemctl(SystemctlStep(.disable, name)),
                .removeFile(RemoveFileStep(path: "/etc/systemd/system/\(name)", backup: true)),
            ])
        }
        var changes = [removal("a.service"), removal("b.service")]
        let before = changes
        SystemctlBatches.merge(&changes)
        #expect(changes == before)
    }

    @Test func liveEnablesSkipTheirReloadAndTheApplyReloadsOnce() throws {
        let directory = TemporaryDirectory()
        let state = StateDirectory(directory.path + "/state")
        let runner = RecordedRunner([:]) { $0.first == "systemctl" ? CommandResult(status: 0) : nil }
        let executor = Executor(files: LocalFileSystem(root: HostRoot()), commands: runner, state: state, logger: Logger(label: "t"))
        var changes = ["a.service", "b.service", "c.service"].map { name in
            change("SystemdUnit", name, steps: [.systemctl(SystemctlStep(.enable, name)), .systemctl(SystemctlStep(.start, name))])
        }
        SystemctlBatches.merge(&changes)
        let report = try executor.apply(plan(changes, root: HostRoot()), applyID: "b1")
        #expect(report.succeeded)
        #expect(report.completed.count == 3)
        #expect(runner.recordedCalls == [
            ["systemctl", "enable", "--no-reload", "a.service", "b.service", "c.service"],
            ["systemctl", "daemon-reload"],
            ["systemctl", "start", "a.service", "b.service", "c.service"],
        ])
    }

    @Test func aFailingBatchNamesTheUnitThatFails() throws {
        let directory = TemporaryDirectory()
        let root = HostRoot(directory.path)
        let state = StateDirectory(directory.path + "/state")
        let runner = RecordedRunner([:]) { argv in
            argv.contains("b.service") && argv.count > 4
                ? CommandResult(status: 1, stderr: Data("Failed to enable unit: Unit file b.service is masked.\n".utf8))
                : argv == ["systemctl", "--root=\(directory.path)", "enable", "b.service"]
                ? CommandResult(status: 1, stderr: Data("Failed to enable unit: Unit file b.service is masked.\n".utf8))
                : CommandResult(status: 0)
        }
        let executor = Executor(files: LocalFileSystem(root: root), commands: runner, state: state, logger: Logger(label: "t"))
        var changes = ["a.service", "b.service", "c.service"].map { name in
            change("SystemdUnit", name, steps: [.systemctl(SystemctlStep(.enable, name))])
        }
        SystemctlBatches.merge(&changes)
        let report = try executor.apply(plan(changes, root: root), applyID: "b2")
        let failure = try #require(report.failure)
        #expect(failure.address?.name == "c.service")
        #expect(failure.message.contains("failed for 1 of 3 units"))
        #expect(failure.message.contains("b.service: `systemctl --root=\(directory.path) enable b.service` exited with status 1: Failed to enable unit: Unit file b.service is masked."))
        #expect(!failure.message.contains("a.service:"))
        #expect(runner.recordedCalls.count == 4, "one batch, then each of the three alone")
    }

    @Test func manyWritesAreStagedThenPutInPlaceInOrder() throws {
        let directory = TemporaryDirectory()
        let root = HostRoot(directory.path)
        let state = StateDirectory(directory.path + "/state")
        let runner = RecordedRunner([:]) { argv in
            // The last change's command runs once every file of the group is in place.
            argv == ["check-files"] && (0..<20).allSatisfy { FileManager.default.fileExists(atPath: directory.path + "/srv/f\($0)") }
                ? CommandResult(status: 0) : nil
        }
        let executor = Executor(files: LocalFileSystem(root: root), commands: runner, state: state, logger: Logger(label: "t"))
        var changes = (0..<19).map { index in
            change("File", "f\(index)", steps: [.writeFile(WriteFileStep(path: "/srv/f\(index)", content: Data("file \(index)\n".utf8), mode: 0o640))])
        }
        changes.append(change("File", "f19", steps: [
            .writeFile(WriteFileStep(path: "/srv/f19", content: Data("file 19\n".utf8))), .command(CommandStep(argv: ["check-files"])),
        ]))
        #expect(Executor.writeGroupEnd(changes, from: 0) == 20)
        var events: [String] = []
        let report = try executor.apply(plan(changes, root: root), applyID: "b3") { event in
            switch event {
            case .changeStarted(let change): events.append("start \(change.address.name)")
            case .changeCompleted(let change): events.append("done \(change.address.name)")
            default: break
            }
        }
        #expect(report.succeeded)
        #expect(report.completed.count == 20)
        #expect(directory.read("srv/f7") == "file 7\n")
        var info = stat()
        #expect(stat(directory.path + "/srv/f7", &info) == 0 && info.st_mode & 0o777 == 0o640)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/srv").filter { $0.contains(".reconcile-") }.isEmpty)
        #expect(events.prefix(20).allSatisfy { $0.hasPrefix("start") } && events.suffix(20).allSatisfy { $0.hasPrefix("done") })
        let journal = Journal.entries(state, apply: "b3", from: 0)
        #expect(journal.filter { $0.event == "step-done" }.count == 21)
        #expect(journal.filter { $0.event == "step-started" }.compactMap(\.path).count == 20, "temp files of a kill are findable")
    }

    @Test func aWriteThatCannotBeStagedLeavesTheEarlierOnesInPlace() throws {
        let directory = TemporaryDirectory()
        let root = HostRoot(directory.path)
        try directory.write("srv/not-a-folder", "a file\n")
        let executor = Executor(files: LocalFileSystem(root: root), commands: RecordedRunner(), state: StateDirectory(directory.path + "/state"), logger: Logger(label: "t"))
        let changes = [
            change("File", "one", steps: [.writeFile(WriteFileStep(path: "/srv/one", content: Data("1\n".utf8)))]),
            change("File", "two", steps: [.writeFile(WriteFileStep(path: "/srv/not-a-folder/two", content: Data("2\n".utf8)))]),
            change("File", "three", steps: [.writeFile(WriteFileStep(path: "/srv/three", content: Data("3\n".utf8)))]),
        ]
        let report = try executor.apply(plan(changes, root: root), applyID: "b4")
        #expect(report.completed.map(\.name) == ["one"])
        #expect(report.failure?.address?.name == "two")
        #expect(report.notAttempted.map(\.name) == ["three"])
        #expect(directory.read("srv/one") == "1\n")
        #expect(directory.read("srv/three") == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/srv").sorted() == ["not-a-folder", "one"])
    }

    @Test func aFailedRenameKeepsWhatWasRenamedAndRemovesTheRest() throws {
        let directory = TemporaryDirectory()
        let files = LocalFileSystem(root: HostRoot(directory.path))
        try directory.write("srv/keep", "old\n")
        let batch = WriteBatch()
        for name in ["a", "b", "c"] {
            try files.stage("/srv/\(name)", content: Data("new \(name)\n".utf8), mode: 0o644, uid: nil, gid: nil, in: batch)
        }
        // b becomes a folder with something in it after it was staged: its rename must fail.
        try directory.write("srv/b/inside", "x\n")
        var committed: [Int] = []
        #expect(throws: WriteBatch.Failure.self) { try files.commit(batch) { committed.append($0) } }
        #expect(committed == [0])
        #expect(directory.read("srv/a") == "new a\n")
        #expect(directory.read("srv/c") == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/srv").sorted() == ["a", "b", "keep"])
    }

    @Test func aLinkAlreadyThereIsLeftAndAnythingElseIsRefused() throws {
        let directory = TemporaryDirectory()
        let files = LocalFileSystem(root: HostRoot(directory.path))
        let link = "/etc/systemd/system/multi-user.target.wants/a.service"
        try files.createSymlink(link, target: "/etc/systemd/system/a.service")
        #expect(try files.linkTarget(link) == "/etc/systemd/system/a.service")
        try files.createSymlink(link, target: "/etc/systemd/system/a.service")
        // As systemctl enable without --force: a link elsewhere is not replaced.
        #expect(throws: ReconcileError.self) { try files.createSymlink(link, target: "/lib/systemd/system/a.service") }
        #expect(try files.linkTarget(link) == "/etc/systemd/system/a.service")
        try directory.write("etc/systemd/system/b.service", "[Unit]\n")
        #expect(throws: ReconcileError.self) { try files.createSymlink("/etc/systemd/system/b.service", target: "/dev/null") }
        #expect(directory.read("etc/systemd/system/b.service") == "[Unit]\n")
        #expect(try files.linkTarget("/etc/systemd/system/b.service") == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/etc/systemd/system/multi-user.target.wants") == ["a.service"])
    }
}
