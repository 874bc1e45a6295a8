import Foundation
@testable import ReconcileCore
import ReconcileJSON
@testable import ReconcileProviders
import Testing

/// The saved-plan format (`plan --out`, read by `apply PLAN`), kind by kind: a plan of each
/// registered kind's resources, with every optional key of its specs and steps set, encoded and
/// compared with its snapshot in Snapshots/saved-plan/KIND.json, and each snapshot read back as the
/// plan it was recorded from. A difference is a change of the format, which plans saved by other
/// builds are read in: if intended, bump Plan.currentFormatVersion, then
/// `RECORD_SNAPSHOTS=1 swift test --filter SavedPlanFormatTests` (run it again to read them back)
/// and review the diff.
@Suite struct SavedPlanFormatTests {
    static let directory = "saved-plan"
    static let reRecord = "if intended, bump Plan.currentFormatVersion and re-record (RECORD_SNAPSHOTS=1 swift test --filter SavedPlanFormatTests)"

    /// One resource of a sample plan: its declaration and what its change does.
    struct Sample: Sendable {
        var name: String
        var spec: any ResourceSpec
        var action: Action = .update
        var state: ResourceState = .present
        var risk: Risk = .safe
        var steps: [Step]
        var triggers: [Trigger] = []
    }

    static func snapshotName(_ kind: String) -> String { "\(directory)/\(kind).json" }

    /// The plan of `kind`'s samples, with every optional field of the plan and its changes set.
    static func plan(of kind: String) throws -> Plan {
        let samples = try #require(Self.samples[kind], "\(kind) has no samples in SavedPlanFormatTests.samples")
        let changes = samples.map { sample in
            let address = ResourceAddress(kind: kind, name: sample.name)
            var change = Change(
                address: address,
                plan: ResourcePlan(
                    action: sample.action, reasons: ["\(sample.action.rawValue) \(address)"], steps: sample.steps,
                    triggers: sample.triggers, risk: sample.risk, warnings: ["a warning about \(address)"]),
                dependsOn: [ResourceAddress(kind: "Package", name: "tor")], fingerprint: "sha256:" + String(repeating: "0", count: 64),
                desired: DesiredState(sample.spec), state: sample.state, source: "manifests/\(kind).yaml:1:1")
            change.cause = sample.state == .absent ? .undeclared : .manifest
            change.lastApply = LastApply(apply: "20261206T120000Z-4242", at: "2026-12-06T12:00:00Z")
            change.renamedFrom = ResourceAddress(kind: kind, name: "old-" + sample.name)
            return change
        }
        var plan = Plan(
            reconcileVersion: "0.1.0", createdAt: Date(timeIntervalSince1970: 1_800_000_000), host: "mx1.example.org",
            labels: ["role": "mx"], root: "/", source: .facts, changes: changes, targets: ["\(kind)/*"],
            leftOut: [ResourceAddress(kind: "File", name: "left-out")], undeclaredKept: [ResourceAddress(kind: "File", name: "kept")],
            released: [ReleasedResource(address: ResourceAddress(kind: "Filesystem", name: "old"), reason: "a Filesystem keeps its data")])
        plan.values = [
            "relay": ValueReport.Value(
                value: .object(["domains": .array([.string("example.org"), .null]), "port": .number(25), "tls": .bool(true)]),
                document: "mail-relays", source: "manifests/values.yaml:3:5")
        ]
        return plan
    }

    @Test(arguments: Providers.registry.kinds) func savedPlanIsItsSnapshot(kind: String) throws {
        let plan = try Self.plan(of: kind)
        let pretty = try plan.jsonData()
        // The snapshot is pretty for review; `plan --out` writes the same document a change a line.
        let saved = try PlanDocumentWriter(layout: .linePerChange).data(plan)
        #expect(try JSONDecoder().decode(JSONValue.self, from: saved) == JSONDecoder().decode(JSONValue.self, from: pretty))
        let name = Self.snapshotName(kind)
        try compareSnapshot(
            String(decoding: pretty, as: UTF8.self) + "\n", named: name,
            differs: "the saved-plan format changed: a \(kind) plan is no longer written as Snapshots/\(name); \(Self.reRecord)")
    }

