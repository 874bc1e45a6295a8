import ReconcileCore

/// Pure planning for one LV: checks first (every problem at once, at its manifest line), then the
/// ordered LVM commands: uncache → resize → recache, or in place, as the strategy says.
struct LVPlanner {
    let spec: LVSpec
    let observed: LVObservation

    func planRemoval() -> ResourcePlan {
        guard let lv = observed.lv else { return .noop }
        return ResourcePlan(
            action: .delete,
            reasons: ["state is absent: \(spec.path) (\(ByteSize(bytes: lv.size))) is removed with all data on it"],
            steps: [.command(LVMCommand.step(["lvremove", "--yes", spec.path], "remove \(spec.path) and its data"))],
            risk: .dataLoss)
    }

    func planPresence() throws -> ResourcePlan {
        guard let vg = observed.vg else {
            let known = observed.vgNames.isEmpty ? "none" : observed.vgNames.joined(separator: ", ")
            throw PlanProblem("name", "volume group \(spec.vg) does not exist on this host (volume groups: \(known))")
        }
        guard let size = spec.size else { return .noop }
        guard vg.extentSize > 0 else {
            throw PlanProblem("name", "LVM reports an extent size of 0 bytes for volume group \(spec.vg): the facts or the report are damaged (probe the host again)")
        }
        var problems = check(vg: vg, size: size)
        guard problems.isEmpty else { throw PlanProblems(problems) }
        var plan = ResourcePlan(action: .update)
        guard let lv = observed.lv else {
            problems += checkFree(vg, extents: size.bytes / vg.extentSize, keyPath: "size", what: "the new LV")
            if let cache = spec.cache {
                problems += checkCacheRoom(vg, cache)
            }
            guard problems.isEmpty else { throw PlanProblems(problems) }
            plan.action = .create
            plan.reasons.append("\(spec.path) does not exist")
            plan.steps.append(.command(LVMCommand.step(
                ["lvcreate", "--yes", "--name", spec.lv, "--size", size.lvmArgument, spec.vg] + dataPVs(vg),
                "create \(spec.path) (\(size))")))
            if let cache = spec.cache {
                plan.reasons.append("cache \(cache.name) (\(cache.mode.rawValue), \(cache.size)) on \(cache.device) is wanted")
                plan.steps.append(.command(LVMCommand.attachCache(spec, cache)))
            }
            return plan
        }
        return try planChanges(vg: vg, lv: lv, size: size)
    }

