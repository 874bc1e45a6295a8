import Foundation
import ReconcileCore
@testable import ReconcileCLI
@testable import ReconcileProviders
import Testing

/// The capture chain with the real socat and tcpdump on this machine: `reconcile capture` in the
/// foreground, the units' own ExecStart lines run as processes, and `systemd-analyze verify`.
/// Needs root (tcpdump on lo, socat's user=root), as CI has; skipped, visibly, without it.
@Suite(.serialized, .enabled(if: getuid() == 0, "needs root: tcpdump on lo, socat's user=root"))
struct CaptureEndToEndTests {
    static let request = "hello through the proxy\n"
    static let reply = "HELLO THROUGH THE PROXY\n"

    @Test(arguments: [SIGINT, SIGTERM])
    func foregroundCaptureRecordsBothDirectionsAndLeavesNothingBehind(stopWith signal: Int32) throws {
        let stage = Stage()
        let port = try freePort()
        let server = try UppercaseServer(socket: stage.path + "/app.sock")
        defer { server.stop() }
        try stage.writeManifest(manifest(stage, port: port))
        let output = stage.path + "/capture.out"
        let capture = try start([binaryPath, "capture", "app", stage.manifest], output: output)
        let proxy = stage.path + "/app.sock.proxy"
        try #require(waitFor { isSocket(proxy) }, "proxy never appeared: \(read(output))")
        #expect(try talk(proxy, Self.request) == Self.reply)
        #expect(try talk(proxy, Self.request) == Self.reply)
        #expect(capture.stop(signal) == 0, "\(read(output))")
        let text = read(output)
        #expect(text.contains("Capturing app: clients connect to \(proxy)"))
        #expect(text.contains("Capture app stopped (\(signal == SIGINT ? "interrupted" : "terminated")): "))

        let pcap = stage.path + "/pcap/app.pcap"
        let streams = try tcpStreams(pcap, port: port)
        #expect(String(decoding: streams.toServer, as: UTF8.self) == Self.request + Self.request)
        #expect(String(decoding: streams.fromServer, as: UTF8.self) == Self.reply + Self.reply)
        let dump = try ProcessRunner().run(Command(["tcpdump", "-r", pcap, "-nn", "-A"]))
        #expect(dump.status == 0, "\(dump.stderrText)")
        #expect(dump.stdoutText.contains("hello through the proxy") && dump.stdoutText.contains("HELLO THROUGH THE PROXY"),
                "\(dump.stdoutText.suffix(3000)) \(text)")
        #expect(permissions(pcap) == 0o600, "the pcap holds the traffic: root only")
        #expect(!FileManager.default.fileExists(atPath: proxy), "proxy socket removed")
        #expect(try leftovers(proxy: proxy, port: port).isEmpty)
        #expect(try ListeningPorts.probe(commands: ProcessRunner())[port] == nil)
    }

    @Test func foregroundCaptureEndsAtItsTimeLimit() throws {
        let stage = Stage()
        let port = try freePort()
        let server = try UppercaseServer(socket: stage.path + "/app.sock")
        defer { server.stop() }
        try stage.writeManifest(manifest(stage, port: port, extra: "timeLimit: 3\n"))
        let started = Date()
        let run = try reconcile(["capture", "app", stage.manifest])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("Capture app stopped (time limit of 3 s reached): "))
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(try PcapCountCheck.isPcap(stage.path + "/pcap/app.pcap"))
        #expect(try leftovers(proxy: stage.path + "/app.sock.proxy", port: port).isEmpty)
    }

    @Test func onATerminalTheCountsAreRefreshedInPlace() throws {
        let stage = Stage()
        let port = try freePort()
        let server = try UppercaseServer(socket: stage.path + "/app.sock")
        defer { server.stop() }
        try stage.writeManifest(manifest(stage, port: port, extra: "timeLimit: 2\n"))
        let run = try TerminalTests().inTerminal(["capture", "app", stage.manifest], typing: "")
        #expect(run.status == 0, "\(run.stdout)")
        #expect(run.stdout.contains("\r\u{1B}[K00:00:0"), "one status line, rewritten in place")
        #expect(run.stdout.contains("Capture app stopped (time limit of 2 s reached)"))
    }

    @Test func foregroundCaptureRefusesABusyPort() throws {
        let stage = Stage()
        let port = try freePort()
        let blocker = try start(["/usr/bin/socat", "TCP-LISTEN:\(port),bind=127.0.0.1,reuseaddr", "-"], output: stage.path + "/blocker.out")
        defer { blocker.stop(SIGTERM) }
        _ = waitFor { (try? ListeningPorts.probe(commands: ProcessRunner())[port]) != nil }
        try stage.writeManifest(manifest(stage, port: port))
        let run = try reconcile(["capture", "app", stage.manifest])
        #expect(run.status == 1)
        #expect(run.stderr.contains("error: CaptureProxy/app: port \(port) is already in use (listening: 127.0.0.1:\(port))"))
        #expect(!FileManager.default.fileExists(atPath: stage.path + "/app.sock.proxy"))
    }

    @Test func foregroundCaptureRefusesALiveProxyButReplacesAStaleOne() throws {
        let stage = Stage()
        let port = try freePort()
        let proxy = stage.path + "/app.sock.proxy"
        try stage.writeManifest(manifest(stage, port: port, extra: "timeLimit: 1\n"))
        let live = try start(["/usr/bin/socat", "UNIX-LISTEN:\(proxy),fork", "EXEC:/bin/cat"], output: stage.path + "/live.out")
        _ = waitFor { isSocket(proxy) }
        let refused = try reconcile(["capture", "app", stage.manifest])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("\(proxy) is served by a running process (capture-app-unix.service?); stop it first"))
        // SIGKILL leaves the socket file behind, as a crashed relay would: unlink-early replaces it.
        live.stop(SIGKILL)
        #expect(isSocket(proxy))
        let run = try reconcile(["capture", "app", stage.manifest])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: proxy))
    }

    /// What systemd would run, run by hand: the ExecStartPre/ExecStart lines of the generated units.
    @Test func theUnitsOwnCommandLinesCarryTheTraffic() throws {
        let stage = Stage()
        let port = try freePort()
        let server = try UppercaseServer(socket: stage.path + "/app.sock")
        defer { server.stop() }
        let units = try #require(CaptureUnits(CaptureProxySpec(
            name: "app", socket: stage.path + "/app.sock", proxy: stage.path + "/app.sock.proxy", port: port,
            pcap: stage.path + "/pcap/app.pcap", timeLimit: 60)))
        func lines(_ role: CaptureUnits.Role, _ key: String) -> [[String]] {
            units.unitContent(role).split(separator: "\n").filter { $0.hasPrefix(key + "=") }
                .map { $0.dropFirst(key.count + 1).split(separator: " ").map(String.init) }
        }
        for pre in lines(.tcpdump, "ExecStartPre") {
            #expect(try ProcessRunner().run(Command(pre)).status == 0)
        }
        let previous = umask(0o077)
        defer { umask(previous) }
        var processes: [ChildProcess] = []
        defer {
            for process in processes.reversed() { process.stop(SIGKILL) }
        }
        for role in CaptureUnits.Role.allCases {
            let argv = try #require(lines(role, "ExecStart").first)
            processes.append(try start(argv, output: stage.path + "/\(role.rawValue).out"))
            let ready: Bool
            switch role {
            case .tcpdump: ready = waitFor { read(stage.path + "/tcpdump.out").contains("listening on") }
            case .tcp: ready = waitFor { (try? ListeningPorts.probe(commands: ProcessRunner())[port]) == ["127.0.0.1:\(port)"] }
            case .unix: ready = waitFor { isSocket(units.proxy) }
            }
            try #require(ready, "\(role) did not come up: \(read(stage.path + "/\(role.rawValue).out"))")
        }
        #expect(permissions(units.proxy) == 0o600)
        #expect(try talk(units.proxy, Self.request) == Self.reply)
        let relays = [processes[2].stop(SIGTERM), processes[1].stop(SIGTERM)]
        #expect(relays == [143, 143], "socat's SIGTERM status, hence SuccessExitStatus=143")
        // timeout(1) passes SIGINT on to tcpdump and its status back: 0, a clean unit stop.
        #expect(processes[0].stop(SIGINT) == 0, "\(read(stage.path + "/tcpdump.out"))")
        let streams = try tcpStreams(units.pcap, port: port)
        #expect(String(decoding: streams.toServer, as: UTF8.self) == Self.request)
        #expect(String(decoding: streams.fromServer, as: UTF8.self) == Self.reply)
        #expect(!FileManager.default.fileExists(atPath: units.proxy), "socat removes its socket on SIGTERM")
    }

    /// `systemd-analyze verify` reports unknown keys as warnings and still exits 0: any output fails.
    @Test(arguments: [nil, "timeLimit: 1h\nrotate: {megabytes: 10, files: 3}\nmode: \"0660\"\ngroup: root\n"])
    func generatedUnitsPassSystemdAnalyzeVerify(extra: String?) throws {
        let stage = Stage()
        try stage.writeManifest(manifest(stage, port: 9000, extra: extra ?? "rotate: {megabytes: 1, files: 2}\n"))
        let apply = try reconcile(["apply", "--auto-approve", "--root", stage.root, stage.manifest])
        #expect(apply.status == 0, "\(apply.stderr)")
        let directory = stage.root + "/etc/systemd/system"
        let files = CaptureUnits.unitNames("app").map { directory + "/" + $0 }
        let verify = try ProcessRunner().run(Command(["systemd-analyze", "verify", "--man=no"] + files))
        #expect(verify.status == 0)
        #expect(verify.stdoutText + verify.stderrText == "", "systemd-analyze verify must print nothing")
    }

    // MARK: helpers

    func manifest(_ stage: Stage, port: Int, extra: String = "timeLimit: 1h\n") -> String {
        """
        kind: CaptureProxy
        name: app
        socket: \(stage.path)/app.sock
        proxy: \(stage.path)/app.sock.proxy
        port: \(port)
        pcap: \(stage.path)/pcap/app.pcap

        """ + extra
    }
}

