import ReconcileCore

/// The processes of one capture chain and the systemd units that run them. The foreground
/// `reconcile capture` runs the very same argv, so what one tests the other runs.
public struct CaptureUnits: Sendable, Equatable {
    /// The roles, in start order: the recorder first, so the first packets are not lost.
    public enum Role: String, Sendable, CaseIterable {
        case tcpdump, tcp, unix
    }

    public let name: String
    public let socket: String
    public let proxy: String
    public let port: Int
    public let pcap: String
    public let mode: UInt32
    public let owner: String
    public let group: String
    public let timeLimit: Int?
    public let rotate: CaptureProxySpec.Rotation?

    static let nameLimit = 200
    static let socat = "/usr/bin/socat"
    static let tcpdump = "/usr/bin/tcpdump"
    static let timeout = "/usr/bin/timeout"
    static let mkdir = "/usr/bin/mkdir"
    static let loopback = "127.0.0.1"

    /// nil for an absent resource, which does not say where its chain would listen.
    public init?(_ spec: CaptureProxySpec) {
        guard let socket = spec.socket, let port = spec.port, let pcap = spec.pcap else { return nil }
        self.name = spec.name
        self.socket = socket
        self.proxy = spec.proxy
        self.port = port
        self.pcap = pcap
        self.mode = spec.mode
        self.owner = spec.owner
        self.group = spec.group
        self.timeLimit = spec.timeLimit
        self.rotate = spec.rotate
    }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first.isNumber, name.count <= nameLimit else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }
    }

    public static func unitName(_ name: String, _ role: Role) -> String { "capture-\(name)-\(role.rawValue).service" }

    /// Start order; stop in reverse, so the recorder sees the last packets.
    public static func unitNames(_ name: String) -> [String] { Role.allCases.map { unitName(name, $0) } }

    public func unitName(_ role: Role) -> String { Self.unitName(name, role) }

    // MARK: argv

    /// `-U`: every packet reaches the file as it comes (else nothing until exit). `--immediate-mode`:
    /// libpcap otherwise hands packets over in blocks once a second, and a stop within that second
    /// loses the last ones (seen here: a capture stopped right after a request had 0 packets). `-Z root`: Debian's
    /// tcpdump otherwise hands its files to user tcpdump, so anyone who becomes that user reads the
    /// traffic. With a time limit, timeout(1) ends it with SIGINT, which tcpdump answers by
    /// flushing and exiting 0, so the unit ends cleanly instead of "failed".
    public func tcpdumpArgv(timeLimited: Bool = true) -> [String] {
        let limit = (timeLimited ? timeLimit : nil).map { [Self.timeout, "--preserve-status", "--signal=INT", String($0)] } ?? []
        let ring = rotate.map { ["-C", String($0.megabytes), "-W", String($0.files)] } ?? []
        return limit + [Self.tcpdump, "-U", "--immediate-mode", "-Z", "root", "-i", "lo", "-nn", "-w", pcap] + ring + ["tcp", "port", String(port)]
    }

    /// Loopback only: TCP-LISTEN binds every address unless told otherwise.
    public var tcpRelayArgv: [String] {
        [Self.socat, "-t100", "TCP-LISTEN:\(port),bind=\(Self.loopback),reuseaddr,fork", "UNIX-CONNECT:\(socket)"]
    }

    /// `unlink-early`: a relay killed without cleanup leaves its socket, and the next one must replace it.
    public var unixRelayArgv: [String] {
        [Self.socat, "-t100",
         "UNIX-LISTEN:\(proxy),mode=\(FileMode.format(mode)),user=\(owner),group=\(group),unlink-early,fork",
         "TCP-CONNECT:\(Self.loopback):\(port)"]
    }

    /// `timeLimited: false` leaves the time limit to the caller (the foreground capture keeps its own clock).
    public func argv(_ role: Role, timeLimited: Bool = true) -> [String] {
        switch role {
        case .tcpdump: return tcpdumpArgv(timeLimited: timeLimited)
        case .tcp: return tcpRelayArgv
        case .unix: return unixRelayArgv
        }
    }

    /// The folder tcpdump writes into, created (never re-moded) before it starts.
    public var pcapDirectory: String {
        let parent = pcap.split(separator: "/").dropLast().joined(separator: "/")
        return "/" + parent
    }

    // MARK: unit files

    /// Both relays are bound to the recorder: when it stops (time limit, state: absent) they stop
    /// with it, so nothing passes uncaptured. They are not bound to each other: a killed TCP relay
    /// restarts alone (chaining BindsTo stopped the client-facing relay for good, seen under
    /// systemd 252). Only the client-facing relay is enabled: at boot it pulls in the rest.
    public func unitContent(_ role: Role) -> String {
        let description: String
        var unit: [String] = []
        var service: [String] = []
        switch role {
        case .tcpdump:
            description = "record TCP \(Self.loopback):\(port) into \(pcap)"
            service.append("ExecStartPre=" + [Self.mkdir, "-p", "-m", "0700", pcapDirectory].joined(separator: " "))
            // The pcap holds whatever the clients send: readable by root only.
            service.append("UMask=0077")
        case .tcp:
            description = "TCP \(Self.loopback):\(port) to \(socket)"
            unit += ["BindsTo=\(unitName(.tcpdump))", "After=\(unitName(.tcpdump))"]
        case .unix:
            description = "\(proxy) to TCP \(Self.loopback):\(port)"
            unit += ["BindsTo=\(unitName(.tcpdump))", "Wants=\(unitName(.tcp))",
                     "After=\(unitName(.tcpdump)) \(unitName(.tcp))"]
            // No moment with a wider mode between socket creation and socat's chmod.
            service.append("UMask=0077")
        }
        service.append("ExecStart=" + argv(role).joined(separator: " "))
        if role != .tcpdump {
            // socat ends with 143 on SIGTERM; without this every stop leaves the unit "failed".
            service.append("SuccessExitStatus=143")
        }
        service += ["Restart=on-failure", "RestartSec=1"]
        var lines = ["# Managed by reconcile (CaptureProxy/\(name)); local edits are overwritten.", "[Unit]",
                     "Description=capture proxy \(name): \(description)"]
        // At most 5 starts a minute: a relay that cannot start stops retrying instead of spinning.
        lines += unit + ["StartLimitIntervalSec=60", "StartLimitBurst=5", "", "[Service]"] + service
        if role == .unix {
            lines += ["", "[Install]", "WantedBy=multi-user.target"]
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