    private func planChanges(vg: LVObservation.VG, lv: LVObservation.LV, size: ByteSize) throws -> ResourcePlan {
        var plan = ResourcePlan(action: .noop)
        var problems: [PlanProblem] = []
        let current = ByteSize(bytes: lv.size)
        let grows = size > current
        let shrinks = size < current
        if shrinks && !spec.allowShrink {
            problems.append(PlanProblem("size", "\(spec.path) is \(current), the manifest says \(size): shrinking loses data unless the filesystem shrinks first; set allowShrink: true with resizeFilesystem: true to do that"))
        }
        let cacheNow = lv.cache
        let wanted = spec.cache
        let rebuild: Bool = {
            guard let cacheNow, let wanted else { return false }
            return !Self.sameCache(cacheNow, wanted)
        }()
        if let wanted, cacheNow == nil || rebuild {
            problems += checkCacheRoom(vg, wanted, freedByRebuild: rebuild ? cacheNow : nil)
        }
        if grows {
            problems += checkFree(vg, extents: (size.bytes - current.bytes) / vg.extentSize, keyPath: "size", what: "growing \(spec.path)")
        }
        guard problems.isEmpty else { throw PlanProblems(problems) }

        let strategy = ResizeStrategyChoice.choose(spec.resizeStrategy, lvmVersion: observed.lvmVersion, kernel: observed.kernel)
        let resizes = grows || shrinks
        // Shrinking a cached LV in place is not supported by lvm2: always uncache for it.
        let uncacheForResize = resizes && cacheNow != nil && (shrinks || !strategy.online)
        let uncache = cacheNow != nil && (wanted == nil || rebuild || uncacheForResize)
        if let cacheNow, uncache {
            plan.reasons.append(wanted == nil ? "the manifest no longer wants the cache \(cacheNow.pool)"
                : rebuild ? "cache \(cacheNow.pool) (\(ByteSize(bytes: cacheNow.size)) on \(cacheNow.devices.joined(separator: ",")), \(cacheNow.mode)) → \(wanted.map { "\($0.size) on \($0.device), \($0.mode.rawValue)" } ?? "")"
                : "resizing a cached LV: \(strategy.reason)")
            plan.steps.append(.command(LVMCommand.uncache(spec, mode: cacheNow.mode)))
            plan.risk = max(plan.risk, .disruptive)
            if cacheNow.mode == "writeback" {
                plan.warnings.append("uncaching flushes the writeback cache's dirty blocks to the slow PV first; this can take long (progress is shown, a stall of \(spec.flushStallSeconds) s stops the apply; nothing is lost)")
            }
        } else if resizes && cacheNow != nil {
            plan.reasons.append(strategy.reason)
        }
        if resizes {
            plan.reasons.append("size \(current) → \(size)")
            // fsadm fails on an LV without a filesystem: there is nothing to resize yet.
            let blank = observed.lv?.signatures?.isEmpty == true
            let withFilesystem = spec.resizeFilesystem && !blank
            if spec.resizeFilesystem && blank { plan.reasons.append("\(spec.path) has no filesystem yet: resized without --resizefs") }
            var argv = ["lvresize"]
            if withFilesystem { argv.append("--resizefs") }
            argv += ["--size", size.lvmArgument, spec.path] + (grows ? dataPVs(vg) : [])
            plan.steps.append(.command(LVMCommand.step(argv, "\(grows ? "grow" : "shrink") \(spec.path) to \(size)"
                + (withFilesystem ? " with its filesystem" : blank ? " (no filesystem on it yet)" : " (the filesystem keeps its size)"))))
            if shrinks { plan.risk = .dataLoss }
        } else if spec.resizeFilesystem, let filesystem = lv.filesystemSize, filesystem < lv.size, lv.size - filesystem >= vg.extentSize {
            // A grow stopped between its halves: the LV has its size, its filesystem not yet.
            plan.reasons.append("the filesystem on \(spec.path) spans \(ByteSize(bytes: filesystem)) of its \(current): "
                + "a grow that stopped between the LV and its filesystem")
            plan.steps.append(.command(LVMCommand.step(
                ["fsadm", "--yes", "resize", spec.path], "grow the filesystem on \(spec.path) to the LV's \(current)")))
        }
        if let wanted, cacheNow == nil || uncache {
            if cacheNow == nil { plan.reasons.append("cache \(wanted.name) (\(wanted.mode.rawValue), \(wanted.size)) on \(wanted.device) is wanted") }
            plan.steps.append(.command(LVMCommand.attachCache(spec, wanted)))
        } else if let wanted, let cacheNow, cacheNow.mode != wanted.mode.rawValue {
            plan.reasons.append("cache mode \(cacheNow.mode) → \(wanted.mode.rawValue)")
            plan.steps.append(.command(LVMCommand.step(
                ["lvchange", "--cachemode", wanted.mode.rawValue, spec.path],
                "switch \(spec.path)'s cache to \(wanted.mode.rawValue)")))
        }
        if !plan.steps.isEmpty { plan.action = .update }
        return plan
    }

    /// Same pool name, size and device; the mode can change in place.
    static func sameCache(_ now: LVObservation.Cache, _ wanted: LVSpec.Cache) -> Bool {
        (now.pool == wanted.name + "_cpool" || now.pool == wanted.name) && now.size == wanted.size.bytes
            && now.devices == [wanted.device]
    }

    private func check(vg: LVObservation.VG, size: ByteSize) -> [PlanProblem] {
        var problems: [PlanProblem] = []
        let extent = ByteSize(bytes: vg.extentSize)
        let pvNames = vg.pvs.map(\.name)
        if size.bytes % vg.extentSize != 0 {
            let next = ExtentMath.roundedUp(size.bytes, vg.extentSize).map { "; \(ByteSize(bytes: $0)) is the next one" } ?? ""
            problems.append(PlanProblem("size", "\(size) is not a multiple of \(spec.vg)'s extent size (\(extent))\(next)"))
        }
        if let cache = spec.cache {
            if cache.size.bytes % vg.extentSize != 0 {
                problems.append(PlanProblem("cache.size", "\(cache.size) is not a multiple of \(spec.vg)'s extent size (\(extent))"))
            }
            if !pvNames.contains(cache.device) {
                problems.append(PlanProblem("cache.device", "\(cache.device) is not a PV of \(spec.vg) (its PVs: \(pvNames.joined(separator: ", ")))"))
            }
            if let lv = observed.lv, lv.devices.contains(cache.device) {
                problems.append(PlanProblem("cache.device", "\(cache.device) holds \(spec.path)'s own data: a cache must be on another (fast) PV"))
            }
        }
        for (index, pv) in spec.pvs.enumerated() where !pvNames.contains(pv) {
            problems.append(PlanProblem("pvs", "pvs[\(index)]: \(pv) is not a PV of \(spec.vg) (its PVs: \(pvNames.joined(separator: ", ")))"))
        }
        return problems
    }