/// `socat UNIX-LISTEN:…,fork EXEC:tr a-z A-Z`: replies differ from requests, so the directions can be told apart.
final class UppercaseServer {
    let process: ChildProcess

    init(socket: String) throws {
        process = try start(["/usr/bin/socat", "UNIX-LISTEN:\(socket),fork,unlink-early", "EXEC:tr a-z A-Z"], output: "/dev/null")
        _ = waitFor { isSocket(socket) }
    }

    func stop() {
        process.stop(SIGTERM)
    }
}

enum PcapCountCheck {
    static func isPcap(_ path: String) throws -> Bool {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return data.prefix(4) == Data([0xd4, 0xc3, 0xb2, 0xa1]) || data.prefix(4) == Data([0xa1, 0xb2, 0xc3, 0xd4])
    }
}

/// Started as `reconcile capture` starts its children: test runners block signals, which a
/// Foundation `Process` would hand down, and then neither Ctrl-C nor SIGTERM would reach it.
func start(_ argv: [String], output: String) throws -> ChildProcess {
    try ChildProcess.spawn(argv, log: output)
}

func waitFor(seconds: Double = 10, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(50_000)
    }
    return condition()
}

func isSocket(_ path: String) -> Bool {
    var status = stat()
    return lstat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFSOCK
}

