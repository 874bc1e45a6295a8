import ReconcileCore

/// LVs with an optional dm-cache: created, grown (recache or in place), re-cached, uncached, removed.
/// One `lvs`, one `vgs`, one `pvs`, one `lvm version` and one `uname -r` for all LVs.
public struct LogicalVolumeProvider: ResourceProvider {
    public init() {}

    /// Two LVs may not want a cache of one name in one VG.
    public func validate(_ resources: [Declared<LVSpec>]) -> [Diagnostic] {
        var seen: [String: Declared<LVSpec>] = [:]
        var diagnostics: [Diagnostic] = []
        for resource in resources {
            guard let cache = resource.spec.cache else { continue }
            let key = "\(resource.spec.vg)/\(cache.name)"
            if let first = seen[key] {
                diagnostics.append(.error(
                    at: resource.meta.mark(for: "cache.name"), keyPath: "cache.name",
                    "cache \(key) is also wanted by \(first.address)"))
            } else {
                seen[key] = resource
            }
        }
        return diagnostics
    }

    public func probe(_ resources: [Declared<LVSpec>], host: HostContext) throws -> [LVObservation] {
        guard !resources.isEmpty else { return [] }
        let report = try LVMReport.probe(host.commands)
        let version = try? host.commands.checked(Command(["lvm", "version"], environment: LVMReport.environment))
        let kernel = try? host.commands.checked(["uname", "-r"])
        var observations = resources.map {
            LVObservation.extract(
                report, vg: $0.spec.vg, lv: $0.spec.lv,
                lvmVersion: version.flatMap { LVObservation.parseLVMVersion($0.stdoutText) },
                kernel: kernel?.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        // One wipefs for every LV whose filesystem is to be resized with it; when wipefs cannot
        // tell, the signatures stay unknown and the plan resizes the filesystem as asked.
        let resizing = resources.indices.filter { resources[$0].spec.resizeFilesystem && observations[$0].lv != nil }
        let device = { (spec: LVSpec) in "/dev/\(spec.vg)/\(spec.lv)" }
        if !resizing.isEmpty, host.root.isLive,
            let found = try? SignatureProbe.probe(resizing.map { device(resources[$0].spec) }, commands: host.commands)
        {
            for index in resizing { observations[index].lv?.signatures = found[device(resources[index].spec)]?.compactMap(\.type) }
        }
        // And how much of the LV an ext filesystem spans: a grow stopped halfway shows only there.
        let measured = resizing.filter { !Set(observations[$0].lv?.signatures ?? []).isDisjoint(with: FilesystemSize.types) }
        if !measured.isEmpty {
            let sizes = FilesystemSize.probe(measured.map { device(resources[$0].spec) }, commands: host.commands)
            for index in measured { observations[index].lv?.filesystemSize = sizes[device(resources[index].spec)] }
        }
        return observations
    }

    public func plan(_ resource: Declared<LVSpec>, observed: LVObservation, context: PlanContext) throws -> ResourcePlan {
        guard context.root.isLive else {
            throw PlanProblem("name", "LVs are the host's real disks and cannot be staged under --root \(context.root.path)")
        }
        let planner = LVPlanner(spec: resource.spec, observed: observed)
        return resource.meta.state == .absent ? planner.planRemoval() : try planner.planPresence()
    }
}
