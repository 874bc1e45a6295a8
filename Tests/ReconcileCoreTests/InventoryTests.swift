import Foundation
import Logging
@testable import ReconcileCore
import ReconcileProviders
import Testing

/// The inventory: what is applied is remembered, what is no longer declared is removed through
/// its kind's absent path, renames are not removals, drift is told from manifest changes.
@Suite struct InventoryTests {
    static let twoFiles = """
        kind: File
        name: a
        path: /etc/a.conf
        content: "a\\n"
        ---
        kind: File
        name: b
        path: /etc/b.conf
        content: "b\\n"
        dependsOn: [File/a]
        """

    static let onlyA = """
        kind: File
        name: a
        path: /etc/a.conf
        content: "a\\n"
        """

    /// Plans against the stage's own inventory, as `reconcile plan` does.
    func plan(_ stage: Stage, _ manifest: String, scope: PlanScope = .all) throws -> Plan {
        let loaded = loadManifest(manifest)
        #expect(!loaded.diagnostics.hasErrors, "\(rendered(loaded))")
        return try Planner(registry: Providers.registry, version: "test").plan(
            loaded.resources, from: .live(stage.host), root: stage.root, hostName: "test-host",
            inventory: try Inventory.load(stage.state), scope: scope, now: fixedDate)
    }

    func apply(_ stage: Stage, _ plan: Plan, id: String) throws -> ApplyReport {
        let executor = Executor(files: stage.files, commands: stage.runner, state: stage.state, logger: Logger(label: "test"))
        guard plan.hasChanges else {
            try executor.recordUnchanged(plan, applyID: id)
            return ApplyReport(applyID: id)
        }
        return try executor.apply(plan, applyID: id)
    }

    func change(_ plan: Plan, _ address: String) throws -> Change {
        try #require(plan.changes.first { $0.address.description == address }, "no \(address) in \(plan.changes.map(\.address))")
    }

    @Test func anApplyRecordsWhatItAppliedWithIdentityHashAndApply() throws {
        let stage = Stage()
        #expect(try apply(stage, try plan(stage, Self.twoFiles), id: "20261206T100000-1").succeeded)
        let inventory = try Inventory.load(stage.state)
        let entry = try #require(try inventory.entry(ResourceAddress(kind: "File", name: "b")))
        #expect(entry.identity == "file /etc/b.conf")
        #expect(entry.applyID == "20261206T100000-1" && entry.complete && !entry.adopted)
        #expect(entry.dependsOn == [ResourceAddress(kind: "File", name: "a")])
        // The whole declaration is hashed; what is kept is what removing it needs (no content).
        #expect(try entry.desired.json() == .object(["path": .string("/etc/b.conf")]))
        #expect(entry.desiredHash != (try Inventory.hash(entry.desired)))
        #expect(Set(inventory.addresses) == ["File/a", "File/b"])
        // A later apply with nothing to change leaves the entries, and their lines, as they were.
        let before = try Data(contentsOf: URL(fileURLWithPath: Inventory.path(stage.state)))
        _ = try apply(stage, try plan(stage, Self.twoFiles), id: "20261206T100500-1")
        #expect(try Data(contentsOf: URL(fileURLWithPath: Inventory.path(stage.state))) == before)
    }

    @Test func linesAreReadByTheirFixedStartAndAnyOtherLineWhole() throws {
        let stage = Stage()
        let odd = "kind: File\nname: \"quote\\\" and \\\\ backslash\"\npath: /etc/odd\ncontent: x\n"
        _ = try apply(stage, try plan(stage, odd), id: "20261206T100000-1")
        let text = try String(contentsOfFile: Inventory.path(stage.state), encoding: .utf8)
        #expect(text.hasPrefix("{\"formatVersion\":1}\n{\"address\":\"File/quote\\\" and \\\\ backslash\",\"complete\":true,\"desiredHash\":\"sha256:"), "\(text)")
        let inventory = try Inventory.load(stage.state)
        #expect(inventory.addresses == ["File/quote\" and \\ backslash"])
        #expect(try inventory.entry(named: "File/quote\" and \\ backslash")?.identity == "file /etc/odd")
        #expect(try plan(stage, odd).hasChanges == false)
    }

