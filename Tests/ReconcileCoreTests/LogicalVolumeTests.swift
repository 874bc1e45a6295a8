import Foundation
@testable import ReconcileCore
@testable import ReconcileProviders
import Testing

/// LVM planning on reports captured from lvm2 2.03.16 in the VM (Fixtures/lvm/README.md).
@Suite struct LogicalVolumeTests {
    /// Answers the provider's five probe commands from one captured state.
    func runner(_ state: String) throws -> RecordedRunner {
        func file(_ name: String) throws -> CommandResult {
            CommandResult(status: 0, stdout: Data(try fixture("lvm/\(name)").utf8))
        }
        return RecordedRunner([
            LVMReport.lvsArgv: try file("\(state).lvs.json"),
            LVMReport.vgsArgv: try file("\(state).vgs.json"),
            LVMReport.pvsArgv: try file("\(state).pvs.json"),
            ["lvm", "version"]: try file("lvm-version.txt"),
            ["uname", "-r"]: try file("uname-r.txt"),
        ])
    }

    static let cachedManifest = """
        kind: LogicalVolume
        name: storage/slowlv
        size: 1G
        resizeFilesystem: true
        cache:
          name: slowlv_cache
          mode: writeback
          size: 200M
          device: /dev/loop1
        """

    func plan(_ manifest: String, state: String) throws -> (Plan, RecordedRunner) {
        let loaded = loadManifest(manifest)
        #expect(!loaded.diagnostics.hasErrors, "\(rendered(loaded))")
        let runner = try runner(state)
        let host = HostContext(files: LocalFileSystem(), commands: runner)
        let plan = try Planner(registry: Providers.registry, version: "t").plan(
            loaded.resources, from: .live(host), root: HostRoot("/"), hostName: "h")
        return (plan, runner)
    }

    func argvs(_ plan: Plan) -> [[String]] {
        plan.changes.flatMap(\.steps).compactMap { if case .command(let command) = $0 { return command.argv } else { return nil } }
    }

    func problems(_ manifest: String, state: String) throws -> [String] {
        do {
            _ = try plan(manifest, state: state)
            return []
        } catch let error as DiagnosticsError {
            return error.diagnostics.map(\.headline)
        }
    }

    @Test func readsACachedLVAndItsHiddenRows() throws {
        let report = LVMReport(
            lvs: try LVMReport.rows(Data(try fixture("lvm/cached-writeback.lvs.json").utf8), key: "lv", argv: []),
            vgs: try LVMReport.rows(Data(try fixture("lvm/cached-writeback.vgs.json").utf8), key: "vg", argv: []),
            pvs: try LVMReport.rows(Data(try fixture("lvm/cached-writeback.pvs.json").utf8), key: "pv", argv: []))
        let observed = LVObservation.extract(report, vg: "storage", lv: "slowlv", lvmVersion: "2.03.16", kernel: "6.1.0-56-amd64")
        #expect(observed.lv?.size == 1_073_741_824)
        #expect(observed.lv?.devices == ["/dev/loop0"], "the origin's PV, not the corig LV")
        #expect(observed.lv?.cache == .init(pool: "slowlv_cache_cpool", mode: "writeback", size: 209_715_200, devices: ["/dev/loop1"]))
        #expect(observed.vg?.extentSize == 4_194_304)
        #expect(observed.vg?.pvs == [.init(name: "/dev/loop0", freeExtents: 255), .init(name: "/dev/loop1", freeExtents: 73)])
        #expect(LVObservation.parseLVMVersion(try fixture("lvm/lvm-version.txt")) == "2.03.16")
    }

    /// lvs, vgs, pvs, lvm version, uname, and one wipefs for the LVs resized with their filesystem.
    @Test func probeIsSixProcessesForAnyNumberOfLVs() throws {
        let manifest = Self.cachedManifest.replacingOccurrences(of: "size: 1G", with: "size: 1524M")
            + "\n---\nkind: LogicalVolume\nname: storage/other\nsize: 100M\nresizeFilesystem: true\n"
        let (_, runner) = try plan(manifest, state: "two-lvs")
        #expect(runner.recordedCalls.count == 6)
        #expect(runner.recordedCalls.last == ["wipefs", "--no-act", "--json", "--", "/dev/storage/other", "/dev/storage/slowlv"])
    }