func permissions(_ path: String) -> UInt32 {
    var status = stat()
    return lstat(path, &status) == 0 ? UInt32(status.st_mode) & 0o777 : 0
}

func read(_ path: String) -> String {
    FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
}

/// One request through the proxy with the real socat client; returns the reply.
func talk(_ proxy: String, _ request: String) throws -> String {
    let result = try ProcessRunner().run(Command(["/usr/bin/socat", "-t5", "-", "UNIX-CONNECT:\(proxy)"], standardInput: Data(request.utf8)))
    try #require(result.status == 0, "\(result.stderrText)")
    return result.stdoutText
}

/// A port nothing listens on, from a range the tests keep to themselves.
func freePort() throws -> Int {
    let busy = try ListeningPorts.probe(commands: ProcessRunner())
    let candidates = (20000..<40000).shuffled()
    return try #require(candidates.first { busy[$0] == nil })
}

/// Processes still running that belong to this chain: their command line names its proxy or port.
func leftovers(proxy: String, port: Int) throws -> [String] {
    let markers = [proxy, "TCP-LISTEN:\(port),", "port\0\(port)"]
    return try FileManager.default.contentsOfDirectory(atPath: "/proc").filter { Int($0) != nil }.compactMap { pid in
        guard let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
        let line = String(decoding: raw, as: UTF8.self)
        return markers.contains(where: line.contains) && !line.contains("UNIX-CONNECT:\(proxy)") ? "\(pid): \(line)" : nil
    }
}

/// TCP payloads of a pcap (Ethernet, IPv4, as tcpdump writes lo), split by direction of the port.
func tcpStreams(_ pcap: String, port: Int) throws -> (toServer: Data, fromServer: Data) {
    let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: pcap)))
    func u16(_ at: Int) -> Int { Int(data[at]) << 8 | Int(data[at + 1]) }
    func le32(_ at: Int) -> Int { (0..<4).reduce(0) { $0 | Int(data[at + $1]) << (8 * $1) } }
    try #require(data.count >= 24 && data[0..<4] == [0xd4, 0xc3, 0xb2, 0xa1][...], "little-endian microsecond pcap")
    var toServer = Data()
    var fromServer = Data()
    var offset = 24
    while offset + 16 <= data.count {
        let length = le32(offset + 8)
        let packet = offset + 16
        offset = packet + length
        guard offset <= data.count, length > 34, u16(packet + 12) == 0x0800 else { continue }
        let ip = packet + 14
        let ipHeader = Int(data[ip] & 0x0f) * 4
        let total = u16(ip + 2)
        guard data[ip + 9] == 6 else { continue }
        let tcp = ip + ipHeader
        let tcpHeader = Int(data[tcp + 12] >> 4) * 4
        let payload = Data(data[(tcp + tcpHeader)..<(ip + total)])
        if u16(tcp + 2) == port { toServer += payload } else if u16(tcp) == port { fromServer += payload }
    }
    return (toServer, fromServer)
}
