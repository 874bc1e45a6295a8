import Foundation
import ReconcileCore

/// Manages one file: content, mode, owner, group; written atomically, backed up before replacing.
public struct FileProvider: ResourceProvider {
    public init() {}

    public func validate(_ resources: [Declared<FileSpec>]) -> [Diagnostic] {
        PathClaims.conflicts(resources.map { ($0.spec.path, $0.meta) })
    }

    public func probe(_ resources: [Declared<FileSpec>], host: HostContext) throws -> [FileObservation] {
        // A stat and a read per file, independent of each other: spread over the cores.
        try resources.concurrentMap { resource in
            let spec = resource.spec
            var observation = try FileObservation.probe(spec.path, files: host.files, sensitive: spec.sensitive)
            if resource.meta.state == .present {
                observation.noteUnknownAccounts(owner: spec.owner, group: spec.group, in: AccountDatabase.of(host.files))
            }
            if let source = spec.contentFrom, resource.meta.state == .present {
                do {
                    observation.sourceSHA256 = Fingerprint.sha256(try source.content(environment: host.environment, files: host.files))
                } catch {
                    observation.sourceProblem = "\(error)"
                }
            }
            return observation
        }
    }

    public func plan(_ resource: Declared<FileSpec>, observed: FileObservation, context: PlanContext) throws -> ResourcePlan {
        let spec = resource.spec
        guard resource.meta.state == .present else {
            guard observed.exists else { return .noop }
            return ResourcePlan(
                action: .delete, reasons: ["state is absent and \(spec.path) exists"],
                steps: [.removeFile(RemoveFileStep(path: spec.path, backup: !spec.sensitive))], risk: .disruptive)
        }
        try observed.refuseUnknownAccounts(pending: context.pendingAccounts)
        if let problem = observed.sourceProblem {
            throw PlanProblem("content", "cannot read the content: \(problem)")
        }
        guard let content = spec.content ?? (spec.contentFrom != nil ? Data() : nil) else {
            throw PlanProblem("content", "sensitive content is not in this plan (saved plans never carry it)")
        }
        var file = ManagedFile(path: spec.path, content: content, mode: spec.mode, owner: spec.owner, group: spec.group)
        file.sensitive = spec.sensitive
        file.contentFrom = spec.contentFrom
        file.contentFromSHA256 = observed.sourceSHA256
        let outcome = try file.plan(against: observed)
        return ResourcePlan(action: outcome.action, reasons: outcome.reasons, steps: outcome.steps)
    }
}

/// Two resources may not manage one path (or claim one port, or any other value that must be unique).
enum PathClaims {
    static func conflicts(_ claims: [(path: String, meta: ResourceMeta)], key: String = "path") -> [Diagnostic] {
        var first: [String: ResourceMeta] = Dictionary(minimumCapacity: claims.count)
        var diagnostics: [Diagnostic] = []
        for (path, meta) in claims {
            if let earlier = first[path] {
                diagnostics.append(.error(
                    at: meta.mark, keyPath: key, "\(path) is already managed by \(earlier.address)",
                    notes: earlier.mark.map { [.init(mark: $0, message: "\(earlier.address) declared here")] } ?? []))
            } else {
                first[path] = meta
            }
        }
        return diagnostics
    }
}
