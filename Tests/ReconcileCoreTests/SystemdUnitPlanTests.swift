import Foundation
import ReconcileCore
@testable import ReconcileProviders
import Testing

/// The unit planner is pure: these feed it observations and read the plan.
@Suite struct SystemdUnitPlanTests {
    static let content = "[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n"
    let provider = SystemdUnitProvider()
    let live = HostRoot("/")

    func declared(_ spec: UnitSpec, state: ResourceState = .present) -> Declared<UnitSpec> {
        Declared(meta: ResourceMeta(address: ResourceAddress(kind: "SystemdUnit", name: spec.unit), state: state), spec: spec)
    }

    func spec(content: String = content, enabled: Bool? = true, active: Bool? = true, restartOn: [ResourceAddress] = []) -> UnitSpec {
        UnitSpec(unit: "app.service", content: content, enabled: enabled, active: active, restartOn: restartOn)
    }

    func observed(content: String?, fileState: String?, active: String?) -> UnitObservation {
        let file = content.map {
            FileObservation(exists: true, type: .file, mode: 0o644, uid: 0, owner: "root", gid: 0, group: "root",
                            size: Int64($0.utf8.count), sha256: Fingerprint.sha256(Data($0.utf8)), text: $0)
        } ?? .missing
        return UnitObservation(file: file, unitFileState: fileState, activeState: active, subState: nil)
    }

