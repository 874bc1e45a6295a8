import Foundation
import Logging

/// What the executor reports as it goes, for progress output.
public enum ApplyEvent: Sendable {
    case changeStarted(Change)
    case stepStarted(ResourceAddress?, Step)
    case stepFailed(ResourceAddress?, Step, String)
    case changeCompleted(Change)
    case triggerRun(String)
    case progress(String)
}

/// The only code that changes the host: runs each step of a plan in order,
/// queues restarts on disk before the change that needs them, and drains them even after a failure.
public struct Executor: Sendable {
    public let files: any HostFileSystem
    public let commands: any CommandRunner
    public let state: StateDirectory
    public let logger: Logger
    /// Where `{env: NAME}` secrets are read from when a step needs them.
    public let environment: [String: String]
    /// Which backup folders an apply that changed something removes at its end.
    public let backupPolicy: BackupPolicy

    public init(
        files: any HostFileSystem, commands: any CommandRunner, state: StateDirectory, logger: Logger,
        environment: [String: String] = ProcessInfo.processInfo.environment, backupPolicy: BackupPolicy = .default
    ) {
        self.files = files
        self.commands = commands
        self.state = state
        self.logger = logger
        self.environment = environment
        self.backupPolicy = backupPolicy
    }

    /// The same executor, its commands marked as this apply's.
    func tagged(_ applyID: String) -> Executor {
        Executor(
            files: files, commands: TaggedRunner(base: commands, applyID: applyID), state: state, logger: logger,
            environment: environment, backupPolicy: backupPolicy)
    }

    var root: HostRoot { files.root }

    /// Call with the apply lock held. `STATE/apply-running.json` stays behind only if this is killed.
    /// The inventory and `STATE/history` record what it did. A plan with data-loss changes runs
    /// only with `allowDataLoss` (the CLI's `--allow-data-loss`): the check is here, so no caller
    /// of the library can skip it; nothing is done when it fails.
    public func apply(
        _ checked: CheckedPlan, applyID: String, now: Date = Date(), origin: ApplyOrigin? = nil, allowDataLoss: Bool = false,
        onEvent: (ApplyEvent) -> Void = { _ in }
    ) throws -> ApplyReport {
        let plan = checked.plan
        let risky = plan.changes.filter { $0.hasChanges && $0.risk == .dataLoss }
        guard risky.isEmpty || allowDataLoss else {
            throw ReconcileError.notAllowed(
                "this plan can lose data (\(risky.map { TerminalText.escaped($0.address.description) }.joined(separator: ", "))); "
                    + "nothing was changed. Review it, then apply again allowing data loss (--allow-data-loss)")
        }
        return try tagged(applyID).run(
            plan, applyID: applyID, now: now,
            origin: origin ?? ApplyOrigin(manifests: nil, savedPlan: nil, git: nil, user: Accounts.userName(getuid())), onEvent: onEvent)
    }

    /// A plan without changes still records its resources as applied (the first apply on a host
    /// that already matches adopts them; removals found gone leave the inventory).
    public func recordUnchanged(_ checked: CheckedPlan, applyID: String, now: Date = Date()) throws {
        let plan = checked.plan
        let before = try Inventory.load(state)
        let after = try before.recording(
            plan, report: nil, before: before, hashes: try Inventory.hashes(of: plan), applyID: applyID,
            at: ISO8601DateFormatter().string(from: now))
        if after.isModified { try after.save(state) }
    }

