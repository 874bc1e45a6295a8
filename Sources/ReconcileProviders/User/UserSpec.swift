import ReconcileCore

/// `kind: User`: a local account (`useradd`/`usermod`); the resource's name is the login.
public struct UserSpec: ResourceSpec, ProvidesAccounts, UsesAccounts {
    public var user: String
    public var uid: UInt32?
    /// `useradd --system`: a uid from the system range, no ageing.
    public var system: Bool
    /// Primary group; without it useradd creates a group of the user's name.
    public var group: String?
    /// Supplementary groups the user must be in (others it is in are left alone).
    public var groups: [String]
    /// Created with the account (`--create-home`), owned by it; an existing account's home is changed, never moved.
    public var home: String?
    public var shell: String?
    /// Ranges in /etc/subuid and /etc/subgid, which rootless podman needs.
    public var subordinateIds: SubordinateIds?
    /// `loginctl enable-linger`: the user's systemd instance runs without a login.
    public var linger: Bool?

    public struct SubordinateIds: Codable, Sendable, Equatable {
        public var count: UInt32
        /// Where the range starts; found free (from 100000, after every range in use) when not given.
        public var start: UInt32?

        private enum CodingKeys: String, CodingKey {
            case count = "count", start = "start"
        }
    }

    public var providedUsers: [String] { [user] }
    /// useradd makes a group of the user's name when no `group` is given.
    public var providedGroups: [String] { group == nil ? [user] : [] }
    public var usedGroups: [String] { (group.map { [$0] } ?? []) + groups }

    private enum CodingKeys: String, CodingKey {
        case user = "user", uid = "uid", system = "system", group = "group", groups = "groups", home = "home"
        case shell = "shell", subordinateIds = "subordinateIds", linger = "linger"
    }
}

extension UserSpec {
    public static let kind = "User"
    public static let keys = ["uid", "system", "group", "groups", "home", "shell", "subordinateIds", "linger"]

    public static func decode(_ reader: ObjectReader, context: DecodeContext) -> UserSpec? {
        let name = AccountName.read(reader, context: context)
        let uid = AccountName.readId(reader, "uid")
        let system = reader.bool("system") ?? false
        let group = readGroup(reader, "group")
        var groups: [String] = []
        for (text, node) in reader.stringList("groups") ?? [] {
            if let problem = AccountName.problem(text) {
                reader.error(at: node, keyPath: reader.path("groups"), "\(TerminalText.quoted(text)) is not a group name: \(problem)")
            } else if !groups.contains(text) {
                groups.append(text)
            }
        }
        let home = FileSpec.readAbsolutePath(reader, key: "home", required: false)
        let shell = FileSpec.readAbsolutePath(reader, key: "shell", required: false)
        let subordinate = readSubordinate(reader)
        let linger = reader.bool("linger")
        guard let name else { return nil }
        return UserSpec(
            user: name, uid: uid, system: system, group: group, groups: groups, home: home, shell: shell,
            subordinateIds: subordinate, linger: linger)
    }

    private static func readGroup(_ reader: ObjectReader, _ key: String) -> String? {
        guard let text = reader.string(key) else { return nil }
        if let problem = AccountName.problem(text) {
            reader.error(key, "\(TerminalText.quoted(text)) is not a group name: \(problem)")
            return nil
        }
        return text
    }

    private static func readSubordinate(_ reader: ObjectReader) -> SubordinateIds? {
        guard let object = reader.object("subordinateIds", knownKeys: ["count", "start"]) else { return nil }
        let count = object.int("count", range: 1...Int(Int32.max))
        let start = object.int("start", range: 1...Int(Int32.max))
        if !object.has("count") { object.error("count", "how many ids: 65536 is what rootless podman expects") }
        guard let count else { return nil }
        if let start, start + count > Int(UInt32.max) {
            object.error("start", "the range \(start) + \(count) passes the largest id")
            return nil
        }
        return SubordinateIds(count: UInt32(count), start: start.map(UInt32.init))
    }

    public func problems(name: String, state: ResourceState) -> [String] {
        var problems = SpecProblems()
        problems.check(user == name, "user", "\(TerminalText.quoted(user)) is not the resource's name")
        for (key, value) in [("user", user)] + (group.map { [("group", $0)] } ?? []) + groups.map({ ("groups", $0) }) {
            if let problem = AccountName.problem(value) { problems.check(false, key, problem) }
        }
        problems.path("home", home)
        problems.path("shell", shell)
        problems.check(uid != UInt32.max, "uid", "4294967295 is not a user id")
        if let ids = subordinateIds {
            problems.check(ids.count > 0 && ids.count <= UInt32(Int32.max), "subordinateIds.count", "must be between 1 and \(Int32.max)")
            problems.check(UInt64(ids.start ?? 1) + UInt64(ids.count) <= UInt64(UInt32.max), "subordinateIds.start", "the range passes the largest id")
        }
        return problems.items
    }
}

extension UserSpec {
    public var hostIdentity: String { "user \(user)" }
}