    @Test(arguments: Providers.registry.kinds) func snapshotReadsBackAsThePlanItWasRecordedFrom(kind: String) throws {
        let expected = try Self.plan(of: kind)
        let name = Self.snapshotName(kind)
        let data = try Data(contentsOf: URL(fileURLWithPath: snapshotsPath + "/" + name))
        let differs = "the saved-plan format changed: Snapshots/\(name) no longer reads back as the plan it was recorded from; \(Self.reRecord)"
        var read: Plan
        do {
            read = try Plan.load(from: data, path: name)
        } catch {
            Issue.record("\(differs): \(error)")
            return
        }
        try #require(read.changes.count == expected.changes.count, "\(differs)")
        let provider = try #require(Providers.registry.provider(for: kind))
        // Desired states come back as JSON whose bytes are references into `contents`: typed by
        // their kind, as apply reads them, they must be the specs the plan was made of.
        for (index, change) in read.changes.enumerated() {
            let spec = try provider.decodeSpec(try change.desired.json(), contents: read.contents)
            let original = try #require(Self.samples[kind])[index].spec
            let same = Self.same(original, spec)
            #expect(same, "\(differs) (\(change.address)'s desired state)")
            let problems = spec.problems(addressName: change.address.name, state: change.state)
            #expect(problems.isEmpty, "the sample \(change.address) is one apply would refuse: \(problems)")
            read.changes[index].desired = expected.changes[index].desired
        }
        read.contents = nil
        #expect(read == expected, "\(differs)")
    }

    @Test func everyRegisteredKindHasSamplesAndASnapshot() throws {
        let kinds = Set(Providers.registry.kinds)
        #expect(Set(Self.samples.keys) == kinds, "each registered kind needs samples in SavedPlanFormatTests.samples, and only those")
        let recorded = try FileManager.default.contentsOfDirectory(atPath: snapshotsPath + "/" + Self.directory)
        #expect(
            Set(recorded) == Set(kinds.map { "\($0).json" }),
            "each registered kind needs its saved-plan snapshot in Snapshots/\(Self.directory) (record it: RECORD_SNAPSHOTS=1 swift test --filter SavedPlanFormatTests), and only those")
    }

    /// A key never written by a snapshot is not checked by it: the samples must between them
    /// set every optional and fill every collection of the types a plan holds, and use every step.
    @Test func samplesSetEveryOptionalAndUseEveryStep() throws {
        var coverage = Coverage()
        var types: Set<String> = []
        for kind in Providers.registry.kinds {
            let plan = try Self.plan(of: kind)
            coverage.walk(plan, at: "Plan")
            for step in plan.changes.flatMap(\.steps) {
                if case .object(let fields) = try CanonicalJSON.value(of: step), case .string(let type)? = fields["type"] {
                    types.insert(type)
                }
            }
        }
        // Set only in a plan read back (a planned one holds the bytes in its specs and steps).
        let unset = coverage.seen.subtracting(coverage.filled).subtracting(["ReconcileCore.Plan.contents"])
        #expect(unset.isEmpty, "no sample sets \(unset.sorted())")
        #expect(types == Set(Step.Kind.allCases.map(\.rawValue)), "no sample has a step of type \(Set(Step.Kind.allCases.map(\.rawValue)).subtracting(types).sorted())")
    }

    static func same<Spec: ResourceSpec>(_ spec: Spec, _ other: any ResourceSpec) -> Bool {
        (other as? Spec) == spec
    }

    /// The optionals and collections found in a value, named `Type.property`, and those of them
    /// that held something.
    struct Coverage {
        var seen: Set<String> = []
        var filled: Set<String> = []

        mutating func walk(_ value: Any, at path: String) {
            let mirror = Mirror(reflecting: value)
            // Before the leaves: `is` sees through optionals.
            if mirror.displayStyle == .optional {
                seen.insert(path)
                guard let wrapped = mirror.children.first else { return }
                filled.insert(path)
                walk(wrapped.value, at: path)
                return
            }
            if value is Data || value is String { return }
            switch mirror.displayStyle {
            case .collection?, .dictionary?, .set?:
                seen.insert(path)
                if !mirror.children.isEmpty { filled.insert(path) }
                for child in mirror.children { walk(child.value, at: path + "[]") }
            case .struct?, .class?:
                let type = String(reflecting: Swift.type(of: value))
                for child in mirror.children { walk(child.value, at: type + "." + (child.label ?? "?")) }
            case .enum?, .tuple?:
                for child in mirror.children { walk(child.value, at: path + "." + (child.label ?? "?")) }
            default:
                return
            }
        }
    }
}