    private func run(_ plan: Plan, applyID: String, now: Date, origin: ApplyOrigin, onEvent: (ApplyEvent) -> Void) throws -> ApplyReport {
        let journal = try Journal(state, applyID: applyID)
        var queue = try TriggerQueue.load(state)
        var report = ApplyReport(applyID: applyID)
        let pending = plan.changes.filter(\.hasChanges)
        let steps = pending.reduce(0) { $0 + $1.steps.count }
        let startedAt = ISO8601DateFormatter().string(from: now)
        let before = try Inventory.load(state)
        let hashes = try Inventory.hashes(of: plan)
        let registered = try before.registering(plan, hashes: hashes, applyID: applyID, at: startedAt)
        var record = ApplyRecord(id: applyID, plan: plan, startedAt: now, steps: steps, origin: origin, journalOffset: journal.offset)
        try ApplyHistory.save(record, state)
        try RunningApply(apply: applyID, startedAt: now, steps: steps, journalOffset: journal.offset).save(state)
        try registered.save(state)
        journal.record("apply-started", detail: "\(plan.summary.changed) changes, \(steps) steps")
        var index = 0
        while index < pending.count {
            let groupEnd = Self.writeGroupEnd(pending, from: index)
            let outcome: (completed: Int, failure: ApplyReport.Failure?)
            if groupEnd > index {
                outcome = runWriteGroup(pending[index..<groupEnd], queue: &queue, applyID: applyID, journal: journal, onEvent: onEvent)
            } else {
                let change = pending[index]
                onEvent(.changeStarted(change))
                journal.record("change-started", address: change.address, detail: change.action.rawValue)
                let failure = run(change, queue: &queue, applyID: applyID, journal: journal, onEvent: onEvent)
                if failure == nil { markDone(change, journal: journal, onEvent: onEvent) }
                outcome = (failure == nil ? 1 : 0, failure)
            }
            report.completed += pending[index..<(index + outcome.completed)].map(\.address)
            if let failure = outcome.failure {
                report.failure = failure
                report.notAttempted = pending[(index + outcome.completed + 1)...].map(\.address)
                break
            }
            index += outcome.completed
        }
        drain(&queue, report: &report, journal: journal, onEvent: onEvent)
        let pruned = backupPolicy.prune(state, current: applyID, now: now)
        report.backupsPruned = pruned.removed
        report.backupsNotPruned = pruned.failed
        if !pruned.removed.isEmpty { journal.record("backups-pruned", detail: pruned.removed.joined(separator: " ")) }
        do {
            try registered.recording(
                plan, report: report, before: before, hashes: hashes, applyID: applyID, at: ISO8601DateFormatter().string(from: Date())
            ).save(state)
        } catch {
            report.inventoryNotRecorded = "\(Inventory.path(state)): \(error)"
        }
        journal.record(report.succeeded ? "apply-succeeded" : "apply-failed")
        record.finish(report, at: Date())
        record.stepsDone = journal.stepsDone
        try? ApplyHistory.save(record, state)
        ApplyHistory.prune(state)
        try? RunningApply.remove(state)
        return report
    }

    /// Runs what earlier applies left queued; `apply` calls this before planning.
    public func drainLeftovers(applyID: String, onEvent: (ApplyEvent) -> Void = { _ in }) throws -> ApplyReport {
        var queue = try TriggerQueue.load(state)
        var report = ApplyReport(applyID: applyID)
        guard !queue.isEmpty else { return report }
        let journal = try Journal(state, applyID: applyID)
        journal.record("drain-leftovers")
        tagged(applyID).drain(&queue, report: &report, journal: journal, onEvent: onEvent)
        return report
    }

    private func drain(_ queue: inout TriggerQueue, report: inout ApplyReport, journal: Journal, onEvent: (ApplyEvent) -> Void) {
        do {
            try daemonReloadIfPending(&queue, onEvent: onEvent)
        } catch {
            report.triggerFailures.append(.init(address: nil, step: "systemctl daemon-reload", message: "\(error)"))
            journal.record("trigger-failed", step: "systemctl daemon-reload", detail: "\(error)")
            return
        }
        while let first = queue.triggers.first?.systemctl {
            // The queued triggers of one verb in a row: one call, each unit alone only if it fails.
            let units = queue.triggers.prefix { $0.systemctl.verb == first.verb }.map(\.systemctl.unit)
            let batch = SystemctlStep(first.verb, first.unit, others: units.count > 1 ? Array(units.dropFirst()) : nil)
            onEvent(.triggerRun(Step.systemctl(batch).summary))
            let failures: [String: String]
            do {
                try daemonReloadIfPending(&queue, onEvent: onEvent)
                _ = try commands.checked(Self.systemctlArgv(batch, root: root))
                failures = [:]
            } catch {
                failures = units.count == 1 ? [first.unit: "\(error)"] : eachAlone(batch)
            }
            for unit in units {
                let summary = Step.systemctl(batch.only(unit)).summary
                if let message = failures[unit] {
                    report.triggerFailures.append(.init(address: nil, step: summary, message: message))
                    journal.record("trigger-failed", step: summary, detail: message)
                } else {
                    report.triggersRun.append(summary)
                    journal.record("trigger-done", step: summary)
                }
            }
            queue.triggers.removeFirst(units.count)
            try? queue.save(state)
        }
    }

