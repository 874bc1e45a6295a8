import Foundation
import ReconcileCore
import ReconcileJSON
@testable import ReconcileProviders
import Testing

/// The Package provider against dpkg-query and apt-cache output captured on Debian 12
/// (Fixtures/apt), through a recorded runner: one process of each per probe, whatever the count.
@Suite struct PackageTests {
    let live = HostRoot("/")

    func declared(_ name: String, version: String? = nil, state: ResourceState = .present) -> Declared<PackageSpec> {
        Declared(meta: ResourceMeta(address: ResourceAddress(kind: "Package", name: name), state: state), spec: PackageSpec(package: name, version: version))
    }

    func runner() throws -> RecordedRunner {
        let status = try fixture("apt/dpkg-query.out")
        let policy = try fixture("apt/apt-cache-policy.out")
        let removal = try fixture("apt/apt-get-simulate-remove-dependents.out")
        return RecordedRunner { argv in
            switch argv.first {
            case "dpkg-query": return CommandResult(status: 1, stdout: Data(status.utf8), stderr: Data("dpkg-query: no packages found matching hello\n".utf8))
            case "apt-cache": return CommandResult(status: 0, stdout: Data(policy.utf8))
            case "apt-get": return CommandResult(status: 0, stdout: Data(removal.utf8))
            default: return nil
            }
        }
    }

    func probe(_ resources: [Declared<PackageSpec>], runner: RecordedRunner) throws -> [PackageObservation] {
        try PackageProvider().probe(resources, host: HostContext(files: LocalFileSystem(root: live), commands: runner))
    }

    @Test func parsesStatusAndPolicyAsCaptured() throws {
        let status = DpkgQuery.parseStatus(try fixture("apt/dpkg-query.out"))
        #expect(status["tor"] == DpkgQuery.Entry(status: "ii", version: "0.4.9.11-0+deb12u1"))
        #expect(status["hello"] == nil)
        let policy = DpkgQuery.parsePolicy(try fixture("apt/apt-cache-policy.out"))
        #expect(policy["hello"] == DpkgQuery.Policy(candidate: "2.10-3", available: ["2.10-3"]))
        #expect(policy["tor"]?.available == ["0.4.9.11-0+deb12u1"])
        #expect(policy["mail-transport-agent"] == DpkgQuery.Policy(candidate: nil, available: []))
        #expect(policy["nosuchpkg"] == nil)
        let held = DpkgQuery.parseStatus(try fixture("apt/dpkg-query-held.out"))
        #expect(held["socat"]?.status == "hi")
        #expect(DpkgQuery.parseRemovals(try fixture("apt/apt-get-simulate-remove-dependents.out")).contains("podman"))
    }

    @Test func oneProcessOfEachKindForAllPackages() throws {
        let runner = try runner()
        let resources = ["tor", "socat", "hello", "nosuchpkg"].map { declared($0) }
        let observed = try probe(resources, runner: runner)
        #expect(runner.recordedCalls.count == 2)
        #expect(runner.recordedCalls[0].suffix(4) == ["tor", "socat", "hello", "nosuchpkg"])
        #expect(observed[0].isInstalled && observed[0].version == "0.4.9.11-0+deb12u1")
        #expect(!observed[2].isInstalled && observed[2].candidate == "2.10-3")
        #expect(observed[3] == .unknown)
    }

    @Test func plansInstallsAndRefusesUnknownNamesAndVersions() throws {
        let runner = try runner()
        let resources = [declared("tor"), declared("hello"), declared("nosuchpkg"), declared("socat", version: "9.9"), declared("mail-transport-agent")]
        let observed = try probe(resources, runner: runner)
        let provider = PackageProvider()
        let context = PlanContext(root: live, changing: [])
        #expect(try provider.plan(resources[0], observed: observed[0], context: context) == .noop)
        let hello = try provider.plan(resources[1], observed: observed[1], context: context)
        #expect(hello.action == .create)
        guard case .command(let step) = hello.steps.first else { Issue.record("no command"); return }
        #expect(step.argv.prefix(2) == ["apt-get", "install"])
        #expect(step.argv.contains("--no-install-recommends") && step.argv.contains("--no-remove") && step.argv.last == "hello")
        #expect(step.environment["DEBIAN_FRONTEND"] == "noninteractive")
        for (index, key) in [(2, "name"), (3, "version"), (4, "name")] {
            #expect(throws: PlanProblem.self) { try provider.plan(resources[index], observed: observed[index], context: context) }
            do { _ = try provider.plan(resources[index], observed: observed[index], context: context) } catch let problem as PlanProblem {
                #expect(problem.keyPath == key)
            }
        }
    }

    @Test func heldPackagesAreNotChanged() throws {
        var observed = PackageObservation.unknown
        observed.status = "hi"
        observed.version = "1.7.4.4-2"
        observed.available = ["1.7.4.4-2", "1.8.0.0-1"]
        let provider = PackageProvider()
        let context = PlanContext(root: live, changing: [])
        #expect(try provider.plan(declared("socat"), observed: observed, context: context) == .noop)
        #expect(throws: PlanProblem.self) { try provider.plan(declared("socat", version: "1.8.0.0-1"), observed: observed, context: context) }
        #expect(throws: PlanProblem.self) { try provider.plan(declared("socat", state: .absent), observed: observed, context: context) }
    }

