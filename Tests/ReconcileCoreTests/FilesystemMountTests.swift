import Foundation
@testable import ReconcileCore
@testable import ReconcileProviders
import Testing

/// Filesystem planning from wipefs output captured on Debian 12, and mount unit names checked
/// against the real systemd-escape.
@Suite struct FilesystemMountTests {
    let live = HostRoot("/")

    func declared(_ device: String, type: String = "ext4") -> Declared<FilesystemSpec> {
        Declared(
            meta: ResourceMeta(address: ResourceAddress(kind: "Filesystem", name: device)),
            spec: FilesystemSpec(device: device, type: type, options: ["-L", "data"]))
    }

    @Test func signaturesAreReadPerDeviceFromOneWipefs() throws {
        let output = try fixture("wipefs/ext4-blank-swap.json")
        let runner = RecordedRunner { argv in argv.first == "wipefs" ? CommandResult(status: 0, stdout: Data(output.utf8)) : nil }
        let found = try SignatureProbe.probe(["/tmp/ext.img", "/tmp/blank.img", "/tmp/swap.img"], commands: runner)
        #expect(runner.recordedCalls.count == 1)
        #expect(found["/tmp/ext.img"]?.compactMap(\.type) == ["ext4"])
        #expect(found["/tmp/ext.img"]?.first?.label == "data")
        #expect(found["/tmp/blank.img"]?.isEmpty == true)
        #expect(found["/tmp/swap.img"]?.compactMap(\.type) == ["swap"])
        #expect(try DeviceSignatures.parse(Data("{\n   \"signatures\": [\n\n   ]\n}\n".utf8)).isEmpty)
        #expect(try DeviceSignatures.parse(Data()).isEmpty)
    }

    @Test func devicesSharingABaseNameAreAskedApart() throws {
        let runner = RecordedRunner { argv in argv.first == "wipefs" ? CommandResult(status: 0) : nil }
        _ = try SignatureProbe.probe(["/nonexistent-a/vol", "/nonexistent-b/vol", "/nonexistent-a/other"], commands: runner)
        #expect(runner.recordedCalls.count == 2)
    }

    @Test func onlyBlankDevicesAreFormatted() throws {
        let provider = FilesystemProvider()
        let context = PlanContext(root: live, changing: [])
        let blank = FilesystemObservation(exists: true, signatures: [], label: nil, uuid: nil)
        let plan = try provider.plan(declared("/dev/vdb"), observed: blank, context: context)
        #expect(plan.action == .create)
        #expect(plan.steps == [.makeFilesystem(MakeFilesystemStep(device: "/dev/vdb", filesystem: "ext4", options: ["-L", "data"]))])
        let same = FilesystemObservation(exists: true, signatures: ["ext4"], label: "data", uuid: nil)
        #expect(try provider.plan(declared("/dev/vdb"), observed: same, context: context) == .noop)
        for signatures in [["xfs"], ["LVM2_member"], ["dos"], ["ext4", "dos"]] {
            let used = FilesystemObservation(exists: true, signatures: signatures, label: nil, uuid: nil)
            #expect(throws: PlanProblem.self) { try provider.plan(declared("/dev/vdb"), observed: used, context: context) }
        }
        let missing = FilesystemObservation(exists: false, signatures: [], label: nil, uuid: nil)
        #expect(throws: PlanProblem.self) { try provider.plan(declared("/dev/data/vol"), observed: missing, context: context) }
        let created = try provider.plan(
            declared("/dev/data/vol"), observed: missing,
            context: PlanContext(root: live, changing: [ResourceAddress(kind: "LogicalVolume", name: "data/vol")]))
        #expect(created.action == .create)
    }

    @Test func theExecutorRefusesADeviceThatGotASignatureSinceThePlan() throws {
        let root = TemporaryDirectory()
        try root.write("dev/vdb", "")
        let output = try fixture("wipefs/ext4-blank-swap.json").replacingOccurrences(of: "ext.img", with: "vdb")
        let runner = RecordedRunner { argv in argv.first == "wipefs" ? CommandResult(status: 0, stdout: Data(output.utf8)) : CommandResult(status: 0) }
        let files = LocalFileSystem(root: HostRoot(root.path))
        let state = StateDirectory(root.path + "/state")
        let executor = Executor(files: files, commands: runner, state: state, logger: .init(label: "test"))
        var queue = TriggerQueue()
        let step = Step.makeFilesystem(MakeFilesystemStep(device: "/dev/vdb", filesystem: "ext4"))
        #expect(throws: ReconcileError.self) { try executor.perform(step, queue: &queue, applyID: "a", onEvent: { _ in }) }
        #expect(!runner.recordedCalls.contains { $0.first == "mkfs.ext4" })
    }

    @Test func mountUnitNamesAreSystemdEscapes() throws {
        let paths = ["/srv/data", "/srv/my data", "/mnt/.hidden", "/var/lib/a-b", "/srv/ünï", "/a//b/", "/srv/x:y_z.1"]
        #expect(MountUnit.name(for: "/srv/data") == "srv-data.mount")
        #expect(MountUnit.name(for: "/srv/a-b") == "srv-a\\x2db.mount")
        let escape = try #require(Executables.find("systemd-escape"), "systemd-escape (package systemd) is needed")
        let result = try ProcessRunner().checked(Command([escape, "--path", "--suffix=mount"] + paths))
        #expect(result.stdoutText.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init) == paths.map(MountUnit.name(for:)))
    }

    @Test func mountUnitsCarrySystemdsNames() {
        let spec = MountSpec(what: "/dev/data/vol", where: "/srv/vol", type: "ext4", options: "noatime,x-%i")
        let content = MountUnit.content(spec, address: ResourceAddress(kind: "Mount", name: "vol"))
        #expect(content.contains("\nWhat=/dev/data/vol\nWhere=/srv/vol\nType=ext4\nOptions=noatime,x-%%i\n"))
        #expect(content.contains("[Install]\nWantedBy=local-fs.target"))
    }
}