    /// Runs the call for each unit alone; the error of each that fails.
    private func eachAlone(_ step: SystemctlStep) -> [String: String] {
        var failures: [String: String] = [:]
        for unit in step.units {
            do {
                _ = try commands.checked(Self.systemctlArgv(step.only(unit), root: root))
            } catch {
                failures[unit] = "\(error)"
            }
        }
        return failures
    }

    func markDone(_ change: Change, journal: Journal, onEvent: (ApplyEvent) -> Void) {
        journal.record("change-done", address: change.address)
        onEvent(.changeCompleted(change))
    }

    /// Queues the change's triggers, then runs its steps; returns the first failure.
    private func run(
        _ change: Change, queue: inout TriggerQueue, applyID: String, journal: Journal, onEvent: (ApplyEvent) -> Void
    ) -> ApplyReport.Failure? {
        if let failure = queueTriggers(of: change, into: &queue, journal: journal) { return failure }
        return run(change.steps[...], of: change, queue: &queue, applyID: applyID, journal: journal, onEvent: onEvent)
    }

    /// On disk before the change's first step, so a kill after it cannot lose them.
    func queueTriggers(of change: Change, into queue: inout TriggerQueue, journal: Journal) -> ApplyReport.Failure? {
        guard !change.triggers.isEmpty else { return nil }
        do {
            for trigger in change.triggers where !queue.triggers.contains(trigger) {
                queue.triggers.append(trigger)
            }
            try queue.save(state)
        } catch {
            journal.record("step-failed", address: change.address, step: "queue triggers", detail: "\(error)")
            return .init(address: change.address, step: "queue triggers", message: "\(error)")
        }
        return nil
    }

    func run(
        _ steps: ArraySlice<Step>, of change: Change, queue: inout TriggerQueue, applyID: String, journal: Journal,
        onEvent: (ApplyEvent) -> Void
    ) -> ApplyReport.Failure? {
        for step in steps {
            onEvent(.stepStarted(change.address, step))
            journal.record("step-started", address: change.address, step: step.summary, path: step.writtenPath)
            do {
                try perform(step, queue: &queue, applyID: applyID, onEvent: onEvent)
            } catch {
                onEvent(.stepFailed(change.address, step, "\(error)"))
                journal.record("step-failed", address: change.address, step: step.summary, detail: "\(error)")
                return .init(address: change.address, step: step.summary, message: "\(error)")
            }
            journal.record("step-done", address: change.address, step: step.summary)
        }
        return nil
    }

    func perform(_ step: Step, queue: inout TriggerQueue, applyID: String, onEvent: (ApplyEvent) -> Void) throws {
        switch step {
        case .command(let command):
            if let monitor = command.monitor {
                try MonitoredCommand.run(command, monitor: monitor, commands: commands, onEvent: onEvent)
            } else if let secrets = command.secretEnvironment, !secrets.isEmpty {
                try runWithSecrets(command, secrets: secrets)
            } else if let batch = command.batch {
                try runBatch(command, batch, onEvent: onEvent)
            } else {
                _ = try commands.checked(Command(command.argv, environment: command.environment))
            }
        case .writeFile(let write):
            try writeFile(write, queue: &queue, applyID: applyID, batch: nil)
        case .setAttributes(let attributes):
            try files.setAttributes(
                attributes.path, mode: attributes.mode, uid: try attributes.owner.map(uid),
                gid: try attributes.group.map(gid))
        case .removeFile(let remove):
            if remove.needsDaemonReload { try owesDaemonReload(&queue) }
            if remove.backup { try backUp(remove.path, applyID: applyID) }
            try files.remove(remove.path)
        case .systemctl(let systemctl):
            try runSystemctl(systemctl, queue: &queue, onEvent: onEvent)
        case .check(let check):
            try runCheck(check)
        case .compileCDB(let compile):
            try backUp(compile.target, applyID: applyID)
            try compileCDB(compile)
        case .editTOML(let edit):
            try editTOML(edit, applyID: applyID)
        case .makeFilesystem(let make):
            try makeFilesystem(make)
        case .link(let link):
            try files.createSymlink(link.path, target: link.target)
        case .removeDirectory(let directory):
            try files.removeDirectory(directory.path, recursive: directory.recursive)
        case .createDirectory(let directory):
            let parent = (directory.path as NSString).deletingLastPathComponent
            if try files.status(parent) == nil { try files.createDirectories(parent, mode: 0o755) }
            if try files.status(directory.path) == nil { try files.createDirectories(directory.path, mode: directory.mode) }
            try files.setAttributes(
                directory.path, mode: directory.mode, uid: try directory.owner.map(uid), gid: try directory.group.map(gid))
        }
    }