    @Test func createsTheLVOffTheCacheDeviceThenTheSeedsCache() throws {
        let (plan, _) = try plan(Self.cachedManifest, state: "empty-vg")
        #expect(plan.changes.first?.action == .create)
        #expect(argvs(plan) == [
            ["lvcreate", "--yes", "--name", "slowlv", "--size", "1073741824b", "storage", "/dev/loop0"],
            ["lvcreate", "--type", "cache", "--cachemode", "writeback", "--name", "slowlv_cache", "--size", "209715200b",
             "storage/slowlv", "/dev/loop1"],
        ])
    }

    @Test func attachesACacheToAPlainLV() throws {
        let (plan, _) = try plan(Self.cachedManifest, state: "plain")
        #expect(argvs(plan).map { $0.prefix(3) } == [["lvcreate", "--type", "cache"]])
        #expect(plan.changes.first?.risk == .safe)
    }

    @Test func convergedCachedLVIsANoOp() throws {
        let (plan, _) = try plan(Self.cachedManifest, state: "cached-writeback")
        #expect(!plan.hasChanges)
    }

    @Test func growingACachedLVOnKernel61Recaches() throws {
        let manifest = Self.cachedManifest.replacingOccurrences(of: "size: 1G", with: "size: 1536M")
        let (plan, _) = try plan(manifest, state: "cached-writeback")
        let change = try #require(plan.changes.first)
        #expect(argvs(plan) == [
            ["lvconvert", "--uncache", "storage/slowlv"],
            ["lvresize", "--resizefs", "--size", "1610612736b", "storage/slowlv", "/dev/loop0"],
            ["lvcreate", "--type", "cache", "--cachemode", "writeback", "--name", "slowlv_cache", "--size", "209715200b",
             "storage/slowlv", "/dev/loop1"],
        ])
        #expect(change.reasons.contains { $0.contains("strategy recache") && $0.contains("kernel 6.1") })
        #expect(change.risk == .disruptive)
        guard case .command(let uncache) = try #require(change.steps.first) else {
            Issue.record("the first step is not the uncache command: \(change.steps.first.map(\.summary) ?? "none")")
            return
        }
        #expect(uncache.monitor?.argv == ["dmsetup", "status", "storage-slowlv"])
        // A cache target's status line, as dmsetup prints it: field 13 is the dirty block count.
        #expect(uncache.monitor?.remaining(in: "0 2097152 cache 8 28/2048 128 1028/3200 95 51 402 900 0 1028 1026 1 writeback 2 migration_threshold 2048 smq 0 rw -\n") == 1026)
        #expect(change.warnings.contains { $0.contains("flushes the writeback cache") })
    }

    @Test func onlineStrategyResizesInPlace() throws {
        let manifest = Self.cachedManifest.replacingOccurrences(of: "size: 1G", with: "size: 1536M") + "\nresizeStrategy: online\n"
        let (plan, _) = try plan(manifest, state: "cached-writeback")
        #expect(argvs(plan) == [["lvresize", "--resizefs", "--size", "1610612736b", "storage/slowlv", "/dev/loop0"]])
    }

    /// fsadm fails on an LV with no filesystem: `--resizefs` only when wipefs finds one, and as
    /// asked when wipefs cannot tell (this recorded runner has no answer for it).
    @Test func resizefsOnlyWhereAFilesystemIs() throws {
        let manifest = Self.cachedManifest.replacingOccurrences(of: "size: 1G", with: "size: 1536M") + "\nresizeStrategy: online\n"
        let loaded = loadManifest(manifest)
        for (wipefs, expected) in [("", false), (try fixture("wipefs/ext4-blank-swap.json").replacingOccurrences(of: "ext.img", with: "slowlv"), true)] {
            let base = try runner("cached-writeback")
            let runner = RecordedRunner { argv in
                argv.first == "wipefs" ? CommandResult(status: 0, stdout: Data(wipefs.utf8)) : try? base.run(Command(argv))
            }
            let plan = try Planner(registry: Providers.registry, version: "t").plan(
                loaded.resources, from: .live(HostContext(files: LocalFileSystem(), commands: runner)), root: HostRoot("/"), hostName: "h")
            #expect(runner.recordedCalls.filter { $0.first == "wipefs" } == [["wipefs", "--no-act", "--json", "--", "/dev/storage/slowlv"]])
            #expect(argvs(plan).first?.contains("--resizefs") == expected, "\(argvs(plan))")
        }
    }

    /// A grow stopped between its halves (the LV grown, its ext4 not): the LV's size matches the
    /// manifest, and only the filesystem's size (dumpe2fs, captured from ext4 images of 512 MiB
    /// and 1 GiB) shows that `fsadm` must still grow the filesystem. Not without
    /// `resizeFilesystem`, not for a filesystem that spans its LV.
    @Test func aFilesystemSmallerThanItsLVIsGrown() throws {
        let manifest = "kind: LogicalVolume\nname: storage/slowlv\nsize: 1G\npvs: [/dev/loop0]\n"
        let signatures = try fixture("wipefs/ext4-blank-swap.json").replacingOccurrences(of: "ext.img", with: "slowlv")
        func planned(_ manifest: String, dumpe2fs: String?) throws -> (Plan, RecordedRunner) {
            let base = try self.runner("plain")
            let recorded = RecordedRunner { argv in
                switch argv.first {
                case "wipefs": return CommandResult(status: 0, stdout: Data(signatures.utf8))
                case "dumpe2fs": return dumpe2fs.map { CommandResult(status: 0, stdout: Data($0.utf8)) } ?? CommandResult(status: 1)
                default: return try? base.run(Command(argv))
                }
            }
            let plan = try Planner(registry: Providers.registry, version: "t").plan(
                loadManifest(manifest).resources, from: .live(HostContext(files: LocalFileSystem(), commands: recorded)),
                root: HostRoot("/"), hostName: "h")
            return (plan, recorded)
        }
        let half = try fixture("dumpe2fs/ext4-512M.txt")
        // Unwrapped first: an optional UInt64 compared in #expect reads past its stack slot under
        // AddressSanitizer (swift-testing's AnyHashable thunk).
        #expect(try #require(FilesystemSize.parse(half)) == 512 << 20)
        #expect(try #require(FilesystemSize.parse(try fixture("dumpe2fs/ext4-1G.txt"))) == 1 << 30)
        let (grown, runner) = try planned(manifest + "resizeFilesystem: true\n", dumpe2fs: half)
        #expect(runner.recordedCalls.filter { $0.first == "dumpe2fs" } == [["dumpe2fs", "-h", "/dev/storage/slowlv"]])
        #expect(argvs(grown) == [["fsadm", "--yes", "resize", "storage/slowlv"]])
        #expect(grown.changes.first?.reasons == ["the filesystem on storage/slowlv spans 512 MiB of its 1 GiB: a grow that stopped between the LV and its filesystem"])
        for (text, dumpe2fs) in [("resizeFilesystem: true\n", try fixture("dumpe2fs/ext4-1G.txt")), ("resizeFilesystem: true\n", nil), ("", half)] {
            let (plan, runner) = try planned(manifest + text, dumpe2fs: dumpe2fs)
            #expect(argvs(plan).isEmpty, "\(text) \(dumpe2fs == nil ? "unreadable" : "")")
            if text.isEmpty { #expect(!runner.recordedCalls.contains { $0.first == "dumpe2fs" }) }
        }
        // Growing anyway: lvresize --resizefs grows the filesystem with the LV, no fsadm of its own.
        let (both, _) = try planned(manifest.replacingOccurrences(of: "size: 1G", with: "size: 1536M") + "resizeFilesystem: true\n", dumpe2fs: half)
        #expect(argvs(both) == [["lvresize", "--resizefs", "--size", "1610612736b", "storage/slowlv", "/dev/loop0"]])
    }

    @Test func modeChangeIsOneLvchange() throws {
        let manifest = Self.cachedManifest.replacingOccurrences(of: "mode: writeback", with: "mode: writethrough")
        let (plan, _) = try plan(manifest, state: "cached-writeback")
        #expect(argvs(plan) == [["lvchange", "--cachemode", "writethrough", "storage/slowlv"]])
        #expect(plan.changes.first?.reasons == ["cache mode writeback → writethrough"])
    }

    @Test func cacheSizeChangeRecaches() throws {
        let manifest = Self.cachedManifest.replacingOccurrences(of: "size: 200M", with: "size: 100M")
        let (plan, _) = try plan(manifest, state: "cached-writethrough")
        #expect(argvs(plan).map(\.first) == ["lvconvert", "lvcreate"])
        #expect(plan.changes.first?.warnings.isEmpty == true, "a writethrough cache has nothing to flush")
    }

    @Test func removedCacheIsUncached() throws {
        let manifest = "kind: LogicalVolume\nname: storage/slowlv\nsize: 1G\n"
        let (plan, _) = try plan(manifest, state: "cached-writeback")
        #expect(argvs(plan) == [["lvconvert", "--uncache", "storage/slowlv"]])
    }

    @Test func halfDoneResizesFinish() throws {
        let manifest = Self.cachedManifest.replacingOccurrences(of: "size: 1G", with: "size: 1524M")
        // Killed after uncache: resize and recache are left.
        let (afterUncache, _) = try plan(manifest, state: "uncached-after-flush")
        #expect(argvs(afterUncache).map(\.first) == ["lvresize", "lvcreate"])
        // Killed after resize: only the cache is left.
        let (afterResize, _) = try plan(manifest, state: "resized-uncached")
        #expect(argvs(afterResize).map(\.first) == ["lvcreate"])
        // Done.
        let (done, _) = try plan(manifest, state: "recached-grown")
        #expect(!done.hasChanges)
    }

    @Test func shrinkIsRefusedAtTheSizeLine() throws {
        let manifest = "kind: LogicalVolume\nname: storage/slowlv\nsize: 512M\n"
        #expect(try problems(manifest, state: "plain") == [
            "m.yaml:3:7: error: size: LogicalVolume/storage/slowlv: storage/slowlv is 1 GiB, the manifest says 512 MiB: shrinking loses data unless the filesystem shrinks first; set allowShrink: true with resizeFilesystem: true to do that",
        ])
        let allowed = try plan(manifest + "allowShrink: true\nresizeFilesystem: true\n", state: "plain").0
        #expect(argvs(allowed) == [["lvresize", "--resizefs", "--size", "536870912b", "storage/slowlv"]])
        #expect(allowed.changes.first?.risk == .dataLoss)
    }

    @Test func everyHostProblemIsReportedAtItsLine() throws {
        let manifest = """
            kind: LogicalVolume
            name: storage/slowlv
            size: 1000001K
            pvs: [/dev/sdz]
            cache:
              mode: writeback
              size: 300M
              device: /dev/loop0
            """
        #expect(try problems(manifest, state: "plain") == [
            "m.yaml:3:7: error: size: LogicalVolume/storage/slowlv: 1000001 KiB is not a multiple of storage's extent size (4 MiB); 980 MiB is the next one",
            "m.yaml:8:11: error: cache.device: LogicalVolume/storage/slowlv: /dev/loop0 holds storage/slowlv's own data: a cache must be on another (fast) PV",
            "m.yaml:4:6: error: pvs: LogicalVolume/storage/slowlv: pvs[0]: /dev/sdz is not a PV of storage (its PVs: /dev/loop0, /dev/loop1)",
        ])
    }

    @Test func notEnoughRoomIsAnErrorBeforeAnythingRuns() throws {
        let manifest = "kind: LogicalVolume\nname: storage/slowlv\nsize: 10G\n"
        #expect(try problems(manifest, state: "plain") == [
            "m.yaml:3:7: error: size: LogicalVolume/storage/slowlv: growing storage/slowlv needs 9 GiB, storage has 1528 MiB free",
        ])
        let cache = Self.cachedManifest.replacingOccurrences(of: "size: 200M", with: "size: 600M")
        #expect(try problems(cache, state: "plain").first?.contains("a 600 MiB cache needs that much free on /dev/loop1, which has 508 MiB") == true)
    }

    @Test func missingVGNamesTheOnesThatExist() throws {
        #expect(try problems("kind: LogicalVolume\nname: vg0/data\nsize: 1G\n", state: "plain") == [
            "m.yaml:2:7: error: name: LogicalVolume/vg0/data: volume group vg0 does not exist on this host (volume groups: storage)",
        ])
    }

    @Test func absentIsDataLoss() throws {
        let (plan, _) = try plan("kind: LogicalVolume\nname: storage/other\nstate: absent\n", state: "two-lvs")
        #expect(argvs(plan) == [["lvremove", "--yes", "storage/other"]])
        #expect(plan.changes.first?.risk == .dataLoss)
    }

    @Test func sizesParseExactly() {
        #expect(ByteSize(parsing: "1.5T")?.bytes == 1_649_267_441_664)
        #expect(ByteSize(parsing: "512m")?.bytes == 536_870_912)
        #expect(ByteSize(parsing: "1073741824")?.bytes == 1_073_741_824)
        #expect(ByteSize(parsing: "0.5b") == nil)
        #expect(ByteSize(parsing: "12X") == nil)
        #expect(ByteSize(parsing: "-1G") == nil)
    }

    @Test func strategyFollowsLvm2AndKernel() {
        #expect(!ResizeStrategyChoice.choose(.auto, lvmVersion: "2.03.16", kernel: "6.1.0-56-amd64").online)
        #expect(ResizeStrategyChoice.choose(.auto, lvmVersion: "2.03.16", kernel: "6.6.13").online)
        #expect(!ResizeStrategyChoice.choose(.auto, lvmVersion: "2.03.11", kernel: "6.6.13").online)
        #expect(!ResizeStrategyChoice.choose(.auto, lvmVersion: "2.03.16", kernel: "5.19.0").online)
    }

    @Test func aStalledFlushIsStoppedWithAClearMessage() throws {
        let monitor = ProgressMonitor(argv: ["count"], unit: "dirty blocks", stallSeconds: 1, intervalSeconds: 0.01)
        let step = CommandStep(argv: ["flush"], monitor: monitor)
        let events = EventLog()
        let stuck = PollingRunner(counts: [500] + Array(repeating: 400, count: 9), perPoll: 0.3)
        #expect(throws: ReconcileError.self) {
            try MonitoredCommand.run(step, monitor: monitor, commands: stuck, onEvent: { events.append($0) })
        }
        #expect(events.lines.first == "500 dirty blocks left")
        #expect(stuck.terminated)
        let moving = PollingRunner(counts: [300, 200, 100, 0], perPoll: 0.3)
        try MonitoredCommand.run(step, monitor: monitor, commands: moving, onEvent: { events.append($0) })
        #expect(!moving.terminated)
    }

    /// A captured failure: exit status and stderr exactly as lvm2 gave them.
    func captured(_ name: String) throws -> CommandResult {
        CommandResult(
            status: Int32(try fixture("lvm/errors/\(name).rc").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1,
            stdout: Data(try fixture("lvm/errors/\(name).stdout").utf8), stderr: Data(try fixture("lvm/errors/\(name).stderr").utf8))
    }

    @Test func aRejectedReportIsAProbeErrorNotAnEmptyHost() throws {
        // lvm2 prints an empty JSON report on stdout even when it rejects the field list.
        let runner = RecordedRunner([LVMReport.lvsArgv: try captured("bad-field")])
        #expect(throws: ReconcileError.self) { try LVMReport.probe(runner) }
        do {
            _ = try LVMReport.probe(runner)
        } catch {
            #expect("\(error)".contains("exited with status 5"))
            #expect("\(error)".contains("Unrecognised field: no_such_field"))
        }
    }

    @Test func lvmFailuresReachTheReportWithArgvStatusAndStderr() throws {
        let directory = TemporaryDirectory()
        let (plan, _) = try plan(Self.cachedManifest, state: "plain")
        let failing = RecordedRunner([:]) { argv in argv.first == "lvcreate" ? try? self.captured("already-cached") : nil }
        let executor = Executor(
            files: LocalFileSystem(), commands: failing, state: StateDirectory(directory.path), logger: .init(label: "t"))
        let report = try executor.apply(plan, applyID: "lv")
        #expect(report.failure?.message.hasPrefix("`lvcreate --type cache --cachemode writeback --name slowlv_cache --size 209715200b storage/slowlv /dev/loop1` exited with status 5: Cache is not supported") == true)
    }

    @Test func flushProgressReportsRateAndStalls() {
        var tracker = ProgressTracker(stallSeconds: 10)
        tracker.record(1000, at: 0)
        tracker.record(800, at: 2)
        #expect(tracker.describe(unit: "dirty blocks") == "800 dirty blocks left, 100.0/s, about 8 s to go")
        tracker.record(800, at: 11)
        #expect(!tracker.stalled(at: 11))
        tracker.record(800, at: 12)
        #expect(tracker.stalled(at: 12))
    }
}

final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func append(_ event: ApplyEvent) { if case .progress(let text) = event { lock.withLock { stored.append(text) } } }
    var lines: [String] { lock.withLock { stored } }
}

/// Pretends a long command runs for as many polls as it has counts; each poll "takes" `perPoll` seconds
/// of fake time by sleeping, so the stall clock moves.
final class PollingRunner: CommandRunner, @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [Int]
    private let perPoll: Double
    private(set) var terminated = false

    init(counts: [Int], perPoll: Double) {
        self.counts = counts
        self.perPoll = perPoll
    }

    func run(_ command: Command) throws -> CommandResult {
        let next = lock.withLock { counts.isEmpty ? 0 : counts.removeFirst() }
        return CommandResult(status: 0, stdout: Data("\(next)\n".utf8))
    }

    func run(_ command: Command, every interval: Double, poll: () -> Bool) throws -> CommandResult {
        while lock.withLock({ !counts.isEmpty }) {
            if !poll() {
                terminated = true
                return CommandResult(status: 143)
            }
            Thread.sleep(forTimeInterval: perPoll)
        }
        return CommandResult(status: 0)
    }
}
