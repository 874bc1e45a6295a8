import ReconcileCore

/// `kind: CaptureProxy`: clients talk to `proxy`, a socat relay carries their bytes over TCP on
/// 127.0.0.1:`port` to the server's `socket`, and tcpdump records that port into `pcap`.
public struct CaptureProxySpec: ResourceSpec {
    public var name: String
    /// The server's socket; nil only with state: absent.
    public var socket: String?
    public var proxy: String
    public var port: Int?
    public var pcap: String?
    public var mode: UInt32
    public var owner: String
    public var group: String
    /// Seconds until the capture ends by itself.
    public var timeLimit: Int?
    public var rotate: Rotation?

    /// tcpdump's `-C megabytes -W files`: a ring of at most `files` files of `megabytes` million bytes.
    public struct Rotation: Codable, Sendable, Equatable {
        public var megabytes: Int
        public var files: Int

        public init(megabytes: Int, files: Int) {
            self.megabytes = megabytes
            self.files = files
        }

        private enum CodingKeys: String, CodingKey {
            case megabytes = "megabytes", files = "files"
        }
    }

    public init(
        name: String, socket: String?, proxy: String, port: Int?, pcap: String?, mode: UInt32 = CaptureProxySpec.defaultMode,
        owner: String = "root", group: String = "root", timeLimit: Int? = nil, rotate: Rotation? = nil
    ) {
        self.name = name
        self.socket = socket
        self.proxy = proxy
        self.port = port
        self.pcap = pcap
        self.mode = mode
        self.owner = owner
        self.group = group
        self.timeLimit = timeLimit
        self.rotate = rotate
    }

    /// Only root may talk through the proxy unless the manifest says otherwise.
    public static let defaultMode: UInt32 = 0o600

    private enum CodingKeys: String, CodingKey {
        case name = "name", socket = "socket", proxy = "proxy", port = "port", pcap = "pcap", mode = "mode"
        case owner = "owner", group = "group", timeLimit = "timeLimit", rotate = "rotate"
    }
}

extension CaptureProxySpec {
    public static let kind = "CaptureProxy"
    public static let keys = ["socket", "proxy", "port", "pcap", "mode", "owner", "group", "timeLimit", "rotate"]
    static let rotateKeys = ["megabytes", "files"]
    /// `sun_path` holds 108 bytes including the terminating NUL.
    static let socketPathLimit = 107

    public static func decode(_ reader: ObjectReader, context: DecodeContext) -> CaptureProxySpec? {
        let nameIsValid = CaptureUnits.isValidName(context.name)
        if !nameIsValid {
            reader.error("name", "\"\(context.name)\" cannot name units: use letters, digits, \"_\", \".\" and \"-\", starting with a letter or digit (at most \(CaptureUnits.nameLimit) characters)")
        }
        let present = context.state == .present
        let socket = readPath(reader, "socket", required: present, socket: true)
        let proxy = readPath(reader, "proxy", required: true, socket: true)
        if present && !reader.has("port") { _ = reader.requireKey("port") }
        let port = reader.int("port", range: 1...65535)
        let pcap = readPath(reader, "pcap", required: present, socket: false)
        let mode = readSocketMode(reader)
        let owner = FileSpec.readAccount(reader, "owner") ?? "root"
        let group = FileSpec.readAccount(reader, "group") ?? "root"
        let timeLimit = reader.duration("timeLimit")
        let rotate = readRotation(reader)
        if let socket, let proxy, socket == proxy {
            reader.error("proxy", "must differ from socket: the relay would replace the server's own socket")
        }
        if present, pcap != nil, !reader.has("timeLimit"), !reader.has("rotate") {
            reader.warning("pcap", "neither timeLimit nor rotate is set: a forgotten capture grows until the disk is full")
        }
        guard nameIsValid, let proxy else { return nil }
        return CaptureProxySpec(
            name: context.name, socket: socket, proxy: proxy, port: port, pcap: pcap, mode: mode ?? defaultMode,
            owner: owner, group: group, timeLimit: timeLimit, rotate: rotate)
    }

    /// Absolute, and plain enough to go unquoted into socat addresses and systemd command lines.
    private static func readPath(_ reader: ObjectReader, _ key: String, required: Bool, socket: Bool) -> String? {
        guard let path = FileSpec.readAbsolutePath(reader, key: key, required: required) else { return nil }
        guard path.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._/+-".contains($0)) }), !path.hasSuffix("/") else {
            reader.error(key, "may hold only letters, digits and . _ / + - (socat and systemd read it unquoted), found \"\(path)\"")
            return nil
        }
        if socket && path.utf8.count > socketPathLimit {
            reader.error(key, "a UNIX socket path has at most \(socketPathLimit) bytes, found \(path.utf8.count)")
            return nil
        }
        return path
    }

    private static func readSocketMode(_ reader: ObjectReader) -> UInt32? {
        guard let mode = FileSpec.readMode(reader) else { return nil }
        guard mode <= 0o777 else {
            reader.error("mode", "a socket takes permission bits only (at most \"0777\"), found \"\(FileMode.format(mode))\"")
            return nil
        }
        if mode & 0o002 != 0 {
            reader.warning("mode", "\(FileMode.format(mode)) lets every local user talk to the server through the proxy; prefer \"0600\" or \"0660\" with group:")
        }
        return mode
    }

    private static func readRotation(_ reader: ObjectReader) -> Rotation? {
        guard let rotate = reader.object("rotate", knownKeys: rotateKeys) else { return nil }
        let megabytes = rotate.int("megabytes", range: 1...1_000_000)
        let files = rotate.int("files", range: 1...1000)
        if !rotate.has("megabytes") { _ = rotate.requireKey("megabytes") }
        if !rotate.has("files") { _ = rotate.requireKey("files") }
        guard let megabytes, let files else { return nil }
        return Rotation(megabytes: megabytes, files: files)
    }
}

extension CaptureProxySpec {
    public func problems(name: String, state: ResourceState) -> [String] {
        var problems = SpecProblems()
        problems.check(self.name == name && CaptureUnits.isValidName(name), "name", "\(TerminalText.quoted(self.name)) is not this resource's name")
        problems.paths(["socket": socket, "proxy": proxy, "pcap": pcap].compactMapValues { $0 })
        problems.check(state == .absent || (socket != nil && pcap != nil), "socket", "a present proxy needs socket and pcap")
        problems.check(socket != proxy, "proxy", "must differ from socket")
        problems.port("port", port)
        problems.mode("mode", mode)
        problems.account("owner", owner)
        problems.account("group", group)
        if let timeLimit { problems.check(timeLimit > 0, "timeLimit", "must be above 0") }
        if let rotate {
            problems.check((1...1_000_000).contains(rotate.megabytes), "rotate.megabytes", "must be 1-1000000")
            problems.check((1...1000).contains(rotate.files), "rotate.files", "must be 1-1000")
        }
        return problems.items
    }
}

extension CaptureProxySpec {
    public var hostIdentity: String { "capture proxy \(name)" }
}
