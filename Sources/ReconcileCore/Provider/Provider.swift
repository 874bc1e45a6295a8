import Foundation
import Logging
import ReconcileYAML

/// What probes may touch: read-only use of the host through injected effects.
public struct HostContext: Sendable {
    public let root: HostRoot
    /// Looked at only: probes never change the host.
    public let files: any ReadableFileSystem
    public let commands: any CommandRunner
    public let logger: Logger
    /// For `{env: NAME}` secrets a probe compares with what the host has.
    public let environment: [String: String]

    public init(
        files: any ReadableFileSystem, commands: any CommandRunner, logger: Logger = Logger(label: "reconcile"),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.root = files.root
        self.files = files
        self.commands = commands
        self.logger = logger
        self.environment = environment
    }
}

/// What a provider may know about the rest of the plan while planning one resource.
public struct PlanContext: Sendable {
    public let root: HostRoot
    /// Those of this resource's dependencies that will change (all that is known of the others:
    /// resources without dependencies are planned side by side, in any order).
    public let changing: Set<ResourceAddress>
    /// Accounts those changes create: an owner missing on the host is fine when it is here.
    public let pendingAccounts: PendingAccounts

    public init(root: HostRoot, changing: Set<ResourceAddress>, pendingAccounts: PendingAccounts = .none) {
        self.root = root
        self.changing = changing
        self.pendingAccounts = pendingAccounts
    }
}

/// What decoding may need besides the YAML: the manifest's own folder, for `source:` files.
public struct DecodeContext: Sendable {
    public let manifestPath: String
    public let name: String
    public let state: ResourceState
    /// Files a resource reads besides its manifest (an `entriesFile:`), kept for caret snippets.
    public let auxiliarySources: AuxiliarySources

    public init(manifestPath: String, name: String, state: ResourceState, auxiliarySources: AuxiliarySources = AuxiliarySources()) {
        self.manifestPath = manifestPath
        self.name = name
        self.state = state
        self.auxiliarySources = auxiliarySources
    }

    /// `source:` paths are relative to the manifest that names them.
    public func resolveManifestRelative(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        let directory = manifestPath.split(separator: "/", omittingEmptySubsequences: false).dropLast()
            .joined(separator: "/")
        return directory.isEmpty ? path : "\(directory)/\(path)"
    }

    /// One spelling per file, absolute and without `.`/`..`, whether given relative or not: what
    /// messages show, and how groups are told apart.
    public static func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return URL(fileURLWithPath: full).standardized.path
    }
}

/// A resource kind: decode and check manifests, probe the host in one batch, plan changes.
/// Providers read and plan; they never change the host (the executor does).
public protocol ResourceProvider: Sendable {
    associatedtype Spec: ResourceSpec
    associatedtype Observed: Codable & Sendable & Equatable

    /// The spec's, unless a provider says otherwise.
    static var kind: String { get }
    static var keys: [String] { get }
    func decode(_ reader: ObjectReader, context: DecodeContext) -> Spec?
    /// Checks across all resources of the kind (two Files with one path, say).
    func validate(_ resources: [Declared<Spec>]) -> [Diagnostic]
    /// One batched look at the host for all resources of the kind, in the same order.
    func probe(_ resources: [Declared<Spec>], host: HostContext) throws -> [Observed]
    /// Pure: desired + observed → change.
    func plan(_ resource: Declared<Spec>, observed: Observed, context: PlanContext) throws -> ResourcePlan
}

extension ResourceProvider {
    public static var kind: String { Spec.kind }
    public static var keys: [String] { Spec.keys }

    public func decode(_ reader: ObjectReader, context: DecodeContext) -> Spec? {
        Spec.decode(reader, context: context)
    }

    public func validate(_ resources: [Declared<Spec>]) -> [Diagnostic] { [] }
}

/// Collects the texts of files read while decoding, so their diagnostics get snippets too.
public final class AuxiliarySources: @unchecked Sendable {
    private let lock = NSLock()
    private var texts: [String: SourceText] = [:]

    public init() {}

    public func add(_ source: SourceText) {
        lock.withLock { texts[source.path] = source }
    }

    public var all: [String: SourceText] { lock.withLock { texts } }
}
