import Foundation
import ReconcileCore
import ReconcileProviders

/// The last SIGINT/SIGTERM received; written by the signal handler, read by the capture loop.
nonisolated(unsafe) private var receivedStopSignal: Int32 = 0

/// Runs one capture chain in the foreground, as its units would (same argv), shows live counts,
/// and tears it down in order on Ctrl-C, SIGTERM or the time limit: first the relays, then
/// tcpdump with SIGINT, so the pcap is flushed and readable.
struct ForegroundCapture {
    let units: CaptureUnits
    let commands: any CommandRunner
    var startTimeout: TimeInterval = 10

    enum Outcome: Equatable {
        case stopped(signal: Int32)
        case timeLimit
        case childFailed
    }

    func run() throws -> Outcome {
        try preflight()
        try createPcapDirectory()
        let logs = try makeLogDirectory()
        let previousMask = umask(0o077)
        receivedStopSignal = 0
        let handler: @convention(c) (Int32) -> Void = { receivedStopSignal = $0 }
        let previousINT = signal(SIGINT, handler)
        let previousTERM = signal(SIGTERM, handler)
        // A parent may hand down a mask that blocks them (Foundation's Process does): Ctrl-C must work.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGINT)
        sigaddset(&stopSignals, SIGTERM)
        var previousBlocked = sigset_t()
        pthread_sigmask(SIG_UNBLOCK, &stopSignals, &previousBlocked)
        defer {
            pthread_sigmask(SIG_SETMASK, &previousBlocked, nil)
            signal(SIGINT, previousINT)
            signal(SIGTERM, previousTERM)
            umask(previousMask)
        }
        var children: [(role: CaptureUnits.Role, process: ChildProcess)] = []
        let outcome: Outcome
        do {
            outcome = try start(into: &children, logs: logs).map { _ in Outcome.childFailed } ?? watch(children)
        } catch {
            tearDown(children)
            throw error
        }
        let failed = tearDown(children)
        var pcapFiles = PcapFiles(pcap: units.pcap)
        let count = pcapFiles.refresh()
        let why: String
        switch outcome {
        case .stopped(let signal): why = signal == SIGINT ? "interrupted" : "terminated"
        case .timeLimit: why = "time limit of \(units.timeLimit ?? 0) s reached"
        case .childFailed: why = "a process of the chain ended"
        }
        let files = units.rotate.map { "\(units.pcap)0… (a ring of \($0.files) files)" } ?? units.pcap
        Terminal.write("\nCapture \(units.name) stopped (\(why)): \(count.packets) packets, \(Self.format(bytes: count.bytes)) in \(files)\n")
        for child in failed {
            Terminal.writeError(TerminalText.escapedKeepingLineFeeds("\(child.name) (\(child.argv.joined(separator: " "))) did not end cleanly; its output:\n\(child.logTail())"))
        }
        if outcome != .childFailed && failed.isEmpty { try? FileManager.default.removeItem(atPath: logs) }
        return outcome
    }

    /// Refuses what the units' own start would break: a busy port, a live proxy, a file that is not a socket.
    private func preflight() throws {
        let listeners = try ListeningPorts.probe(commands: commands)[units.port] ?? []
        if !listeners.isEmpty {
            throw ReconcileError.notAllowed(
                "port \(units.port) is already in use (listening: \(listeners.joined(separator: ", "))); "
                    + "is \(units.unitName(.tcp)) running? Stop it or choose another port")
        }
        var status = stat()
        guard lstat(units.proxy, &status) == 0 else { return }
        guard status.st_mode & S_IFMT == S_IFSOCK else {
            throw ReconcileError.notAllowed("\(units.proxy) exists and is not a socket; the relay would delete it")
        }
        if UnixSocket.accepts(units.proxy) {
            throw ReconcileError.notAllowed(
                "\(units.proxy) is served by a running process (\(units.unitName(.unix))?); stop it first")
        }
    }

