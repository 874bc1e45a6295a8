import ArgumentParser
import Logging
import ReconcileCore

/// Where on the host to act and where to keep state; shared by every command that touches the host.
public struct HostOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Resolve every host path under DIR, to stage an apply into a folder.", valueName: "DIR"))
    public var root: String = "/"

    @Option(name: .long, help: ArgumentHelp("Lock, journal, queued restarts and backups (default: ROOT/var/lib/reconcile).", valueName: "DIR"))
    public var stateDir: String?

    @Option(name: .long, help: "The host name plans and facts record, and `hosts:` selects by (default: this machine's).")
    public var host: String?

    @Option(
        name: .customLong("label"),
        help: ArgumentHelp("A host label for `hosts:` selectors (repeatable); adds to ROOT\(HostLabels.path).", valueName: "KEY=VALUE"))
    public var labels: [String] = []

    @Option(name: .long, help: ArgumentHelp("trace, debug, info, notice, warning, error or critical.", valueName: "LEVEL"))
    public var logLevel: Logger.Level = .warning

    public init() {}

    public var hostRoot: HostRoot { HostRoot(root) }
    public var stateDirectory: StateDirectory { stateDir.map(StateDirectory.init) ?? .default(for: hostRoot) }
    public var hostName: String { host ?? Terminal.hostName }

    public func validate() throws {
        guard root.hasPrefix("/") else {
            throw ValidationError("--root must be an absolute path, got \"\(root)\"")
        }
        for label in labels {
            do {
                _ = try HostLabels.parse(label)
            } catch {
                throw ValidationError("--label: \(error)")
            }
        }
    }

    /// This host as `hosts:` sees it: its name, the labels file under the root, then `--label`.
    public func identity(files: any HostFileSystem) throws -> HostIdentity {
        try overriding(HostIdentity(name: hostName, labels: try HostLabels.read(files: files)))
    }

    /// Another host's identity (from its facts), with `--host` and `--label` taking precedence.
    public func overriding(_ identity: HostIdentity) throws -> HostIdentity {
        var result = identity
        if let host { result.name = host }
        for label in labels {
            let (key, value) = try HostLabels.parse(label)
            result.labels[key] = value
        }
        return result
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// The manifests to read.
public struct ManifestOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("Manifest files, or directories searched for *.yaml and *.yml.", valueName: "PATHS"))
    public var paths: [String] = []

    public init() {}

    public func validate() throws {
        guard !paths.isEmpty else {
            throw ValidationError("give at least one manifest file or directory")
        }
    }
}

/// Which resources a plan or apply covers, and what becomes of those no longer declared.
struct ScopeOptions: ParsableArguments {
    @Option(name: .customLong("target"), help: ArgumentHelp(
        "Limit the run to this resource and what it depends on (repeatable; Kind/name, globs allowed: 'File/*').",
        valueName: "ADDRESS"), completion: ShellCompletion.addresses)
    var targets: [String] = []

    @Flag(name: .long, help: "Report resources that are in the inventory but no longer declared, without removing them.")
    var keepUndeclared = false

    var scope: PlanScope { PlanScope(targets: targets, keepUndeclared: keepUndeclared) }
}