    @Test func aResourceNoLongerDeclaredIsRemovedThroughItsAbsentPathThenForgotten() throws {
        let stage = Stage()
        _ = try apply(stage, try plan(stage, Self.twoFiles), id: "20261206T100000-1")
        let removal = try plan(stage, Self.onlyA)
        let b = try change(removal, "File/b")
        #expect(b.action == .delete && b.cause == .undeclared && b.state == .absent)
        #expect(b.lastApply == LastApply(apply: "20261206T100000-1", at: try Inventory.load(stage.state).entry(b.address)?.appliedAt ?? ""))
        #expect(b.reasons.first?.hasPrefix("no longer declared for this host: last applied by apply 20261206T100000-1") == true)
        #expect(removal.changes.first?.address == b.address, "removals run first")
        let text = PlanRenderer(colour: false).render(removal)
        #expect(text.contains("File/b  delete (no longer declared)"))
        #expect(text.contains("1 no longer declared."))
        #expect(try apply(stage, removal, id: "20261206T100001-1").succeeded)
        #expect(stage.directory.read("etc/b.conf") == nil)
        #expect(stage.directory.read("state/backups/20261206T100001-1/etc/b.conf") == "b\n", "removed files are backed up")
        #expect(Set(try Inventory.load(stage.state).addresses) == ["File/a"])
        #expect(try plan(stage, Self.onlyA).hasChanges == false)
    }

    @Test func keepUndeclaredReportsWithoutRemovingAndKeepsTheEntry() throws {
        let stage = Stage()
        _ = try apply(stage, try plan(stage, Self.twoFiles), id: "20261206T100000-1")
        let kept = try plan(stage, Self.onlyA, scope: PlanScope(keepUndeclared: true))
        #expect(!kept.hasChanges)
        #expect(kept.undeclaredKept == [ResourceAddress(kind: "File", name: "b")])
        #expect(PlanRenderer(colour: false).render(kept).contains("Kept (--keep-undeclared): 1 resource no longer declared stays on the host"))
        _ = try apply(stage, kept, id: "20261206T100001-1")
        #expect(stage.directory.read("etc/b.conf") == "b\n")
        #expect(try Inventory.load(stage.state).entry(ResourceAddress(kind: "File", name: "b")) != nil)
    }

    @Test func aRenameIsRecognisedNotADeleteAndACreate() throws {
        let stage = Stage()
        _ = try apply(stage, try plan(stage, Self.onlyA), id: "20261206T100000-1")
        let renamed = try plan(stage, Self.onlyA.replacingOccurrences(of: "name: a", with: "name: alpha"))
        #expect(!renamed.hasChanges, "\(renamed.changes.map { ($0.address, $0.action) })")
        #expect(try change(renamed, "File/alpha").renamedFrom == ResourceAddress(kind: "File", name: "a"))
        #expect(PlanRenderer(colour: false).render(renamed).contains("Renamed: File/a → File/alpha"))
        _ = try apply(stage, renamed, id: "20261206T100001-1")
        let inventory = try Inventory.load(stage.state)
        #expect(Set(inventory.addresses) == ["File/alpha"])
        #expect(try inventory.entries()["File/alpha"]?.adopted == false, "created by reconcile under its old name")
        #expect(stage.directory.read("etc/a.conf") == "a\n")
    }

    @Test func driftIsToldFromAManifestChangeInTextAndJSON() throws {
        let stage = Stage()
        _ = try apply(stage, try plan(stage, Self.twoFiles), id: "20261206T100000-1")
        try stage.directory.write("etc/a.conf", "edited by hand\n")
        let drifted = try plan(stage, Self.twoFiles)
        #expect(try change(drifted, "File/a").cause == .drift)
        #expect(drifted.drifted.map(\.address.description) == ["File/a"])
        let text = PlanRenderer(colour: false).render(drifted)
        #expect(text.contains("File/a  update (changed outside reconcile)"))
        #expect(text.contains("changed outside reconcile since apply 20261206T100000-1"))
        #expect(text.contains("-edited by hand"), "the diff is shown")
        let json = String(decoding: try drifted.jsonData(), as: UTF8.self)
        #expect(json.contains("\"cause\" : \"drift\""))

        let changedManifest = try plan(stage, Self.twoFiles.replacingOccurrences(of: "content: \"b\\n\"", with: "content: \"B\\n\""))
        #expect(try change(changedManifest, "File/b").cause == .manifest)
        #expect(try change(changedManifest, "File/b").reasons.first?.hasPrefix("the manifest changed since apply 20261206T100000-1") == true)
        #expect(try change(changedManifest, "File/a").cause == .drift)
        let unchanged = try change(changedManifest, "File/a")
        #expect(try change(try plan(Stage(), Self.twoFiles), "File/a").cause == .new, "never applied: new, not drift")
        #expect(unchanged.lastApply?.apply == "20261206T100000-1")
    }

