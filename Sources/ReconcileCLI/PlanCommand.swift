import ArgumentParser
import Foundation
import ReconcileCore

/// How a plan is shown, shared by `plan`, `apply` and `show`.
struct PlanOutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print the plan as a versioned JSON document (schemas/plan.schema.json).")
    var json = false

    @Flag(name: .long, help: "Exit 0 when nothing changes, 2 when something does (1 stays an error).")
    var detailedExitcode = false

    @Flag(name: .long, help: "List resources that need no change too.")
    var showUnchanged = false

    /// The plan on standard output: the JSON document, or text for people; streamed, a change at a time.
    func write(_ plan: Plan) throws {
        let output = BufferedOutput(descriptor: STDOUT_FILENO, name: "standard output")
        if json {
            try PlanDocumentWriter(layout: .pretty).write(plan) { try output.write($0) }
            try output.write("\n")
        } else {
            try PlanRenderer(colour: Terminal.colourAllowed(fileDescriptor: 1), showUnchanged: showUnchanged).render(plan) { try output.write($0) }
        }
        try output.flush()
    }
}

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Probe the host (or read its facts) and print what apply would change.",
        discussion: """
            Nothing on the host changes. With --facts FILE the host is not probed at all: \
            the plan is made against facts written earlier by `reconcile facts` on that host. \
            With --facts FOLDER every host in it is planned (--out is then a folder: HOST.json per \
            host and summary.json); the output is a summary by host, action and risk.
            """
    )

    @OptionGroup var manifests: ManifestOptions
    @OptionGroup var hostOptions: HostOptions
    @OptionGroup var output: PlanOutputOptions

    @OptionGroup var scopeOptions: ScopeOptions

    @Flag(name: .long, help: "Like --detailed-exitcode, but exit 3 when some change is drift (the host changed outside reconcile).")
    var driftExitcode = false

    @Option(name: .long, help: ArgumentHelp(
        "Write node_exporter textfile-collector metrics of this plan here, atomically (also when planning fails).",
        valueName: "FILE"))
    var metricsFile: String?

    @Option(name: .long, help: ArgumentHelp("Plan against this facts file (or every one in this folder) instead of probing.", valueName: "PATH"))
    var facts: String?

    @Option(name: .long, help: ArgumentHelp("Also save the plan as JSON, for `reconcile apply FILE` (a folder with --facts FOLDER).", valueName: "PATH"))
    var out: String?

    @Option(name: .long, help: ArgumentHelp(
        "Sign each saved plan with this SSH private key (`ssh-keygen -Y sign`, namespace reconcile-plan): PLAN.json.sig.",
        valueName: "KEY"))
    var signKey: String?

    func validate() throws {
        if signKey != nil && out == nil {
            throw ValidationError("--sign-key signs saved plans: pass --out too")
        }
        if let facts, FactsFiles.isDirectory(facts), hostOptions.host != nil || !hostOptions.labels.isEmpty {
            throw ValidationError("--host and --label name one host; with --facts FOLDER each host's facts do")
        }
        if let facts, FactsFiles.isDirectory(facts), !scopeOptions.targets.isEmpty || metricsFile != nil {
            throw ValidationError("--target and --metrics-file are for one host's plan, not --facts FOLDER")
        }
    }

    func run() throws {
        let session = Session(options: hostOptions)
        if let facts, FactsFiles.isDirectory(facts) {
            try FleetPlan(
                session: session, manifests: manifests.paths, facts: facts, out: out, signKey: signKey, output: output,
                keepUndeclared: scopeOptions.keepUndeclared).run()
            return
        }
        var stopwatch = Stopwatch()
        let plan: Plan
        do {
            plan = try makePlan(session)
        } catch {
            try writeMetrics(session, plan: nil, seconds: stopwatch.elapsed)
            throw error
        }
        try writeMetrics(session, plan: plan, seconds: stopwatch.elapsed)
        if facts == nil {
            // What an interrupted apply left on this host: told, not touched (apply repairs it).
            // A state folder this user may not read (plan needs no root) only loses the note.
            do {
                let found = try Recovery(files: session.files, state: hostOptions.stateDirectory).inspect(plan)
                if !found.isEmpty { Terminal.writeError(found.render(removed: false)) }
            } catch {
                session.logger.warning("cannot tell whether an apply was interrupted: \(error)")
            }
        }
        session.logger.debug("planned", metadata: ["changes": "\(plan.changes.count)", "ms": "\(stopwatch.milliseconds)"])
        stopwatch = Stopwatch()
        try show(plan, session: session)
        session.logger.debug("shown", metadata: ["ms": "\(stopwatch.milliseconds)"])
        if driftExitcode && !plan.drifted.isEmpty { throw CLIExit.drift }
        if (output.detailedExitcode || driftExitcode) && plan.hasChanges { throw CLIExit.changes }
    }

    /// Live plans also tell the last apply, from this host's history.
    private func writeMetrics(_ session: Session, plan: Plan?, seconds: Double) throws {
        guard let metricsFile else { return }
        let lastApply = facts == nil ? (try? ApplyHistory.list(hostOptions.stateDirectory, limit: 1))?.first : nil
        let metrics = PlanMetrics(
            host: plan?.host ?? hostOptions.hostName, plan: plan, duration: seconds, lastApply: lastApply)
        try orFail(session) {
            let path = metricsFile.hasPrefix("/") ? metricsFile : FileManager.default.currentDirectoryPath + "/" + metricsFile
            try LocalFileSystem().writeAtomically(path, content: Data(metrics.render().utf8), mode: 0o644, uid: nil, gid: nil)
        }
    }

    private func makePlan(_ session: Session) throws -> Plan {
        guard let facts else {
            let identity = try session.identity()
            let loaded = try session.loadManifests(manifests.paths, hosts: [identity])
            let inventory = try session.inventory()
            return try orFail(session) {
                try session.planner.plan(
                    loaded.resources, from: .live(session.host), root: hostOptions.hostRoot, hostName: identity.name,
                    labels: identity.labels, inventory: inventory, scope: scopeOptions.scope,
                    values: loaded.valueReport(for: identity))
            }
        }
        let (document, identity) = try orFail(session) {
            let document = try FactsDocument.load(from: try readFile(facts), path: facts)
            return (document, try hostOptions.overriding(document.identity))
        }
        let loaded = try session.loadManifests(manifests.paths, hosts: [identity])
        return try orFail(session) {
            try session.planner.plan(
                loaded.resources, from: .file(document, path: facts), root: HostRoot(document.root), hostName: identity.name,
                labels: identity.labels, inventory: document.inventory ?? .empty, scope: scopeOptions.scope,
                values: loaded.valueReport(for: identity))
        }
    }

    private func show(_ plan: Plan, session: Session) throws {
        // Encoding thousands of changes costs real time: only when asked for.
        guard let out else {
            try output.write(plan)
            return
        }
        // Saved and shown side by side: the saved plan's encoding and sync overlap the text's.
        let (output, signKey, commands) = (output, signKey, session.commands)
        try sideBySide({ try Session.save(plan, to: out, signKey: signKey, commands: commands) }, { try output.write(plan) })
        if !output.json { Terminal.write("Saved plan to \(out); apply it with `reconcile apply \(out)`.\n") }
    }
}

func readFile(_ path: String) throws -> Data {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ReconcileError.io(path: path, operation: "read", errno: errno == 0 ? ENOENT : errno)
    }
    return data
}
