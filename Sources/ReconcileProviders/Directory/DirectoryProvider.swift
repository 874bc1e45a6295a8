import ReconcileCore

/// Manages a folder: created with its attributes, attributes kept, removed when absent.
public struct DirectoryProvider: ResourceProvider {
    public init() {}

    public func validate(_ resources: [Declared<DirectorySpec>]) -> [Diagnostic] {
        PathClaims.conflicts(resources.map { ($0.spec.path, $0.meta) })
    }

    public func probe(_ resources: [Declared<DirectorySpec>], host: HostContext) throws -> [DirectoryObservation] {
        try resources.concurrentMap { try DirectoryObservation.probe($0.spec, files: host.files) }
    }

    public func plan(_ resource: Declared<DirectorySpec>, observed: DirectoryObservation, context: PlanContext) throws -> ResourcePlan {
        let spec = resource.spec
        let current = observed.path
        if current.exists && current.type != .directory {
            throw PlanProblem("path", "\(spec.path) is a \(current.type?.rawValue ?? "special file"), not a directory; refusing to replace it")
        }
        guard resource.meta.state == .present else { return planRemoval(spec, observed: observed) }
        try current.refuseUnknownAccounts(pending: context.pendingAccounts)
        guard current.exists else {
            return ResourcePlan(
                action: .create, reasons: ["\(spec.path) does not exist"],
                steps: [.createDirectory(CreateDirectoryStep(
                    path: spec.path, mode: spec.mode ?? DirectorySpec.defaultMode, owner: spec.owner, group: spec.group))])
        }
        let changes = ManagedFile.attributeChanges(path: spec.path, mode: spec.mode, owner: spec.owner, group: spec.group, observed: current)
        guard !changes.reasons.isEmpty else { return .noop }
        return ResourcePlan(action: .update, reasons: changes.reasons, steps: [.setAttributes(changes.step)])
    }

    /// An empty folder goes with `rmdir`; one with anything in it only as a data-loss step.
    private func planRemoval(_ spec: DirectorySpec, observed: DirectoryObservation) -> ResourcePlan {
        guard observed.path.exists else { return .noop }
        let entries = observed.entries ?? 0
        guard entries > 0 else {
            return ResourcePlan(
                action: .delete, reasons: ["state is absent and \(spec.path) is an empty directory"],
                steps: [.removeDirectory(RemoveDirectoryStep(path: spec.path, recursive: false))], risk: .disruptive)
        }
        return ResourcePlan(
            action: .delete,
            reasons: ["state is absent and \(spec.path) holds \(entries) entr\(entries == 1 ? "y" : "ies"): removing it deletes them"],
            steps: [.removeDirectory(RemoveDirectoryStep(path: spec.path, recursive: true, entries: entries))], risk: .dataLoss)
    }
}