    @Test func aFailedApplyLeavesItsChangeIncompleteNotDrift() throws {
        let stage = Stage()
        try stage.directory.write("etc/blocker", "a file where a folder is needed")
        let manifest = Self.onlyA + "\n---\nkind: File\nname: inside\npath: /etc/blocker/inside\ncontent: x\n"
        let report = try apply(stage, try plan(stage, manifest), id: "20261206T100000-1")
        #expect(report.failure?.address == ResourceAddress(kind: "File", name: "inside"))
        let inventory = try Inventory.load(stage.state)
        #expect(try inventory.entries()["File/inside"]?.complete == false)
        #expect(try inventory.entries()["File/a"]?.complete == true)
        #expect(try change(try plan(stage, manifest), "File/inside").cause == .incomplete)
        let record = try #require(try ApplyHistory.load(stage.state, id: "20261206T100000-1"))
        #expect(record.result == .failed && record.failure?.address == ResourceAddress(kind: "File", name: "inside"))
        #expect(record.summary.create == 2 && record.endedAt != nil)
    }

    @Test func changesNeverAttemptedKeepTheirEarlierEntry() throws {
        let stage = Stage()
        _ = try apply(stage, try plan(stage, Self.twoFiles), id: "20261206T100000-1")
        let before = try Inventory.load(stage.state)
        // A new file that cannot be written (a file where its folder should be) comes first, so the
        // changed File/b after it is never reached.
        try stage.directory.write("etc/blocker", "a file where a folder is needed")
        let changed = Self.twoFiles.replacingOccurrences(of: "content: \"b\\n\"", with: "content: \"B\\n\"")
            .replacingOccurrences(of: "dependsOn: [File/a]", with: "dependsOn: [File/a, File/inside]")
            + "\n---\nkind: File\nname: inside\npath: /etc/blocker/inside\ncontent: x\n"
        let report = try apply(stage, try plan(stage, changed), id: "20261206T100001-1")
        #expect(report.notAttempted == [ResourceAddress(kind: "File", name: "b")])
        #expect(try Inventory.load(stage.state).entry(named: "File/b") == before.entry(named: "File/b"))
    }

    @Test func targetsKeepTheirDependenciesAndSayWhatWasLeftOut() throws {
        let stage = Stage()
        let three = Self.twoFiles + "\n---\nkind: File\nname: c\npath: /etc/c.conf\ncontent: c\n"
        let targeted = try plan(stage, three, scope: PlanScope(targets: ["File/b"]))
        #expect(targeted.changes.map(\.address.description) == ["File/a", "File/b"])
        #expect(targeted.targets == ["File/b"] && targeted.leftOut == [ResourceAddress(kind: "File", name: "c")])
        #expect(PlanRenderer(colour: false).render(targeted).contains("Targets: File/b; left out: 1 resource (File/c)"))
        let globbed = try plan(stage, three, scope: PlanScope(targets: ["File/[bc]"]))
        #expect(globbed.changes.map(\.address.description) == ["File/a", "File/b", "File/c"])
        #expect(throws: ReconcileError.self) { try plan(stage, three, scope: PlanScope(targets: ["File/d"])) }
        do {
            _ = try plan(stage, three, scope: PlanScope(targets: ["Fille/c", "File/*", "Nope/x"]))
            Issue.record("a target naming nothing must fail")
        } catch {
            let message = "\(error)"
            #expect(message.contains("--target Fille/c names no resource of this host; did you mean File/c?"))
            #expect(message.contains("--target Nope/x names no resource"))
            #expect(!message.contains("--target File/*"))
        }
    }