    /// A batch (`apt-get install` of many packages) can take minutes: show what its log says it
    /// has done so far, or at least that it still runs.
    private func runBatch(_ command: CommandStep, _ batch: CommandBatch, onEvent: (ApplyEvent) -> Void) throws {
        let stopwatch = Stopwatch()
        let full = Command(command.argv, environment: command.environment)
        let logStart = try batch.progressLog.flatMap { try files.status($0.path)?.size } ?? 0
        let result = try commands.run(full, every: 5) {
            let seconds = stopwatch.seconds
            guard seconds >= 5 else { return true }
            var done = ""
            if let log = batch.progressLog, let data = try? files.read(log.path), Int64(data.count) >= logStart {
                let text = String(decoding: data.dropFirst(Int(logStart)), as: UTF8.self)
                let progress = log.progress(in: Substring(text))
                done = ", \(progress.count) \(log.unit)" + (progress.last.map { " (last: \(TerminalText.escaped($0)))" } ?? "")
            }
            onEvent(.progress("\(batch.key) of \(batch.items.count) item(s): \(seconds) s\(done)"))
            return true
        }
        guard result.status == 0 else {
            throw ReconcileError.commandFailed(CommandFailure(argv: command.argv, status: result.status, stderr: result.stderrText + result.stdoutText))
        }
    }

    /// Formats only what is blank now, whatever the plan saw: `wipefs --no-act` first.
    private func makeFilesystem(_ make: MakeFilesystemStep) throws {
        let device = root.resolve(make.device)
        guard try files.status(make.device) != nil else {
            throw ReconcileError.notAllowed("\(device) does not exist; nothing was formatted")
        }
        let found = try commands.checked(Command(DeviceSignatures.argv([device]), environment: ["LC_ALL": "C"]))
        let signatures = try DeviceSignatures.parse(found.stdout)
        guard signatures.isEmpty else {
            throw ReconcileError.notAllowed(
                "\(device) is not blank any more (wipefs --no-act finds \(signatures.compactMap(\.type).joined(separator: ", "))); nothing was formatted")
        }
        _ = try commands.checked(Command(make.argv(device: device)))
    }

    /// The content goes to a private temp file in the state dir, never beside live files.
    private func runCheck(_ check: CheckStep) throws {
        try state.create()
        let path = "\(state.path)/check-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try state.files.writeAtomically(path, content: check.content, mode: 0o600, uid: nil, gid: nil)
        defer { try? state.files.remove(path) }
        let argv = check.argv.map { $0 == CheckStep.placeholder ? path : $0 }
        let result = try commands.run(Command(argv))
        guard result.status == 0 else {
            let output = (result.stderrText + result.stdoutText).replacingOccurrences(of: path, with: "<generated file>")
            throw ReconcileError.commandFailed(CommandFailure(argv: check.argv, status: result.status, stderr: output))
        }
    }

    /// Under a staging root only unit-file operations make sense; they take `--root`. Live,
    /// enable and disable leave systemd's reload to the one the apply makes (`--no-reload`).
    public static func systemctlArgv(_ step: SystemctlStep, root: HostRoot) -> [String] {
        guard root.isLive else { return ["systemctl", "--root=\(root.path)"] + step.arguments }
        return step.changesUnitFiles ? ["systemctl", step.verb.rawValue, "--no-reload"] + step.units : ["systemctl"] + step.arguments
    }

    /// One call for all the step's units; when it fails, each unit alone, to name the ones that fail.
    func runSystemctl(_ step: SystemctlStep, queue: inout TriggerQueue, onEvent: (ApplyEvent) -> Void) throws {
        // Enabling reads unit files from disk; only running units need systemd to have reloaded.
        if !step.changesUnitFiles { try daemonReloadIfPending(&queue, onEvent: onEvent) }
        defer {
            if step.changesUnitFiles { try? owesDaemonReload(&queue) }
        }
        do {
            _ = try commands.checked(Self.systemctlArgv(step, root: root))
        } catch let error as ReconcileError where step.units.count > 1 {
            onEvent(.progress("systemctl \(step.verb.rawValue) failed for the batch of \(step.units.count) units; trying each alone"))
            let failures = eachAlone(step)
            let failed = step.units.compactMap { unit in failures[unit].map { "\(unit): \($0)" } }
            guard !failed.isEmpty else { throw error }
            throw ReconcileError.notAllowed(
                "systemctl \(step.verb.rawValue) failed for \(failed.count) of \(step.units.count) units:\n  " + failed.joined(separator: "\n  "))
        }
    }