    @Test func removalThatTakesOtherPackagesIsRefused() throws {
        let runner = try runner()
        let resources = [declared("tor", state: .absent)]
        let observed = try probe(resources, runner: runner)
        #expect(runner.recordedCalls.last?.contains("--simulate") == true)
        #expect(observed[0].alsoRemoves?.contains("podman") == true)
        #expect(throws: PlanProblem.self) { try PackageProvider().plan(resources[0], observed: observed[0], context: PlanContext(root: live, changing: [])) }
        var alone = observed[0]
        alone.alsoRemoves = []
        let plan = try PackageProvider().plan(resources[0], observed: alone, context: PlanContext(root: live, changing: []))
        #expect(plan.action == .delete && plan.risk == .disruptive)
    }

    /// The apply shows apt's progress from dpkg's log: packages set up since the step started.
    @Test func progressIsReadFromDpkgsLog() throws {
        let log = try fixture("apt/dpkg.log")
        guard let progressLog = PackageProvider.install("uidmap", root: live).batch?.progressLog else {
            Issue.record("no progress log on the install step")
            return
        }
        #expect(progressLog.path == "/var/log/dpkg.log")
        let progress = progressLog.progress(in: Substring(log))
        #expect(progress.count == log.components(separatedBy: " status installed ").count - 1)
        #expect(progress.count >= 2)
        #expect(progress.last?.hasPrefix("slirp4netns") == true || progress.last?.hasPrefix("man-db") == true, "\(progress)")
    }

    /// apt-get runs in a staged root through chroot, as root: not in one a user could change.
    @Test func aStagedRootAUserCanChangeIsRefused() throws {
        let root = TemporaryDirectory()
        try root.write("var/lib/dpkg/status", "")
        try root.write("etc/apt/sources.list", "")
        let files = LocalFileSystem(root: HostRoot(root.path))
        #expect(try StagedRootTrust.problem(HostRoot(root.path), files: files) == nil)
        #expect(chown(root.path + "/etc/apt", 65534, 65534) == 0)
        #expect(try StagedRootTrust.problem(HostRoot(root.path), files: files)?.contains("/etc/apt is owned by uid 65534") == true)
        #expect(chown(root.path + "/etc/apt", 0, 0) == 0)
        try FileManager.default.createDirectory(atPath: root.path + "/usr", withIntermediateDirectories: true)
        #expect(chmod(root.path + "/usr", 0o775) == 0)
        #expect(try StagedRootTrust.problem(HostRoot(root.path), files: files)?.contains("writable by its group") == true)
        var observed = PackageObservation.unknown
        observed.untrustedRoot = "x is owned by uid 1000"
        #expect(throws: PlanProblem.self) {
            try PackageProvider().plan(declared("hello"), observed: observed, context: PlanContext(root: HostRoot(root.path), changing: []))
        }
    }

    @Test func namesAndVersionsThatCannotReachApt() {
        for bad in ["A", "x", "-rf", "tor;rm", "tor tor", "tor:", "tor:amd64:x", "to*"] {
            #expect(PackageSpec.nameProblem(bad) != nil, "\(bad)")
        }
        for good in ["tor", "exim4-daemon-heavy", "libstdc++6", "tor:amd64", "g++"] {
            #expect(PackageSpec.nameProblem(good) == nil, "\(good)")
        }
        for bad in ["", "v1", "1 2", "1=2", "-1"] { #expect(PackageSpec.versionProblem(bad) != nil, "\(bad)") }
        for good in ["1:1.99.1-7.3", "0.4.9.11-0+deb12u1", "2.10~rc1"] { #expect(PackageSpec.versionProblem(good) == nil, "\(good)") }
    }

    /// Installs of every Package merge into the first one's apt-get; one that waits for another
    /// resource ordered after that point keeps its own command.
    @Test func installsMergeIntoOneCommandPerApply() throws {
        let loaded = loadManifest("""
            kind: Package
            name: hello
            ---
            kind: File
            name: motd
            path: /etc/motd
            content: hi
            ---
            kind: Package
            name: cowsay
            ---
            kind: Package
            name: sl
            dependsOn: [File/motd]
            """)
        #expect(!loaded.diagnostics.hasErrors)
        var observations: [String: JSONValue] = [:]
        let missing = try JSONDecoder().decode(JSONValue.self, from: Data(#"{"available":["1"],"candidate":"1"}"#.utf8))
        for name in ["hello", "cowsay", "sl"] { observations["Package/\(name)"] = missing }
        observations["File/motd"] = try JSONDecoder().decode(JSONValue.self, from: Data(#"{"exists":false}"#.utf8))
        let facts = FactsDocument(host: "h", root: "/", probedAt: fixedDate, labels: [:], resources: observations)
        let plan = try Planner(registry: Providers.registry, version: "test").plan(
            loaded.resources, from: .file(facts, path: "facts.json"), root: live, hostName: "h")
        let argvs = plan.changes.flatMap(\.steps).compactMap { step -> [String]? in
            if case .command(let command) = step { return command.argv }
            return nil
        }
        #expect(argvs.count == 2)
        #expect(argvs.first?.suffix(2) == ["hello", "cowsay"])
        #expect(argvs.last?.last == "sl")
        let cowsay = plan.changes.first { $0.address.name == "cowsay" }
        #expect(cowsay?.steps.isEmpty == true && cowsay?.action == .create)
        #expect(cowsay?.reasons.last?.contains("Package/hello") == true)
    }
}
