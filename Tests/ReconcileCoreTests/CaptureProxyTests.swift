import Foundation
import ReconcileCore
@testable import ReconcileProviders
import Testing

/// CaptureProxy: manifest checks, the generated units (exact argv), and the pure planner.
@Suite struct CaptureProxyTests {
    static let manifest = """
        kind: CaptureProxy
        name: app
        socket: /run/app.sock
        proxy: /run/app.sock.proxy
        port: 9000
        pcap: /var/lib/reconcile/capture/app.pcap
        timeLimit: 2h
        rotate: {megabytes: 100, files: 10}
        """
    static let spec = CaptureProxySpec(
        name: "app", socket: "/run/app.sock", proxy: "/run/app.sock.proxy", port: 9000,
        pcap: "/var/lib/reconcile/capture/app.pcap")
    let provider = CaptureProxyProvider()
    let live = PlanContext(root: HostRoot("/"), changing: [])

    // MARK: manifests

    @Test func decodesEveryKeyWithTightDefaults() throws {
        let loaded = loadManifest(Self.manifest)
        #expect(loaded.diagnostics.items.isEmpty, "\(rendered(loaded))")
        let spec = try #require(loaded.resources.first?.spec as? CaptureProxySpec)
        #expect(spec == CaptureProxySpec(
            name: "app", socket: "/run/app.sock", proxy: "/run/app.sock.proxy", port: 9000,
            pcap: "/var/lib/reconcile/capture/app.pcap", mode: 0o600, owner: "root", group: "root", timeLimit: 7200,
            rotate: .init(megabytes: 100, files: 10)))
    }

    @Test func everyProblemHasItsPosition() {
        let loaded = loadManifest("""
            kind: CaptureProxy
            name: "bad name"
            socket: run/app.sock
            proxy: /run/app,sock
            port: 70000
            pcap: /var/x.pcap
            mode: "4755"
            timeLimit: soon
            rotate: {megabytes: 0, file: 3}
            """)
        #expect(rendered(loaded) == """
            m.yaml:2:7: error: name: "bad name" cannot name units: use letters, digits, "_", "." and "-", starting with a letter or digit (at most 200 characters)
            2 | name: "bad name"
              |       ^~~~~~~~
            m.yaml:3:9: error: socket: must be an absolute path (starting with "/"), found "run/app.sock"
            3 | socket: run/app.sock
              |         ^~~~~~~~~~~~
            m.yaml:4:8: error: proxy: may hold only letters, digits and . _ / + - (socat and systemd read it unquoted), found "/run/app,sock"
            4 | proxy: /run/app,sock
              |        ^~~~~~~~~~~~~
            m.yaml:5:7: error: port: must be between 1 and 65535, found 70000
            5 | port: 70000
              |       ^~~~~
            m.yaml:7:7: error: mode: a socket takes permission bits only (at most "0777"), found "4755"
            7 | mode: "4755"
              |       ^~~~
            m.yaml:8:12: error: timeLimit: expected seconds or a duration like "90s", "30m", "2h" or "1d", found "soon"
            8 | timeLimit: soon
              |            ^~~~
            m.yaml:9:9: error: rotate.files: missing required key "files"
            9 | rotate: {megabytes: 0, file: 3}
              |         ^
            m.yaml:9:21: error: rotate.megabytes: must be between 1 and 1000000, found 0
            9 | rotate: {megabytes: 0, file: 3}
              |                     ^
            m.yaml:9:24: error: rotate.file: unknown key; did you mean "files"?
            9 | rotate: {megabytes: 0, file: 3}
              |                        ^~~~
            9 errors, 0 warnings

            """)
    }

    @Test func missingKeysAndSameSocketTwice() {
        let loaded = loadManifest("kind: CaptureProxy\nname: app\nsocket: /run/a.sock\nproxy: /run/a.sock\n")
        #expect(loaded.diagnostics.sorted.map(\.headline) == [
            "m.yaml:1:1: error: port: missing required key \"port\"",
            "m.yaml:1:1: error: pcap: missing required key \"pcap\"",
            "m.yaml:4:8: error: proxy: must differ from socket: the relay would replace the server's own socket",
        ])
    }

    @Test func worldWritableModeAndUnboundedCaptureWarn() {
        let loaded = loadManifest("""
            kind: CaptureProxy
            name: app
            socket: /run/app.sock
            proxy: /run/app.sock.proxy
            port: 9000
            pcap: /var/app.pcap
            mode: "0777"
            """)
        #expect(!loaded.diagnostics.hasErrors)
        #expect(loaded.diagnostics.sorted.map(\.headline) == [
            "m.yaml:6:7: warning: pcap: neither timeLimit nor rotate is set: a forgotten capture grows until the disk is full",
            "m.yaml:7:7: warning: mode: 0777 lets every local user talk to the server through the proxy; prefer \"0600\" or \"0660\" with group:",
        ])
    }

    @Test func absentNeedsOnlyTheProxy() {
        let loaded = loadManifest("kind: CaptureProxy\nname: app\nstate: absent\nproxy: /run/app.sock.proxy\n")
        #expect(loaded.diagnostics.items.isEmpty, "\(rendered(loaded))")
    }

    @Test func twoProxiesCannotShareAPortOrAPath() {
        let one = "kind: CaptureProxy\nname: NAME\nsocket: /run/NAME.sock\nproxy: /run/p.sock\nport: 9000\npcap: /var/NAME.pcap\ntimeLimit: 60\n"
        let loaded = loadManifest(one.replacingOccurrences(of: "NAME", with: "a") + "---\n" + one.replacingOccurrences(of: "NAME", with: "b"))
        #expect(loaded.diagnostics.sorted.map(\.headline) == [
            "m.yaml:9:1: error: proxy: /run/p.sock is already managed by CaptureProxy/a",
            "m.yaml:9:1: error: port: port 9000 is already managed by CaptureProxy/a",
        ])
    }

    // MARK: units

    @Test func unitsRunTheExactArgv() throws {
        var spec = Self.spec
        spec.timeLimit = 3600
        spec.rotate = .init(megabytes: 50, files: 4)
        spec.mode = 0o660
        spec.group = "app"
        let units = try #require(CaptureUnits(spec))
        #expect(units.argv(.tcpdump) == [
            "/usr/bin/timeout", "--preserve-status", "--signal=INT", "3600",
            "/usr/bin/tcpdump", "-U", "--immediate-mode", "-Z", "root", "-i", "lo", "-nn", "-w", "/var/lib/reconcile/capture/app.pcap",
            "-C", "50", "-W", "4", "tcp", "port", "9000",
        ])
        #expect(units.argv(.tcpdump, timeLimited: false).first == "/usr/bin/tcpdump")
        #expect(units.argv(.tcp) == [
            "/usr/bin/socat", "-t100", "TCP-LISTEN:9000,bind=127.0.0.1,reuseaddr,fork", "UNIX-CONNECT:/run/app.sock",
        ])
        #expect(units.argv(.unix) == [
            "/usr/bin/socat", "-t100", "UNIX-LISTEN:/run/app.sock.proxy,mode=0660,user=root,group=app,unlink-early,fork",
            "TCP-CONNECT:127.0.0.1:9000",
        ])
        #expect(units.pcapDirectory == "/var/lib/reconcile/capture")
    }

    @Test func unitFilesOrderTheChainAndRestartOnFailure() throws {
        let units = try #require(CaptureUnits(Self.spec))
        #expect(units.unitContent(.tcpdump) == """
            # Managed by reconcile (CaptureProxy/app); local edits are overwritten.
            [Unit]
            Description=capture proxy app: record TCP 127.0.0.1:9000 into /var/lib/reconcile/capture/app.pcap
            StartLimitIntervalSec=60
            StartLimitBurst=5

            [Service]
            ExecStartPre=/usr/bin/mkdir -p -m 0700 /var/lib/reconcile/capture
            UMask=0077
            ExecStart=/usr/bin/tcpdump -U --immediate-mode -Z root -i lo -nn -w /var/lib/reconcile/capture/app.pcap tcp port 9000
            Restart=on-failure
            RestartSec=1

            """)
        #expect(units.unitContent(.tcp) == """
            # Managed by reconcile (CaptureProxy/app); local edits are overwritten.
            [Unit]
            Description=capture proxy app: TCP 127.0.0.1:9000 to /run/app.sock
            BindsTo=capture-app-tcpdump.service
            After=capture-app-tcpdump.service
            StartLimitIntervalSec=60
            StartLimitBurst=5

            [Service]
            ExecStart=/usr/bin/socat -t100 TCP-LISTEN:9000,bind=127.0.0.1,reuseaddr,fork UNIX-CONNECT:/run/app.sock
            SuccessExitStatus=143
            Restart=on-failure
            RestartSec=1

            """)
        #expect(units.unitContent(.unix) == """
            # Managed by reconcile (CaptureProxy/app); local edits are overwritten.
            [Unit]
            Description=capture proxy app: /run/app.sock.proxy to TCP 127.0.0.1:9000
            BindsTo=capture-app-tcpdump.service
            Wants=capture-app-tcp.service
            After=capture-app-tcpdump.service capture-app-tcp.service
            StartLimitIntervalSec=60
            StartLimitBurst=5

            [Service]
            UMask=0077
            ExecStart=/usr/bin/socat -t100 UNIX-LISTEN:/run/app.sock.proxy,mode=0600,user=root,group=root,unlink-early,fork TCP-CONNECT:127.0.0.1:9000
            SuccessExitStatus=143
            Restart=on-failure
            RestartSec=1

            [Install]
            WantedBy=multi-user.target

            """)
    }

    // MARK: planning

    func declared(_ spec: CaptureProxySpec = spec, state: ResourceState = .present) -> Declared<CaptureProxySpec> {
        Declared(meta: ResourceMeta(address: ResourceAddress(kind: "CaptureProxy", name: spec.name), state: state), spec: spec)
    }

    static func unit(_ content: String?, enabled: Bool = false, active: String = "inactive") -> UnitObservation {
        let file = content.map {
            FileObservation(exists: true, type: .file, mode: 0o644, uid: 0, owner: "root", gid: 0, group: "root",
                            size: Int64($0.utf8.count), sha256: Fingerprint.sha256(Data($0.utf8)), text: $0)
        } ?? .missing
        return UnitObservation(file: file, unitFileState: enabled ? "enabled" : nil, activeState: active, subState: nil)
    }

    static let socketFile = FileObservation(exists: true, type: .other, mode: 0o140755)

    /// The chain as apply leaves it: units in place, the entry one enabled, all running.
    func running(_ spec: CaptureProxySpec = spec, listeners: [String] = ["127.0.0.1:9000"]) throws -> CaptureProxyObservation {
        let units = try #require(CaptureUnits(spec))
        return CaptureProxyObservation(
            tcpdump: Self.unit(units.unitContent(.tcpdump), active: "active"),
            tcpRelay: Self.unit(units.unitContent(.tcp), active: "active"),
            unixRelay: Self.unit(units.unitContent(.unix), enabled: true, active: "active"),
            proxy: Self.socketFile, socket: Self.socketFile, portListeners: listeners)
    }

    static let nothing = CaptureProxyObservation(
        tcpdump: unit(nil), tcpRelay: unit(nil), unixRelay: unit(nil), proxy: .missing, socket: socketFile, portListeners: [])

    @Test func newProxyWritesAllUnitsThenEnablesAndStartsInOrder() throws {
        let plan = try provider.plan(declared(), observed: Self.nothing, context: live)
        #expect(plan.action == .create)
        #expect(plan.risk == .safe)
        #expect(plan.steps.map(\.summary) == [
            "write /etc/systemd/system/capture-app-tcpdump.service (mode 0644); then systemctl daemon-reload (once per apply)",
            "write /etc/systemd/system/capture-app-tcp.service (mode 0644); then systemctl daemon-reload (once per apply)",
            "write /etc/systemd/system/capture-app-unix.service (mode 0644); then systemctl daemon-reload (once per apply)",
            "link /etc/systemd/system/multi-user.target.wants/capture-app-unix.service -> /etc/systemd/system/capture-app-unix.service"
                + " (systemctl enable capture-app-unix.service)",
            "systemctl start capture-app-tcpdump.service", "systemctl start capture-app-tcp.service", "systemctl start capture-app-unix.service",
        ])
        #expect(plan.warnings.isEmpty)
    }

    @Test func runningChainIsConverged() throws {
        #expect(try provider.plan(declared(), observed: running(), context: live) == .noop)
    }

    @Test func changedPortRewritesAndRestartsEveryUnit() throws {
        var spec = Self.spec
        spec.port = 9001
        let plan = try provider.plan(declared(spec), observed: running(listeners: []), context: live)
        #expect(plan.action == .update)
        #expect(plan.risk == .restart)
        #expect(plan.steps.count == 3)
        #expect(plan.triggers == CaptureUnits.unitNames("app").map { .restart(unit: $0) })
    }

    @Test func changedModeTouchesOnlyTheClientFacingRelay() throws {
        var spec = Self.spec
        spec.mode = 0o660
        let plan = try provider.plan(declared(spec), observed: running(), context: live)
        #expect(plan.steps.map(\.summary) == [
            "write /etc/systemd/system/capture-app-unix.service (mode 0644); then systemctl daemon-reload (once per apply)",
        ])
        #expect(plan.triggers == [.restart(unit: "capture-app-unix.service")])
    }

    @Test func stoppedChainIsStartedAgain() throws {
        var observed = try running()
        observed.tcpdump.activeState = "failed"
        let plan = try provider.plan(declared(), observed: observed, context: live)
        #expect(plan.steps.map(\.summary) == ["systemctl start capture-app-tcpdump.service"])
    }

    @Test func timeLimitedCaptureThatEndedStaysEnded() throws {
        var spec = Self.spec
        spec.timeLimit = 60
        var observed = try running(spec, listeners: [])
        for role in [\CaptureProxyObservation.tcpdump, \.tcpRelay, \.unixRelay] {
            observed[keyPath: role].activeState = "inactive"
        }
        #expect(try provider.plan(declared(spec), observed: observed, context: live) == .noop)
        let fresh = try provider.plan(declared(spec), observed: Self.nothing, context: live)
        #expect(fresh.steps.filter { $0.summary.hasPrefix("systemctl start") }.count == 3)
    }

    @Test func portTakenBySomethingElseIsAPlanError() throws {
        var observed = Self.nothing
        observed.portListeners = ["0.0.0.0:9000"]
        #expect(throws: ReconcileError.notAllowed(
            "CaptureProxy/app: port 9000 is already in use (listening: 0.0.0.0:9000), not by capture-app-tcp.service; choose another port"
        )) {
            try provider.plan(declared(), observed: observed, context: live)
        }
        // Our own relay on the same port is fine; on the old port it is not.
        #expect(try provider.plan(declared(), observed: running(), context: live) == .noop)
        var spec = Self.spec
        spec.port = 9001
        var moved = try running()
        moved.portListeners = ["127.0.0.1:9001"]
        #expect(throws: ReconcileError.self) { try provider.plan(declared(spec), observed: moved, context: live) }
    }

    @Test func aRegularFileAtTheProxyPathIsNeverReplaced() throws {
        var observed = Self.nothing
        observed.proxy = FileObservation(exists: true, type: .file, mode: 0o644)
        #expect(throws: ReconcileError.self) { try provider.plan(declared(), observed: observed, context: live) }
    }

    @Test func missingServerSocketIsAWarning() throws {
        var observed = Self.nothing
        observed.socket = .missing
        let plan = try provider.plan(declared(), observed: observed, context: live)
        #expect(plan.warnings == [
            "/run/app.sock does not exist: connections through /run/app.sock.proxy fail until the server listens there",
        ])
    }

    @Test func absentStopsClientSideFirstThenRemovesUnitsAndSocket() throws {
        let absent = CaptureProxySpec(name: "app", socket: nil, proxy: "/run/app.sock.proxy", port: nil, pcap: nil)
        var observed = try running()
        observed.socket = nil
        observed.portListeners = nil
        let plan = try provider.plan(declared(absent, state: .absent), observed: observed, context: live)
        #expect(plan.action == .delete)
        #expect(plan.risk == .disruptive)
        #expect(plan.steps.map(\.summary) == [
            "systemctl stop capture-app-unix.service", "systemctl disable capture-app-unix.service",
            "systemctl stop capture-app-tcp.service", "systemctl stop capture-app-tcpdump.service",
            "remove /etc/systemd/system/capture-app-unix.service (backed up first); then systemctl daemon-reload (once per apply)",
            "remove /etc/systemd/system/capture-app-tcp.service (backed up first); then systemctl daemon-reload (once per apply)",
            "remove /etc/systemd/system/capture-app-tcpdump.service (backed up first); then systemctl daemon-reload (once per apply)",
            "remove /run/app.sock.proxy",
        ])
        let gone = CaptureProxyObservation(
            tcpdump: Self.unit(nil), tcpRelay: Self.unit(nil), unixRelay: Self.unit(nil), proxy: .missing, socket: nil,
            portListeners: nil)
        #expect(try provider.plan(declared(absent, state: .absent), observed: gone, context: live) == .noop)
    }

    // MARK: probing

    @Test func probeAsksSystemctlAndSsOnceForAllProxies() throws {
        let stage = TemporaryDirectory()
        var second = Self.spec
        second.name = "db"
        second.port = 9001
        second.proxy = "/run/db.proxy"
        let runner = RecordedRunner([
            SystemctlProbe.listArgv: CommandResult(status: 0, stdout: Data(try fixture("systemctl-list-units.json").utf8)),
            ListeningPorts.argv: CommandResult(status: 0, stdout: Data(
                "LISTEN 0      5        127.0.0.1:9001      0.0.0.0:*          \nLISTEN 0      4096          [::]:22            [::]:*          \n".utf8)),
        ])
        let host = HostContext(files: LocalFileSystem(root: HostRoot("/")), commands: runner)
        _ = stage
        let observed = try provider.probe([declared(), declared(second)], host: host)
        #expect(runner.recordedCalls.count == 2)
        #expect(observed.map(\.portListeners) == [[], ["127.0.0.1:9001"]])
        #expect(observed.map(\.unixRelay.activeState) == ["inactive", "inactive"])
    }

    @Test func ssOutputParsesIPv4IPv6AndWildcards() {
        let parsed = ListeningPorts.parse("""
            LISTEN 0      5        127.0.0.1:9000      0.0.0.0:*
            LISTEN 0      128           [::]:22            [::]:*
            LISTEN 0      128              *:8080             *:*
            LISTEN 0      4096  127.0.0.53%lo:53        0.0.0.0:*
            """)
        #expect(parsed == [9000: ["127.0.0.1:9000"], 22: ["[::]:22"], 8080: ["*:8080"], 53: ["127.0.0.53%lo:53"]])
    }

    // MARK: pcap counting

    @Test func pcapRecordsAreCountedIncrementallyAndHalfWrittenOnesWait() {
        var file = Data([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0] + [UInt8](repeating: 0, count: 16))
        func record(_ payload: [UInt8]) -> Data {
            let length = UInt32(payload.count)
            let le = withUnsafeBytes(of: length.littleEndian, Array.init)
            return Data([UInt8](repeating: 0, count: 8) + le + le + payload)
        }
        file += record([1, 2, 3])
        let second = record([4, 5, 6, 7])
        var count = PcapCount()
        count.consume(file + second.prefix(10))
        #expect(count.packets == 1)
        #expect(count.offset == 24 + 16 + 3)
        count.consume(second)
        #expect(count.packets == 2)
        #expect(count.offset == 24 + 16 + 3 + 16 + 4)
        var garbage = PcapCount()
        garbage.consume(Data(repeating: 7, count: 64))
        #expect(garbage.packets == 0)
    }
}