    /// Queues the daemon-reload a live host now owes, on disk before the change that causes it
    /// (once: 2,000 unit files written need one reload, and one write of the queue).
    private func owesDaemonReload(_ queue: inout TriggerQueue) throws {
        guard root.isLive, !queue.daemonReload else { return }
        queue.daemonReload = true
        try queue.save(state)
    }

    /// Runs a queued daemon-reload; reports it, since the plan only promises it.
    private func daemonReloadIfPending(_ queue: inout TriggerQueue, onEvent: (ApplyEvent) -> Void) throws {
        guard queue.daemonReload else { return }
        if root.isLive {
            onEvent(.triggerRun("systemctl daemon-reload"))
            _ = try commands.checked(["systemctl", "daemon-reload"])
        }
        queue.daemonReload = false
        try queue.save(state)
    }

    /// Written and renamed into place now, or (with a batch) staged for the batch's commit.
    func writeFile(_ write: WriteFileStep, queue: inout TriggerQueue, applyID: String, batch: WriteBatch?) throws {
        if write.needsDaemonReload { try owesDaemonReload(&queue) }
        let content = try self.content(of: write)
        let existing = try files.status(write.path)
        if let existing, existing.type == .directory {
            throw ReconcileError.notAllowed("\(root.resolve(write.path)) is a directory; refusing to replace it with a file")
        }
        if existing == nil {
            let parent = (write.path as NSString).deletingLastPathComponent
            if try files.status(parent) == nil {
                try files.createDirectories(parent, mode: 0o755)
            }
        } else if write.backup {
            try backUp(write.path, applyID: applyID)
        }
        let mode = write.mode ?? existing?.mode ?? 0o644
        let owner = try write.owner.map(uid)
        let group = try write.group.map(gid)
        if let batch {
            try files.stage(write.path, content: content, mode: mode, uid: owner, gid: group, in: batch)
        } else {
            try files.writeAtomically(write.path, content: content, mode: mode, uid: owner, gid: group)
        }
    }

    /// Sensitive content is read now (from the host when the plan names where), and written only
    /// if it is what the plan promised: the plan never held it, so its hash is the promise.
    private func content(of write: WriteFileStep) throws -> Data {
        guard write.sensitive else { return write.content }
        let content = try write.contentFrom.map { try $0.content(environment: environment, files: files) } ?? write.content
        guard let promised = write.contentSHA256, Fingerprint.sha256(content) == promised else {
            let hint = write.contentFrom.map { "\($0) changed since the plan was made; plan again" }
                ?? "its content was written inline in the manifest, and saved plans never carry sensitive content: "
                + "apply from the manifests, or use content: {file: …} or {env: …}"
            throw ReconcileError.notAllowed("\(write.path): the sensitive content is not the one planned (\(hint)); nothing was written")
        }
        return content
    }

    /// Keeps what a write or removal replaces, under `backups/<apply>/<host path>`.
    func backUp(_ path: String, applyID: String) throws {
        guard let status = try files.status(path), status.type == .file else { return }
        let content = try files.read(path)
        let target = state.backupDirectory(applyID: applyID) + (path.hasPrefix("/") ? path : "/" + path)
        try state.files.createDirectories((target as NSString).deletingLastPathComponent, mode: 0o700)
        try state.files.writeAtomically(target, content: content, mode: status.mode & 0o700, uid: nil, gid: nil)
    }

    /// By the host's own accounts: under `--root`, the root's etc/passwd and etc/group.
    func uid(_ name: String) throws -> UInt32 {
        let accounts = AccountDatabase.of(files)
        guard let uid = accounts.uid(name) else { throw ReconcileError.notAllowed("unknown user \"\(name)\" (in \(accounts.userSource))") }
        return uid
    }

    func gid(_ name: String) throws -> UInt32 {
        let accounts = AccountDatabase.of(files)
        guard let gid = accounts.gid(name) else {
            throw ReconcileError.notAllowed("unknown group \"\(name)\" (in \(accounts.groupSource))")
        }
        return gid
    }
}