extension SavedPlanFormatTests {
    static let unitText = "[Unit]\nDescription=Relay\n\n[Service]\nExecStart=/usr/bin/socat - -\n\n[Install]\nWantedBy=multi-user.target\n"
    static let onion = "tdgbhiqjnq7osklj6k7e4y37xhx6ytznp7ozqc2qxoqfhxfg3c5ygsid.onion"

    /// Each kind's resources as a plan would hold them, between them with every optional key set.
    static let samples: [String: [Sample]] = [
        "File": [
            Sample(
                name: "motd", spec: FileSpec(path: "/etc/motd", content: Data("Welcome\n".utf8), mode: 0o644, owner: "root", group: "adm"),
                steps: [
                    .writeFile(WriteFileStep(
                        path: "/etc/motd", content: Data("Welcome\n".utf8), mode: 0o644, owner: "root", group: "adm",
                        review: WriteFileStep.unifiedDiff(from: "Hello\n", to: "Welcome\n", path: "/etc/motd").map { .stored($0) })),
                ]),
            Sample(
                name: "api-token", spec: sensitiveFile,
                steps: [
                    .writeFile(WriteFileStep(
                        path: "/etc/app/token", content: Data(), mode: 0o600, backup: false, sensitive: true,
                        contentFrom: .file("/etc/reconcile/secrets/token"), contentSHA256: String(repeating: "a", count: 64))),
                    .setAttributes(SetAttributesStep(path: "/etc/app/token", mode: 0o600, owner: "app", group: "app")),
                ]),
            Sample(
                name: "old-banner", spec: FileSpec(path: "/etc/issue.net", content: nil), action: .delete, state: .absent,
                steps: [.removeFile(RemoveFileStep(path: "/etc/issue.net", backup: true))]),
        ],
        "SystemdUnit": [
            Sample(
                name: "relay.service",
                spec: UnitSpec(unit: "relay.service", content: unitText, enabled: true, active: true, restartOn: [ResourceAddress(kind: "File", name: "motd")]),
                action: .create, risk: .restart,
                steps: [
                    .writeFile(WriteFileStep(
                        path: "/etc/systemd/system/relay.service", content: Data(unitText.utf8), mode: 0o644, review: .fromEmpty,
                        needsDaemonReload: true)),
                    .systemctl(SystemctlStep(.enable, "relay.service", others: ["relay.socket"])),
                    .link(LinkStep(
                        path: "/etc/systemd/system/multi-user.target.wants/relay.service", target: "/etc/systemd/system/relay.service",
                        reason: "systemctl enable relay.service")),
                    .systemctl(SystemctlStep(.start, "relay.service")),
                ],
                triggers: [.restart(unit: "relay.service"), .reload(unit: "exim4.service")]),
            Sample(
                name: "old.service", spec: UnitSpec(unit: "old.service", content: nil, enabled: nil, active: nil, restartOn: []),
                action: .delete, state: .absent, risk: .disruptive,
                steps: [
                    .systemctl(SystemctlStep(.stop, "old.service")),
                    .removeFile(RemoveFileStep(path: "/etc/systemd/system/old.service", backup: true, needsDaemonReload: true)),
                ]),
        ],
        "OnionRelay": [
            Sample(
                name: "mx1",
                spec: OnionRelaySpec(
                    entries: [OnionRelaySpec.Entry(domain: "example.org", onion: onion)],
                    tor: OnionRelaySpec.Tor(extraConfig: "Log notice syslog\n"),
                    exim: OnionRelaySpec.Exim(settings: ["dc_use_split_config": "true"])),
                steps: [
                    .writeFile(WriteFileStep(
                        path: "/etc/exim4/onionrelay.txt", content: Data("example.org \(onion)\n".utf8), mode: 0o644, review: .fromEmpty)),
                    .check(CheckStep(
                        argv: ["tor", "--verify-config", "-f", CheckStep.placeholder], content: Data("SOCKSPort 9050\n".utf8),
                        summary: "check the new torrc with tor")),
                    .compileCDB(CompileCDBStep(
                        source: "/etc/exim4/onionrelay.txt", sourceSHA256: String(repeating: "b", count: 64),
                        target: "/etc/exim4/onionrelay.cdb", records: 1)),
                ],
                triggers: [.reload(unit: "tor@default.service")]),
        ],
        "LogicalVolume": [
            Sample(
                name: "storage/slowlv",
                spec: LVSpec(
                    vg: "storage", lv: "slowlv", size: ByteSize(bytes: 100 << 30), resizeFilesystem: true, allowShrink: true,
                    pvs: ["/dev/md2"], resizeStrategy: .recache, flushStallSeconds: 600,
                    cache: LVSpec.Cache(name: "slowlv_cache", mode: .writethrough, size: ByteSize(bytes: 10 << 30), device: "/dev/nvme0n1p3")),
                risk: .disruptive,
                steps: [
                    .command(CommandStep(
                        argv: ["lvconvert", "--uncache", "storage/slowlv"], environment: ["LVM_SUPPRESS_FD_WARNINGS": "1"],
                        summary: "uncache storage/slowlv (flushes dirty blocks first)",
                        monitor: ProgressMonitor(
                            argv: ["dmsetup", "status", "storage-slowlv"], environment: ["LC_ALL": "C"], field: 13, unit: "dirty blocks",
                            stallSeconds: 600, intervalSeconds: 1))),
                ]),
        ],
        "CaptureProxy": [
            Sample(
                name: "web",
                spec: CaptureProxySpec(
                    name: "web", socket: "/run/app.sock", proxy: "/run/app-proxy.sock", port: 9000, pcap: "/var/log/capture/web.pcap",
                    mode: 0o660, owner: "root", group: "adm", timeLimit: 3600, rotate: CaptureProxySpec.Rotation(megabytes: 100, files: 10)),
                action: .create,
                steps: [
                    .createDirectory(CreateDirectoryStep(path: "/var/log/capture", mode: 0o750, owner: "root", group: "adm")),
                    .systemctl(SystemctlStep(.restart, "capture-web-relay.service")),
                ]),
        ],
        "GitLabRunner": [
            Sample(
                name: "podman-fedora",
                spec: GitLabRunnerSpec(
                    name: "podman-fedora", url: "https://gitlab.example.org/", token: .environment("RUNNER_TOKEN"), user: "gitlab-runner",
                    group: "gitlab-runner", home: "/home/gitlab-runner", image: "registry.example.org/base/fedora:40",
                    allowedImages: ["registry.example.org/base/*"], pullPolicy: .always, shell: .sh, buildsDir: "/builds", cacheDir: "/cache",
                    hostCacheDir: "/home/gitlab-runner/_cache", concurrency: 2, podmanArgs: ["--memory=4g"], setupCommands: ["dnf -y install git"],
                    purgeCacheAfter: 1_209_600, purgeSchedule: "daily", scriptsDir: "/home/gitlab-runner/podman-fedora",
                    config: "/home/gitlab-runner/.gitlab-runner/config.toml", service: "gitlab-runner.service",
                    executable: "/usr/local/bin/gitlab-runner"),
                action: .create,
                steps: [
                    .command(CommandStep(
                        argv: ["/usr/local/bin/gitlab-runner", "register", "--non-interactive"],
                        secretEnvironment: ["REGISTRATION_TOKEN": .environment("RUNNER_TOKEN")])),
                    .editTOML(EditTOMLStep(
                        path: "/home/gitlab-runner/.gitlab-runner/config.toml", array: "runners", matchKey: "name", name: "podman-fedora",
                        settings: [
                            EditTOMLStep.Setting(["url"], .string("https://gitlab.example.org/")),
                            EditTOMLStep.Setting(["limit"], .integer(2)),
                            EditTOMLStep.Setting(["custom", "force_pull"], .boolean(true)),
                            EditTOMLStep.Setting(["token"], .secret(.environment("RUNNER_TOKEN"))),
                        ],
                        comment: ["Managed by reconcile (GitLabRunner/podman-fedora)."], topLevelAtLeast: ["concurrent": 2],
                        owner: "gitlab-runner", group: "gitlab-runner", changes: ["limit: (not set) → 2"])),
                ]),
        ],
        "Directory": [
            Sample(
                name: "data", spec: DirectorySpec(path: "/srv/data", mode: 0o750, owner: "root", group: "adm"), action: .create,
                steps: [.createDirectory(CreateDirectoryStep(path: "/srv/data", mode: 0o750, owner: "root", group: "adm"))]),
            Sample(
                name: "old", spec: DirectorySpec(path: "/srv/old", mode: nil, owner: nil, group: nil), action: .delete, state: .absent,
                risk: .dataLoss, steps: [.removeDirectory(RemoveDirectoryStep(path: "/srv/old", recursive: true, entries: 3))]),
        ],
        "Package": [
            Sample(
                name: "tor", spec: PackageSpec(package: "tor", version: "0.4.8.16-1"), action: .create,
                steps: [
                    .command(CommandStep(
                        batch: CommandBatch(
                            key: "apt-get install", command: ["apt-get", "install", "--yes", "--"], items: ["tor=0.4.8.16-1"],
                            progressLog: ProgressLog(path: "/var/log/dpkg.log", marker: " status installed ", unit: "packages")),
                        environment: ["DEBIAN_FRONTEND": "noninteractive"])),
                ]),
        ],
        "Group": [
            Sample(
                name: "capture", spec: GroupSpec(group: "capture", gid: 990, system: true), action: .create,
                steps: [.command(CommandStep(argv: ["groupadd", "--system", "--gid", "990", "--", "capture"]))]),
        ],
        "User": [
            Sample(
                name: "gitlab-runner",
                spec: UserSpec(
                    user: "gitlab-runner", uid: 990, system: true, group: "gitlab-runner", groups: ["adm"], home: "/home/gitlab-runner",
                    shell: "/bin/bash", subordinateIds: UserSpec.SubordinateIds(count: 65536, start: 100_000), linger: true),
                action: .create,
                steps: [
                    .command(CommandStep(argv: ["useradd", "--system", "--uid", "990", "--", "gitlab-runner"])),
                    .command(CommandStep(argv: ["loginctl", "enable-linger", "gitlab-runner"])),
                ]),
        ],
        "Filesystem": [
            Sample(
                name: "data", spec: FilesystemSpec(device: "/dev/storage/data", type: "ext4", options: ["-L", "data"]), action: .create,
                risk: .disruptive, steps: [.makeFilesystem(MakeFilesystemStep(device: "/dev/storage/data", filesystem: "ext4", options: ["-L", "data"]))]),
        ],
        "Mount": [
            Sample(
                name: "data", spec: MountSpec(what: "/dev/storage/data", where: "/srv/data", type: "ext4", options: "noatime"), action: .create,
                steps: [
                    .writeFile(WriteFileStep(
                        path: "/etc/systemd/system/srv-data.mount", content: Data("[Mount]\nWhat=/dev/storage/data\n".utf8), mode: 0o644,
                        review: .fromEmpty, needsDaemonReload: true)),
                    .systemctl(SystemctlStep(.start, "srv-data.mount")),
                ]),
        ],
    ]

    /// A File whose content is read on the host: saved plans hold where from and its hash.
    static var sensitiveFile: FileSpec {
        var spec = FileSpec(path: "/etc/app/token", content: nil, mode: 0o600, owner: "app", group: "app", contentFrom: .file("/etc/reconcile/secrets/token"))
        spec.contentSHA256 = String(repeating: "a", count: 64)
        return spec
    }
}