    @Test func newUnitIsWrittenEnabledAndStartedWithoutRestart() throws {
        let plan = try provider.plan(declared(spec()), observed: observed(content: nil, fileState: nil, active: "inactive"),
                                     context: PlanContext(root: live, changing: []))
        #expect(plan.action == .create)
        #expect(plan.steps.map(\.summary) == [
            "write /etc/systemd/system/app.service (mode 0644); then systemctl daemon-reload (once per apply)",
            // The links `systemctl enable` makes; the write's daemon-reload makes systemd see both.
            "link /etc/systemd/system/multi-user.target.wants/app.service -> /etc/systemd/system/app.service (systemctl enable app.service)",
            "systemctl start app.service",
        ])
        #expect(plan.triggers.isEmpty)
        if case .writeFile(let write) = plan.steps.first {
            #expect(write.needsDaemonReload)
        }
    }

    /// With no write to carry the daemon-reload, `systemctl enable` (which owes one) does it.
    @Test func anUnchangedDisabledUnitIsEnabledBySystemctl() throws {
        let content = try #require(spec().content)
        let plan = try provider.plan(declared(spec()), observed: observed(content: content, fileState: "disabled", active: "inactive"),
                                     context: PlanContext(root: live, changing: []))
        #expect(plan.steps.map(\.summary) == ["systemctl enable app.service", "systemctl start app.service"])
    }

    @Test func changedFileOfRunningUnitQueuesOneRestart() throws {
        let plan = try provider.plan(declared(spec()), observed: observed(content: "old", fileState: "enabled", active: "active"),
                                     context: PlanContext(root: live, changing: []))
        #expect(plan.action == .update)
        #expect(plan.triggers == [.restart(unit: "app.service")])
        #expect(plan.risk == .restart)
        #expect(plan.steps.count == 1)
    }

    @Test func unchangedRunningUnitIsNotTouched() throws {
        let plan = try provider.plan(declared(spec()), observed: observed(content: Self.content, fileState: "enabled", active: "active"),
                                     context: PlanContext(root: live, changing: []))
        #expect(plan == .noop)
    }

    @Test func changedInputRestartsAndNamesTheCause() throws {
        let input = ResourceAddress(kind: "File", name: "app-conf")
        let plan = try provider.plan(
            declared(spec(restartOn: [input])), observed: observed(content: Self.content, fileState: "enabled", active: "active"),
            context: PlanContext(root: live, changing: [input]))
        #expect(plan.triggers == [.restart(unit: "app.service")])
        #expect(plan.triggerCauses == [input])
        #expect(plan.reasons == ["restart, since File/app-conf changed"])
    }

    @Test func runtimeEnablementIsMadePersistent() throws {
        let plan = try provider.plan(declared(spec()), observed: observed(content: Self.content, fileState: "enabled-runtime", active: "active"),
                                     context: PlanContext(root: live, changing: []))
        #expect(plan.steps.map(\.summary) == ["systemctl enable app.service"])
        #expect(plan.reasons == ["not enabled (enabled-runtime)"])
    }

    @Test func stoppingIsDisruptive() throws {
        let plan = try provider.plan(declared(spec(active: false)), observed: observed(content: Self.content, fileState: "enabled", active: "active"),
                                     context: PlanContext(root: live, changing: []))
        #expect(plan.steps.map(\.summary) == ["systemctl stop app.service"])
        #expect(plan.risk == .disruptive)
    }

    @Test func absentStopsDisablesAndRemoves() throws {
        let plan = try provider.plan(declared(spec(enabled: nil, active: nil), state: .absent),
                                     observed: observed(content: Self.content, fileState: "enabled", active: "active"),
                                     context: PlanContext(root: live, changing: []))
        #expect(plan.action == .delete)
        #expect(plan.steps.map(\.summary) == [
            "systemctl stop app.service", "systemctl disable app.service",
            "remove /etc/systemd/system/app.service (backed up first); then systemctl daemon-reload (once per apply)",
        ])
    }

    @Test func stagedRootLeavesActivityAloneAndSaysSo() throws {
        let plan = try provider.plan(declared(spec()), observed: observed(content: Self.content, fileState: "enabled", active: nil),
                                     context: PlanContext(root: HostRoot("/tmp/stage"), changing: []))
        #expect(plan.action == .noop)
        #expect(plan.warnings.count == 1)
    }

    /// Facts of a staged root as a live host would give them, with `app.service` enabled and running.
    static func liveFacts(of loaded: LoadedManifests, staged stage: Stage) throws -> FactsDocument {
        let planner = Planner(registry: Providers.registry, version: "test")
        var facts = try planner.facts(loaded.resources, host: HostContext(files: stage.files, commands: RecordedRunner(
            [["systemctl", "--root=\(stage.directory.path)", "is-enabled", "--", "app.service"]: CommandResult(status: 0, stdout: Data("enabled\n".utf8))])),
            identity: HostIdentity(name: "h"))
        facts.root = "/"
        if case .object(var unit)? = facts.resources["SystemdUnit/app.service"] {
            unit["activeState"] = .string("active")
            facts.resources["SystemdUnit/app.service"] = .object(unit)
        }
        return facts
    }

    /// A unit restarted when its input, `/etc/app.conf`, changes (from "old" to "new").
    static let unitWithInput = """
        kind: File
        name: app-conf
        path: /etc/app.conf
        content: "new\\n"
        ---
        kind: SystemdUnit
        name: app.service
        content: \(String(reflecting: content))
        restartOn: [File/app-conf]
        """

    /// The unit's file and its input's old content in place.
    static func stageWithInput() throws -> Stage {
        let stage = Stage()
        try stage.directory.write("etc/systemd/system/app.service", content)
        try stage.directory.write("etc/app.conf", "old\n")
        return stage
    }

    @Test func restartCausedByAnInputIsQueuedBeforeThatInputChanges() throws {
        let stage = try Self.stageWithInput()
        let loaded = loadManifest(Self.unitWithInput)
        let planner = Planner(registry: Providers.registry, version: "test")
        let facts = try Self.liveFacts(of: loaded, staged: stage)
        let plan = try planner.plan(loaded.resources, from: .file(facts, path: "facts.json"), root: live, hostName: "h")
        #expect(plan.changes.map(\.triggers) == [[.restart(unit: "app.service")], []])
        #expect(plan.changes.map(\.action) == [.update, .update])
    }

    // MARK: units the host already has (a package's)

    func packageUnit(enabled: Bool? = true, active: Bool? = true, restartOn: [ResourceAddress] = []) -> UnitSpec {
        UnitSpec(unit: "exim4.service", content: nil, enabled: enabled, active: active, restartOn: restartOn)
    }

    func packageObservation(fileState: String?, active: String?, load: String) -> UnitObservation {
        UnitObservation(file: .missing, unitFileState: fileState, activeState: active, subState: nil, loadState: load)
    }

    @Test func aPackagesStoppedUnitIsEnabledAndStartedWithoutTouchingItsFile() throws {
        let plan = try provider.plan(
            declared(packageUnit()), observed: packageObservation(fileState: "disabled", active: "inactive", load: "loaded"),
            context: PlanContext(root: live, changing: []))
        #expect(plan.action == .update)
        #expect(plan.steps.map(\.summary) == ["systemctl enable exim4.service", "systemctl start exim4.service"])
        #expect(plan.reasons == ["not enabled (disabled)", "inactive, but active: true"])
    }

    @Test func aPackagesRunningUnitRestartsOnlyWhenItsInputsChange() throws {
        let input = ResourceAddress(kind: "OnionRelay", name: "mx")
        let running = packageObservation(fileState: "enabled", active: "active", load: "loaded")
        let quiet = try provider.plan(declared(packageUnit(restartOn: [input])), observed: running, context: PlanContext(root: live, changing: []))
        #expect(quiet == .noop)
        let changed = try provider.plan(declared(packageUnit(restartOn: [input])), observed: running, context: PlanContext(root: live, changing: [input]))
        #expect(changed.triggers == [.restart(unit: "exim4.service")])
        #expect(changed.steps.isEmpty, "its file is not ours: nothing is written")
    }

    /// A saved plan's desired state is checked again by `problems` (SavedPlanCheck): a package's
    /// unit with `enabled: true` must pass as its manifest did (found by the package's install test).
    @Test func aPackagesUnitToEnableIsAValidDesiredState() {
        #expect(packageUnit().problems(name: "exim4.service", state: .present) == [])
        #expect(spec(content: "[Service]\nExecStart=/bin/true\n").problems(name: "app.service", state: .present)
            == ["enabled: enabled: true needs an [Install] section"])
    }

    @Test func aUnitTheHostDoesNotHaveIsAPlanError() throws {
        #expect(throws: PlanProblem.self) {
            try provider.plan(
                declared(packageUnit()), observed: packageObservation(fileState: nil, active: "inactive", load: "not-found"),
                context: PlanContext(root: live, changing: []))
        }
        let loaded = loadManifest("kind: SystemdUnit\nname: exim4.service\n")
        #expect(rendered(loaded).contains("content: give the unit file's content, or (for a unit a package ships"), "\(rendered(loaded))")
    }
}