    private func createPcapDirectory() throws {
        try FileManager.default.createDirectory(
            atPath: units.pcapDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    private func makeLogDirectory() throws -> String {
        var template = Array((NSTemporaryDirectory() + "reconcile-capture-XXXXXX").utf8CString)
        guard let path = template.withUnsafeMutableBufferPointer({ $0.baseAddress.flatMap { mkdtemp($0) } }) else {
            throw ReconcileError.io(path: NSTemporaryDirectory(), operation: "create a temporary directory in", errno: errno)
        }
        return String(cString: path)
    }

    /// Starts the chain recorder first, each process only once the one before it is ready;
    /// returns the child that failed to come up, if any.
    private func start(into children: inout [(role: CaptureUnits.Role, process: ChildProcess)], logs: String) throws -> ChildProcess? {
        for role in CaptureUnits.Role.allCases {
            let child = try ChildProcess.spawn(units.argv(role, timeLimited: false), log: "\(logs)/\(role.rawValue).log")
            children.append((role, child))
            guard waitUntilReady(role, child) else {
                Terminal.writeError(TerminalText.escapedKeepingLineFeeds("\(child.name) did not come up (\(child.argv.joined(separator: " "))):\n\(child.logTail())"))
                return child
            }
        }
        return nil
    }

    private func waitUntilReady(_ role: CaptureUnits.Role, _ child: ChildProcess) -> Bool {
        let deadline = Date().addingTimeInterval(startTimeout)
        while Date() < deadline {
            if child.exitStatus() != nil { return false }
            if isReady(role, child) { return true }
            usleep(50_000)
        }
        return false
    }

    private func isReady(_ role: CaptureUnits.Role, _ child: ChildProcess) -> Bool {
        switch role {
        case .tcpdump:
            let log = FileManager.default.contents(atPath: child.log).map { String(decoding: $0, as: UTF8.self) } ?? ""
            return log.contains("listening on")
        case .tcp:
            return (try? ListeningPorts.probe(commands: commands)[units.port]?.isEmpty == false) ?? false
        case .unix:
            var status = stat()
            return lstat(units.proxy, &status) == 0 && status.st_mode & S_IFMT == S_IFSOCK
        }
    }

    /// Live counts until a signal, the time limit, or a process of the chain ending.
    private func watch(_ children: [(role: CaptureUnits.Role, process: ChildProcess)]) -> Outcome {
        let interactive = isatty(1) == 1
        let started = Date()
        let deadline = units.timeLimit.map { started.addingTimeInterval(TimeInterval($0)) }
        Terminal.write("Capturing \(units.name): clients connect to \(units.proxy); \(units.proxy) → 127.0.0.1:\(units.port) → \(units.socket); "
            + "recording into \(units.pcap)" + (deadline.map { _ in " for \(units.timeLimit ?? 0) s" } ?? "") + ". Ctrl-C stops.\n")
        var files = PcapFiles(pcap: units.pcap)
        var lastShown = Date.distantPast
        let every: TimeInterval = interactive ? 0.5 : 5
        while true {
            if receivedStopSignal != 0 { return .stopped(signal: receivedStopSignal) }
            if let deadline, Date() >= deadline { return .timeLimit }
            if children.contains(where: { $0.process.exitStatus() != nil }) { return .childFailed }
            if Date().timeIntervalSince(lastShown) >= every {
                lastShown = Date()
                let count = files.refresh()
                let line = "\(Self.format(seconds: Date().timeIntervalSince(started))) \(count.packets) packets, \(Self.format(bytes: count.bytes))"
                Terminal.write(interactive ? "\r\u{1B}[K" + line : line + "\n")
            }
            usleep(100_000)
        }
    }

    /// Stops the client side first so tcpdump sees every last packet; returns the children that had to be killed.
    @discardableResult
    private func tearDown(_ children: [(role: CaptureUnits.Role, process: ChildProcess)]) -> [ChildProcess] {
        var failed: [ChildProcess] = []
        for (role, child) in children.reversed() {
            // tcpdump flushes and exits 0 on SIGINT; socat exits 143 on SIGTERM. One that ended
            // before it was asked to must have ended with 0; stopping it reaps it and its group.
            let clean: Set<Int32> = child.exitStatus() == nil ? [0, 143] : [0]
            let status = child.stop(role == .tcpdump ? SIGINT : SIGTERM)
            if !clean.contains(status) { failed.append(child) }
        }
        var status = stat()
        if lstat(units.proxy, &status) == 0, status.st_mode & S_IFMT == S_IFSOCK {
            // Removed through the root walk: the proxy's folder may hold links a user planted.
            try? LocalFileSystem().remove(units.proxy)
        }
        return failed
    }

    static func format(bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        let units = ["KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes) / 1024
        var index = 0
        while value >= 1024 && index < units.count - 1 {
            value /= 1024
            index += 1
        }
        return String(format: "%.1f %@", value, units[index])
    }

    static func format(seconds: TimeInterval) -> String {
        let whole = Int(seconds)
        return String(format: "%02d:%02d:%02d", whole / 3600, whole / 60 % 60, whole % 60)
    }
}

/// The pcap, or tcpdump's numbered ring of them (`-C … -W …`), read incrementally.
struct PcapFiles {
    let pcap: String
    private var counts: [String: PcapCount] = [:]

    init(pcap: String) {
        self.pcap = pcap
    }

    mutating func refresh() -> (packets: Int, bytes: Int) {
        let directory = (pcap as NSString).deletingLastPathComponent
        let base = (pcap as NSString).lastPathComponent
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var packets = 0
        var bytes = 0
        for name in names where name.hasPrefix(base) && name.dropFirst(base.count).allSatisfy(\.isNumber) {
            let path = directory + "/" + name
            guard let handle = FileHandle(forReadingAtPath: path) else { continue }
            defer { try? handle.close() }
            var count = counts[path] ?? PcapCount()
            let size = Int((try? handle.seekToEnd()) ?? 0)
            // A ring file started over: count it afresh.
            if size < count.offset { count = PcapCount() }
            try? handle.seek(toOffset: UInt64(count.offset))
            count.consume((try? handle.readToEnd()) ?? Data())
            counts[path] = count
            packets += count.packets
            bytes += size
        }
        return (packets, bytes)
    }
}

/// Whether something accepts connections on a UNIX socket (a stale socket file refuses them).
enum UnixSocket {
    static func accepts(_ path: String) -> Bool {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: bytes)
        }
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
            }
        }
    }
}