    @Test func aTargetedApplyTouchesOnlyItsResourcesInTheInventory() throws {
        let stage = Stage()
        _ = try apply(stage, try plan(stage, Self.twoFiles), id: "20261206T100000-1")
        // Both left out of the manifests, only one targeted: the other stays on the host and in the inventory.
        let targeted = try plan(stage, "kind: File\nname: z\npath: /etc/z\ncontent: z\n", scope: PlanScope(targets: ["File/b"]))
        #expect(targeted.changes.map(\.address.description) == ["File/b"])
        #expect(targeted.leftOut?.map(\.description) == ["File/z", "File/a"])
        _ = try apply(stage, targeted, id: "20261206T100001-1")
        #expect(Set(try Inventory.load(stage.state).addresses) == ["File/a"])
        #expect(stage.directory.read("etc/a.conf") == "a\n")
    }

    @Test func aDamagedInventoryIsAnErrorThatSaysHowToRebuildIt() throws {
        let stage = Stage()
        try stage.directory.write("state/inventory.jsonl", "{\"formatVersion\":1}\n{\"address\":\"File/a\",\"entry\":{\"kind\":")
        do {
            _ = try plan(stage, Self.onlyA)
            Issue.record("a damaged inventory must not plan")
        } catch {
            let message = "\(error)"
            #expect(message.contains("inventory.jsonl is damaged"))
            #expect(message.contains("reconcile facts") && message.contains("reconcile forget"))
        }
        try stage.directory.write("state/inventory.jsonl", "{\"formatVersion\":1}\n{\"address\":\"NotAnAddress\",\"entry\":{}}\n")
        #expect(throws: ReconcileError.self) { try Inventory.load(stage.state) }
    }

    @Test func anUndeclaredEntryNoKindReadsIsAnErrorNamingForget() throws {
        let stage = Stage()
        _ = try apply(stage, try plan(stage, Self.onlyA), id: "20261206T100000-1")
        var inventory = try Inventory.load(stage.state)
        var entry = try #require(try inventory.entry(named: "File/a"))
        entry.kind = "Gone"
        inventory = Inventory(entries: ["Gone/a": entry])
        try inventory.save(stage.state)
        do {
            _ = try plan(stage, "kind: File\nname: z\npath: /etc/z\ncontent: z\n")
            Issue.record("an entry that cannot be removed must stop the plan")
        } catch {
            #expect("\(error)".contains("Gone/a: this reconcile has no kind Gone"))
            #expect("\(error)".contains("reconcile forget ADDRESS"))
        }
    }

    @Test func anUndeclaredLogicalVolumeIsADataLossRemoval() throws {
        let lvm = LogicalVolumeTests()
        let runner = try lvm.runner("two-lvs")
        let host = HostContext(files: LocalFileSystem(), commands: runner)
        let planner = Planner(registry: Providers.registry, version: "t")
        let declared = loadManifest("kind: LogicalVolume\nname: storage/other\nsize: 100M\n").resources
        let first = try planner.plan(declared, from: .live(host), root: HostRoot("/"), hostName: "h")
        let inventory = try Inventory.empty.recording(first, report: nil, before: .empty, hashes: try Inventory.hashes(of: first), applyID: "20261206T100000-1", at: "2026-12-06T10:00:00Z")
        #expect(try inventory.entries()["LogicalVolume/storage/other"]?.identity == "logical volume storage/other")
        let removal = try planner.plan([], from: .live(host), root: HostRoot("/"), hostName: "h", inventory: inventory)
        let change = try #require(removal.changes.first)
        #expect(change.cause == .undeclared && change.action == .delete && change.risk == .dataLoss)
        #expect(lvm.argvs(removal) == [["lvremove", "--yes", "storage/other"]])
    }

