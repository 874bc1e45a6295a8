import ArgumentParser
import Foundation
import ReconcileCore

struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Plan, show, confirm, then change the host.",
        discussion: """
            `reconcile apply PATHS...` plans from manifests; `reconcile apply PLAN.json` applies a plan saved \
            by `plan --out`, only if the host still matches what was probed for it (else: stale plan, \
            nothing changes). On a terminal it asks before changing anything; elsewhere it needs \
            --auto-approve. One apply at a time per state dir.
            """
    )

    @OptionGroup var manifests: ManifestOptions
    @OptionGroup var hostOptions: HostOptions
    @OptionGroup var output: PlanOutputOptions
    @OptionGroup var scopeOptions: ScopeOptions

    @Flag(name: .long, help: "Apply without asking.")
    var autoApprove = false

    @Flag(name: .long, help: "Allow steps the plan classes data-loss (removing an LV, shrinking one).")
    var allowDataLoss = false

    @Option(name: .long, help: ArgumentHelp("Wait this long for another apply's lock (default: do not wait).", valueName: "SECONDS"))
    var lockTimeout: Double = 0

    @Option(name: .long, help: ArgumentHelp(
        "Apply a saved plan only if it is signed by a key in this ssh allowed_signers file (namespace reconcile-plan).",
        valueName: "FILE"))
    var allowedSigners: String?

    @Option(name: .long, help: ArgumentHelp("The saved plan's signature (default: PLAN.sig beside it).", valueName: "PATH"))
    var signature: String?

    @Option(name: .long, help: ArgumentHelp("Keep at most this many backup folders (STATE/backups/APPLY-ID).", valueName: "N"))
    var backupsKeep: Int = BackupPolicy.default.keep

    @Option(name: .long, help: ArgumentHelp("Remove backup folders older than this many days (0: no age limit).", valueName: "DAYS"))
    var backupsMaxAge: Int = BackupPolicy.default.maxAgeDays

    func validate() throws {
        if (allowedSigners != nil || signature != nil) && savedPlanPath == nil {
            throw ValidationError("--allowed-signers and --signature check a saved plan: pass one PLAN.json")
        }
        if savedPlanPath != nil && (!scopeOptions.targets.isEmpty || scopeOptions.keepUndeclared) {
            throw ValidationError("a saved plan keeps the --target and --keep-undeclared it was made with: plan again to change them")
        }
        if signature != nil && allowedSigners == nil {
            throw ValidationError("--signature needs --allowed-signers to check it against")
        }
        guard backupsKeep >= 1 else { throw ValidationError("--backups-keep must be at least 1 (this apply's own backups)") }
        guard backupsMaxAge >= 0 else { throw ValidationError("--backups-max-age is a number of days, 0 or more") }
    }

    func run() throws {
        let session = Session(options: hostOptions)
        let state = hostOptions.stateDirectory
        let deadline = Date().addingTimeInterval(lockTimeout)
        let lock: ApplyLock
        do {
            lock = try ApplyLock.acquire(
                state, holder: ApplyLock.describeThisProcess(command: "reconcile apply", host: hostOptions.hostName),
                timeout: lockTimeout)
        } catch {
            throw session.fail(error)
        }
        defer { withExtendedLifetime(lock) {} }
        let interruption = try orFail(session) { try Self.waitForChildren(of: try Interruption.find(state), state: state, until: deadline) }
        if let interruption { try? ApplyHistory.markInterrupted(interruption, state) }
        let executor = Executor(
            files: session.files, commands: session.commands, state: state, logger: session.logger,
            backupPolicy: BackupPolicy(keep: backupsKeep, maxAgeDays: backupsMaxAge))
        let applyID = Self.newApplyID()
        let leftovers = try orFail(session) { try executor.drainLeftovers(applyID: applyID, onEvent: Self.progress) }
        if !leftovers.triggersRun.isEmpty || !leftovers.triggerFailures.isEmpty {
            Terminal.writeError("Finished restarts left queued by an earlier apply:\n" + ApplyReportRenderer.render(leftovers))
        }
        let checked = try orFail(session) { try makePlan(session) }
        let plan = checked.plan
        let recovered = try orFail(session) {
            try Recovery(files: session.files, state: state).repair(interruption, plan: plan, applyID: applyID)
        }
        if !recovered.isEmpty { Terminal.writeError(recovered.render(removed: true)) }
        // With --json, standard output holds one document: the plan and what became of it.
        let started = Date()
        func document(_ report: ApplyReport?, _ result: ApplyDocument.Result, reason: String? = nil) throws {
            guard output.json else { return }
            try ApplyDocument(plan: plan, report: report, result: result, reason: reason, startedAt: started, applyID: applyID).write()
        }
        if !output.json { try output.write(plan) }
        guard plan.hasChanges else {
            try orFail(session) { try executor.recordUnchanged(checked, applyID: applyID) }
            return try document(nil, .noChanges)
        }
        do {
            try refuseUnallowedDataLoss(plan)
            try confirm(plan)
        } catch {
            try document(nil, .refused, reason: allowDataLoss || !plan.changes.contains { $0.hasChanges && $0.risk == .dataLoss }
                ? "not confirmed" : "data loss not allowed (--allow-data-loss)")
            throw error
        }
        let origin = ApplyOrigin.current(manifests: savedPlanPath == nil ? manifests.paths : nil, savedPlan: savedPlanPath)
        let report = try orFail(session) { try executor.apply(checked, applyID: applyID, origin: origin, allowDataLoss: allowDataLoss, onEvent: Self.progress) }
        (report.succeeded && !output.json ? Terminal.write : Terminal.writeError)(ApplyReportRenderer.render(report))
        try document(report, report.succeeded ? .complete : .failed)
        guard report.succeeded else { throw CLIExit.failure }
        if output.detailedExitcode { throw CLIExit.changes }
    }

    /// Commands of an interrupted apply that still run (an `lvconvert --uncache` flushing after its
    /// apply was killed) hold the host as the apply did: wait for them, or refuse naming them.
    static func waitForChildren(of interruption: Interruption?, state: StateDirectory, until deadline: Date) throws -> Interruption? {
        guard let interruption else { return nil }
        while true {
            let children = Recovery.liveChildren(of: interruption)
            if children.isEmpty { return interruption }
            if Date() >= deadline {
                throw ReconcileError.lockHeld(
                    path: state.lockPath,
                    holder: "\(children.joined(separator: ", ")), a child of the apply started at \(interruption.startedAt) "
                        + "(\(interruption.apply), pid \(interruption.pid), \(LockHolders.isAlive(interruption.pid) ? "still running" : "no longer running")), "
                        + "which was interrupted after step \(interruption.stepsDone) of \(interruption.steps); "
                        + "wait for it to end (--lock-timeout SECONDS), then apply again")
            }
            Thread.sleep(forTimeInterval: 1)
        }
    }

    /// A single path holding a JSON document is a saved plan; anything else is manifests.
    private var savedPlanPath: String? {
        guard manifests.paths.count == 1, let path = manifests.paths.first,
              let data = FileManager.default.contents(atPath: path),
              let first = data.first(where: { !Character(UnicodeScalar($0)).isWhitespace }) else { return nil }
        return first == UInt8(ascii: "{") ? path : nil
    }

    private func makePlan(_ session: Session) throws -> CheckedPlan {
        if let path = savedPlanPath {
            // Read once: the bytes checked are the bytes decoded.
            let data = try readFile(path)
            if let allowedSigners {
                let signer = try PlanSignature.verify(
                    data, signature: signature ?? PlanSignature.defaultPath(for: path), allowedSigners: allowedSigners,
                    commands: session.commands)
                session.logger.info("plan signature verified", metadata: ["signer": "\(signer)", "plan": "\(path)"])
            }
            let saved = try Plan.load(from: data, path: path)
            return try SavedPlanCheck(registry: session.registry).derive(
                saved, host: session.host, identity: try hostOptions.identity(files: session.files),
                inventory: try Inventory.load(hostOptions.stateDirectory), path: path)
        }
        let identity = try session.identity()
        let loaded = try session.loadManifests(manifests.paths, hosts: [identity])
        return try session.planner.planToApply(
            loaded.resources, host: session.host, hostName: identity.name, labels: identity.labels,
            inventory: try Inventory.load(hostOptions.stateDirectory), scope: scopeOptions.scope, values: loaded.valueReport(for: identity))
    }

    /// Approval alone is not enough for a step that can lose data: it takes its own flag.
    private func refuseUnallowedDataLoss(_ plan: Plan) throws {
        let risky = plan.changes.filter { $0.hasChanges && $0.risk == .dataLoss }.map { TerminalText.escaped($0.address.description) }
        guard !risky.isEmpty, !allowDataLoss else { return }
        Terminal.writeError("error: this plan can lose data (\(risky.joined(separator: ", "))); nothing was changed. "
            + "Review it, then apply again with --allow-data-loss.")
        throw CLIExit.failure
    }

    private func confirm(_ plan: Plan) throws {
        if autoApprove { return }
        guard Terminal.isInteractive else {
            Terminal.writeError("error: refusing to apply without confirmation: not a terminal; pass --auto-approve")
            throw CLIExit.failure
        }
        let risk = plan.maximumRisk.map { " (highest risk: \($0.rawValue))" } ?? ""
        Terminal.write("\nApply \(plan.summary.changed) changes to \(plan.host)\(risk)? Only 'yes' is accepted: ")
        guard readLine() == "yes" else {
            Terminal.writeError("Apply cancelled; nothing changed.")
            throw CLIExit.failure
        }
    }

    static func progress(_ event: ApplyEvent) {
        switch event {
        case .changeStarted(let change):
            ProgressLine.shared.print("\(change.action.symbol) \(change.address): \(change.action.rawValue)")
        case .stepStarted(_, let step):
            ProgressLine.shared.print("    \(step.summary)")
        case .stepFailed(_, let step, let message):
            ProgressLine.shared.print("    FAILED: \(step.summary): \(message)")
        case .changeCompleted:
            break
        case .triggerRun(let summary):
            ProgressLine.shared.print("↻ \(summary)")
        case .progress(let text):
            ProgressLine.shared.update("      " + text)
        }
    }

    static func newApplyID() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd'T'HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date()) + "-\(getpid())"
    }
}