    /// PVs the LV's own extents may come from: the listed ones, or all but the cache device.
    private func dataPVs(_ vg: LVObservation.VG) -> [String] {
        if !spec.pvs.isEmpty { return spec.pvs }
        guard let cache = spec.cache else { return [] }
        return vg.pvs.map(\.name).filter { $0 != cache.device }
    }

    private func checkFree(_ vg: LVObservation.VG, extents: UInt64, keyPath: String, what: String) -> [PlanProblem] {
        let allowed = Set(dataPVs(vg))
        let free = ExtentMath.sum(vg.pvs.filter { allowed.isEmpty || allowed.contains($0.name) }.map(\.freeExtents))
        guard extents > free else { return [] }
        let place = allowed.isEmpty ? spec.vg : allowed.sorted().joined(separator: ", ")
        return [PlanProblem(keyPath, "\(what) needs \(ExtentMath.describe(extents, vg.extentSize)), \(place) has \(ExtentMath.describe(free, vg.extentSize)) free")]
    }

    private func checkCacheRoom(_ vg: LVObservation.VG, _ cache: LVSpec.Cache, freedByRebuild: LVObservation.Cache? = nil) -> [PlanProblem] {
        guard let pv = vg.pvs.first(where: { $0.name == cache.device }), vg.extentSize > 0 else { return [] }
        let freed = freedByRebuild.flatMap { $0.devices == [cache.device] ? $0.size / vg.extentSize : nil } ?? 0
        let needed = cache.size.bytes / vg.extentSize
        let available = ExtentMath.sum([pv.freeExtents, freed])
        guard needed > available else { return [] }
        return [PlanProblem("cache.size", "a \(cache.size) cache needs that much free on \(cache.device), which has \(ExtentMath.describe(available, vg.extentSize))")]
    }
}

/// The LVM commands, by argv, with the environment LVM wants when it is not on a terminal.
enum LVMCommand {
    static func step(_ argv: [String], _ summary: String) -> CommandStep {
        CommandStep(argv: argv, environment: LVMReport.environment,
                    summary: summary + ": " + argv.map(ShellQuote.quote).joined(separator: " "))
    }

    /// `lvcreate --type cache --cachemode MODE --name NAME --size SIZE VG/LV DEVICE`, as done by hand.
    static func attachCache(_ spec: LVSpec, _ cache: LVSpec.Cache) -> CommandStep {
        step(["lvcreate", "--type", "cache", "--cachemode", cache.mode.rawValue, "--name", cache.name,
              "--size", cache.size.lvmArgument, spec.path, cache.device],
             "attach a \(cache.size) \(cache.mode.rawValue) cache on \(cache.device)")
    }

    /// A writeback flush can take hours: its dirty blocks are watched for progress, through
    /// `dmsetup status` (field 13 of the cache target's line is #dirty), which, unlike `lvs`,
    /// does not wait for the lock the running lvconvert holds.
    static func uncache(_ spec: LVSpec, mode: String) -> CommandStep {
        var command = step(["lvconvert", "--uncache", spec.path], "flush and detach the \(mode) cache of \(spec.path)")
        if mode == "writeback" {
            command.monitor = ProgressMonitor(
                argv: ["dmsetup", "status", deviceMapperName(spec)], field: 13, unit: "dirty blocks",
                stallSeconds: spec.flushStallSeconds, intervalSeconds: 1)
        }
        return command
    }

    /// LVM's device-mapper name: VG-LV with hyphens inside each name doubled.
    static func deviceMapperName(_ spec: LVSpec) -> String {
        spec.vg.replacingOccurrences(of: "-", with: "--") + "-" + spec.lv.replacingOccurrences(of: "-", with: "--")
    }
}
