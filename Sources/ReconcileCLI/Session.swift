import Foundation
import Logging
import ReconcileCore
import ReconcileProviders
import ReconcileYAML

/// Wires the real host into the engine; the one place that does.
struct Session {
    let options: HostOptions
    let logger: Logger
    let registry = Providers.registry
    /// Texts of the manifests read, for caret snippets in errors found after loading.
    private let loadedSources = SourceBox()

    init(options: HostOptions) {
        self.options = options
        var logger = Logger(label: "reconcile") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = options.logLevel
        self.logger = logger
    }

    var files: LocalFileSystem { LocalFileSystem(root: options.hostRoot) }
    var commands: LoggingRunner { LoggingRunner(ProcessRunner(), logger: logger) }
    var host: HostContext { HostContext(files: files, commands: commands, logger: logger) }
    var planner: Planner { Planner(registry: registry, version: ReconcileVersion.current) }

    /// What reconcile last applied on this host; damaged is an error, never an empty inventory.
    /// A plan run by a user who may not read the state folder (plans need no root) goes on
    /// without it, saying what that leaves out.
    func inventory() throws -> Inventory {
        let stopwatch = Stopwatch()
        do {
            let inventory = try Inventory.load(options.stateDirectory)
            logger.debug("read the inventory", metadata: ["resources": "\(inventory.count)", "ms": "\(stopwatch.milliseconds)"])
            return inventory
        } catch ReconcileError.io(let path, _, let code) where code == EACCES {
            Terminal.writeError("warning: cannot read \(TerminalText.escaped(path)) (permission denied): this plan does not remove "
                + "resources no longer declared and does not tell drift from manifest changes; run it as root for those")
            return .empty
        } catch {
            throw fail(error)
        }
    }

    /// This host's identity; a broken labels file is an error like any other.
    func identity() throws -> HostIdentity {
        do {
            return try options.identity(files: files)
        } catch {
            throw fail(error)
        }
    }

    /// Loads and checks manifests; prints every diagnostic; throws `ExitCode` (1) when any is an error.
    /// `hosts`: whose views are checked and whose resources are kept (nil: every resource).
    /// `report: false` leaves the diagnostics to the caller (validate's machine formats): nothing
    /// printed, no exit for errors in them.
    func loadManifests(_ paths: [String], hosts: [HostIdentity]?, report: Bool = true) throws -> LoadedManifests {
        let loaded: LoadedManifests
        let stopwatch = Stopwatch()
        do {
            loaded = try ManifestLoader(registry: registry).load(paths: paths, hosts: hosts)
        } catch {
            Terminal.writeError("error: " + TerminalText.escapedKeepingLineFeeds("\(error)"))
            throw CLIExit.failure
        }
        logger.debug("loaded manifests", metadata: [
            "resources": "\(loaded.declared.count)", "files": "\(paths.joined(separator: " "))", "ms": "\(stopwatch.milliseconds)",
        ])
        loadedSources.sources = loaded.sources
        guard report else { return loaded }
        if !loaded.diagnostics.items.isEmpty {
            Terminal.writeError(diagnosticRenderer.render(loaded.diagnostics.sorted))
        }
        if loaded.diagnostics.hasErrors { throw CLIExit.failure }
        if let hosts, hosts.count == 1, let host = hosts.first, loaded.resources.isEmpty {
            Terminal.writeError(TerminalText.escapedKeepingLineFeeds(Self.nothingSelected(loaded, paths: paths, host: host)))
        }
        return loaded
    }

    /// An empty plan from an empty selection looks like a converged host: say which it is.
    static func nothingSelected(_ loaded: LoadedManifests, paths: [String], host: HostIdentity) -> String {
        let where_ = paths.joined(separator: " ")
        guard !loaded.declared.isEmpty else {
            return "warning: no resources in \(where_): no *.yaml or *.yml document declares one"
        }
        let labels = host.labels.isEmpty ? "no labels" : host.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
        return "warning: none of the \(loaded.declared.count) resources in \(where_) is for host \(host.name) (\(labels)): "
            + "their hosts: selections leave it out; check --host and --label"
    }

    private var diagnosticRenderer: DiagnosticRenderer {
        DiagnosticRenderer(sources: loadedSources.sources, colour: Terminal.colourAllowed(fileDescriptor: 2))
    }

    /// Prints any error the way an operator can act on it, then turns it into exit status 1.
    func fail(_ error: Error) -> Error {
        switch error {
        case let exit as ExitCodeError:
            return exit
        case let diagnostics as DiagnosticsError:
            Terminal.writeError(diagnosticRenderer.render(diagnostics.diagnostics))
        default:
            Terminal.writeError("error: " + TerminalText.escapedKeepingLineFeeds("\(error)"))
        }
        return CLIExit.failure
    }

    /// Writes a document atomically, so a saved plan or facts file is never half there; with
    /// `signKey`, its `ssh-keygen -Y` signature beside it (PATH.sig), made from the same bytes.
    func save(_ data: Data, to path: String) throws {
        try LocalFileSystem().writeAtomically(Self.absolute(path), content: data, mode: 0o600, uid: nil, gid: nil)
    }

    /// A plan for `apply FILE`, streamed to the file (a change at a time, never whole in memory);
    /// signed, when asked, from the finished temp file before it takes the name.
    func save(_ plan: Plan, to path: String, signKey: String?) throws {
        try Self.save(plan, to: path, signKey: signKey, commands: commands)
    }

    /// `save(_:to:signKey:)` without the session, for work run on another thread.
    static func save(_ plan: Plan, to path: String, signKey: String?, commands: some CommandRunner) throws {
        let absolute = Self.absolute(path)
        try LocalFileSystem().writeAtomically(absolute, mode: 0o600, uid: nil, gid: nil, produce: { descriptor in
            let output = BufferedOutput(descriptor: descriptor, name: absolute)
            try PlanDocumentWriter(layout: .linePerChange).write(plan) { try output.write($0) }
            try output.write("\n")
            try output.flush()
        }, verify: { written in
            guard let signKey else { return }
            let data = try Data(contentsOf: URL(fileURLWithPath: written), options: .alwaysMapped)
            let signature = try PlanSignature.sign(data, key: signKey, commands: commands)
            try LocalFileSystem().writeAtomically(
                PlanSignature.defaultPath(for: absolute), content: signature, mode: 0o644, uid: nil, gid: nil)
        })
    }

    private static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}

/// Runs `body`; any error is printed the operator's way and becomes exit status 1.
func orFail<T>(_ session: Session, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch {
        throw session.fail(error)
    }
}

/// Exit statuses the CLI promises: 0 ok / no changes, 1 error, 2 changes (with --detailed-exitcode),
/// 3 changes some of which are drift (with --drift-exitcode).
enum CLIExit {
    static let failure = ExitCodeError(1)
    static let changes = ExitCodeError(2)
    static let drift = ExitCodeError(3)
}

/// Carries an exit status through ArgumentParser without printing anything more.
struct ExitCodeError: Error {
    let status: Int32
    init(_ status: Int32) { self.status = status }
}

private final class SourceBox: @unchecked Sendable {
    var sources: [String: SourceText] = [:]
}