    @Test func aSavedPlanTakesItsRemovalsFromTheHostsInventoryNotFromTheFile() throws {
        let stage = Stage()
        _ = try apply(stage, try plan(stage, Self.twoFiles), id: "20261206T100000-1")
        let removal = try plan(stage, Self.onlyA)
        let check = SavedPlanCheck(registry: Providers.registry)
        let identity = HostIdentity(name: "test-host", labels: [:])
        let derived = try check.derive(removal, host: stage.host, identity: identity, inventory: try Inventory.load(stage.state), path: "p.json")
        #expect(derived.plan.changes.map(\.address) == removal.changes.map(\.address))
        // Forgotten since the plan was made: the file's removal is no longer derived.
        var forgotten = try Inventory.load(stage.state)
        forgotten.set("File/b", nil)
        #expect(throws: ReconcileError.self) {
            try check.derive(removal, host: stage.host, identity: identity, inventory: forgotten, path: "p.json")
        }
        // A removal written into a plan for a resource the inventory does not hold is refused.
        let plain = try plan(stage, Self.twoFiles)
        var forged = plain
        let index = try #require(forged.changes.firstIndex { $0.address.name == "b" })
        forged.changes[index] = removal.changes[0]
        forged.summary = Plan.Summary(changes: forged.changes)
        #expect(throws: ReconcileError.self) {
            try check.derive(forged, host: stage.host, identity: identity, inventory: forgotten, path: "p.json")
        }
        #expect(stage.directory.read("etc/b.conf") == "b\n")
    }

    @Test func historyRecordsWhoRanItFromWhichCommitAndAnInterruption() throws {
        let stage = Stage()
        let repository = stage.directory.path + "/repo"
        try stage.directory.write("repo/.git/HEAD", "ref: refs/heads/main\n")
        try stage.directory.write("repo/.git/packed-refs", "# pack-refs with: peeled fully-peeled sorted\n"
            + "0123456789abcdef0123456789abcdef01234567 refs/heads/main\n")
        try stage.directory.write("repo/hosts/m.yaml", Self.onlyA)
        let origin = ApplyOrigin.current(
            manifests: [repository + "/hosts"], savedPlan: nil,
            environment: ["SUDO_USER": "alice", "GITLAB_USER_LOGIN": "bob", "CI_JOB_URL": "https://gitlab.example/jobs/7"])
        #expect(origin.git == GitRevision(workTree: repository, commit: "0123456789abcdef0123456789abcdef01234567", branch: "main"))
        #expect(origin.description == "alice via sudo as root (GitLab user bob, https://gitlab.example/jobs/7)")
        let executor = Executor(files: stage.files, commands: stage.runner, state: stage.state, logger: Logger(label: "test"))
        _ = try executor.apply(try plan(stage, Self.onlyA), applyID: "20261206T100000-1", origin: origin)
        let record = try #require(try ApplyHistory.load(stage.state, id: "20261206T100000-1"))
        #expect(record.result == .complete && record.origin == origin && record.stepsDone == 1)

        // A record left running by a process that holds no lock was interrupted.
        var running = record
        running.id = "20261206T100001-99"
        running.result = .running
        running.endedAt = nil
        try ApplyHistory.save(running, stage.state)
        #expect(try ApplyHistory.load(stage.state, id: running.id)?.result == .interrupted)
        #expect(try ApplyHistory.list(stage.state, limit: 5).map(\.id) == ["20261206T100001-99", "20261206T100000-1"])
        #expect(try ApplyHistory.load(stage.state, id: "../../etc/passwd") == nil, "ids name files in the history folder only")
    }

    @Test func gitRevisionReadsLooseRefsDetachedHeadsAndLinkedWorkTrees() throws {
        let directory = TemporaryDirectory()
        let commit = String(repeating: "ab", count: 20)
        try directory.write("main/.git/HEAD", "ref: refs/heads/topic\n")
        try directory.write("main/.git/refs/heads/topic", commit + "\n")
        #expect(GitRevision.find(directory.path + "/main/sub/file.yaml")?.branch == "topic")
        try directory.write("main/.git/worktrees/w/HEAD", String(repeating: "cd", count: 20) + "\n")
        try directory.write("main/.git/worktrees/w/commondir", "../..\n")
        try directory.write("linked/.git", "gitdir: \(directory.path)/main/.git/worktrees/w\n")
        let linked = try #require(GitRevision.find(directory.path + "/linked"))
        #expect(linked.commit == String(repeating: "cd", count: 20) && linked.branch == nil)
        try directory.write("evil/.git/HEAD", "ref: ../../../etc/shadow\n")
        #expect(GitRevision.find(directory.path + "/evil") == nil)
    }
}

/// Every kind's absent path must accept a declaration as it was applied, or a resource left out of
/// the manifests would be let go instead of removed.
@Suite struct UndeclaredRemovalByKindTests {
    @Test func everyExampleResourceIsRemovableExceptFilesystems() throws {
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../manifests/example").standardized.path
        // As mx1 sees them: the motd's ${…} references are resolved for a host.
        let loaded = try ManifestLoader(registry: Providers.registry).load(
            paths: [example], hosts: [HostIdentity(name: "mx1.example.org", labels: ["role": "mx", "runner": "podman"])])
        #expect(!loaded.diagnostics.hasErrors)
        // The kinds the example does not use.
        let others = loadManifest("kind: Group\nname: g\ngid: 990\n---\nkind: Directory\nname: d\npath: /srv/d\nmode: \"0750\"\nowner: root\n")
        #expect(!others.diagnostics.hasErrors, "\(rendered(others))")
        var kinds = Set<String>()
        for resource in loaded.declared + others.declared where resource.meta.state == .present {
            kinds.insert(resource.address.kind)
            let kept = resource.spec.removalSpec
            let problems = kept.problems(addressName: resource.address.name, state: .absent)
            if resource.address.kind == "Filesystem" {
                #expect(!kept.isRemovable && !problems.isEmpty, "a Filesystem is never removed")
            } else {
                #expect(kept.isRemovable && problems.isEmpty, "\(resource.address): \(problems)")
                // What the inventory keeps reads back as the kind's spec.
                let provider = try #require(Providers.registry.provider(for: resource.address.kind))
                let json = try DesiredState(kept).json()
                #expect(try DesiredState(provider.decodeSpec(json)).json() == json, "\(resource.address)")
            }
        }
        #expect(kinds == Set(Providers.registry.kinds), "the example declares every kind: \(Set(Providers.registry.kinds).subtracting(kinds))")
    }

    @Test func anUndeclaredFilesystemIsReleasedNotRemoved() throws {
        let stage = Stage()
        try stage.directory.write("dev/blank.img", "")
        let declared = loadManifest("kind: Filesystem\nname: data\ndevice: /dev/blank.img\ntype: ext4\n").resources
        let planner = Planner(registry: Providers.registry, version: "t")
        let runner = RecordedRunner(fallback: { argv in argv.first == "wipefs" ? CommandResult(status: 0, stdout: Data()) : nil })
        let host = HostContext(files: stage.files, commands: runner)
        let first = try planner.plan(declared, from: .live(host), root: stage.root, hostName: "h")
        let inventory = try Inventory.empty.recording(first, report: ApplyReport(applyID: "x"), before: .empty, hashes: try Inventory.hashes(of: first), applyID: "x", at: "t")
        #expect(try inventory.entries()["Filesystem/data"] == nil, "a failed or unreached create is not recorded complete")
        let recorded = try Inventory.empty.recording(
            first, report: { var report = ApplyReport(applyID: "x"); report.completed = [first.changes[0].address]; return report }(),
            before: .empty, hashes: try Inventory.hashes(of: first), applyID: "x", at: "t")
        let later = try planner.plan([], from: .live(host), root: stage.root, hostName: "h", inventory: recorded)
        #expect(!later.hasChanges && later.changes.isEmpty)
        #expect(later.released == [ReleasedResource(address: first.changes[0].address, reason: "state: a Filesystem is never removed by reconcile")])
        #expect(PlanRenderer(colour: false).render(later).contains("Released: Filesystem/data is no longer declared; state: a Filesystem is never removed by reconcile"))
        #expect(try recorded.recording(later, report: nil, before: recorded, hashes: try Inventory.hashes(of: later), applyID: "y", at: "t").isEmpty)
    }
}

@Suite struct InventoryReportTests {
    @Test func anApplyWhoseInventoryWasNotRecordedFailsAndSaysWhy() {
        var report = ApplyReport(applyID: "x")
        report.completed = [ResourceAddress(kind: "File", name: "a")]
        report.inventoryNotRecorded = "/var/lib/reconcile/inventory.jsonl: No space left on device"
        #expect(!report.succeeded)
        let text = ApplyReportRenderer.render(report)
        #expect(text.hasPrefix("Apply FAILED."))
        #expect(text.contains("The inventory could not record this apply (the host changed as shown): /var/lib/reconcile/inventory.jsonl: No space left on device"))
        var record = ApplyRecord(
            id: "x", plan: Plan(reconcileVersion: "t", createdAt: Date(), host: "h", root: "/", source: .live, changes: []),
            startedAt: Date(), steps: 1, origin: ApplyOrigin(manifests: nil, savedPlan: nil, git: nil, user: "root"), journalOffset: 0)
        record.finish(report, at: Date())
        #expect(record.result == .failed && record.failure?.step == "record the inventory")
    }
}
