import Foundation

/// The users and groups of the host a root stands for: the system's databases live, and under
/// `--root` the root's own `etc/passwd` and `etc/group` when it has them (a staged host then
/// names its owners by its own accounts; a root without them falls back to the system's).
public final class AccountDatabase: @unchecked Sendable {
    /// The live host's, shared.
    public static let system = AccountDatabase(staged: nil)
    private static let stagedLock = NSLock()
    nonisolated(unsafe) private static var staged: [String: AccountDatabase] = [:]

    private let files: (any ReadableFileSystem)?
    private let lock = NSLock()
    private var tables: Tables?
    /// Size and modification time of etc/passwd and etc/group when `tables` was read.
    private var readFrom: [Double] = []
    private var lastRecheck = Date.distantPast

    private func recheckDue() -> Bool {
        let now = Date()
        guard now.timeIntervalSince(lastRecheck) >= 1 else { return false }
        lastRecheck = now
        return true
    }

    private struct Tables {
        var users: [String: UInt32] = [:]
        var primaryGroups: [String: UInt32] = [:]
        var groups: [String: UInt32] = [:]
        var userNames: [UInt32: String] = [:]
        var groupNames: [UInt32: String] = [:]
    }

    private init(staged files: (any ReadableFileSystem)?) {
        self.files = files
    }

    /// One per root, so a probe of thousands of files reads the root's account files once.
    public static func of(_ files: any ReadableFileSystem) -> AccountDatabase {
        guard !files.root.isLive else { return system }
        return stagedLock.withLock {
            if let known = staged[files.root.path] { return known }
            let database = AccountDatabase(staged: files)
            staged[files.root.path] = database
            return database
        }
    }

    /// Where user names come from, for messages.
    public var userSource: String { source("/etc/passwd", otherwise: "this host's user database") }
    /// Where group names come from, for messages.
    public var groupSource: String { source("/etc/group", otherwise: "this host's group database") }

    private func source(_ path: String, otherwise: String) -> String {
        guard let files, let tables = loadedTables(), !tables.users.isEmpty else { return otherwise }
        return files.root.resolve(path)
    }

    /// A name or a number; nil when neither resolves.
    public func uid(_ name: String) -> UInt32? {
        if let number = UInt32(name) { return number }
        switch lookUp({ $0.users[name] }) {
        case .system: return Accounts.uid(name)
        case .found(let id): return id
        case .unknown: return nil
        }
    }

    public func gid(_ name: String) -> UInt32? {
        if let number = UInt32(name) { return number }
        switch lookUp({ $0.groups[name] }) {
        case .system: return Accounts.gid(name)
        case .found(let id): return id
        case .unknown: return nil
        }
    }

    /// The name of a user's primary group (passwd's fourth field); nil when the user is unknown.
    public func primaryGroup(of user: String) -> String? {
        switch lookUp({ $0.primaryGroups[user] }) {
        case .system: return Accounts.primaryGroup(of: user).map(Accounts.groupName)
        case .found(let gid): return groupName(gid)
        case .unknown: return nil
        }
    }

    public func userName(_ uid: UInt32) -> String {
        switch lookUp({ $0.userNames[uid] }) {
        case .system: return Accounts.userName(uid)
        case .found(let name): return name
        case .unknown: return String(uid)
        }
    }

    public func groupName(_ gid: UInt32) -> String {
        switch lookUp({ $0.groupNames[gid] }) {
        case .system: return Accounts.groupName(gid)
        case .found(let name): return name
        case .unknown: return String(gid)
        }
    }

    private enum Answer<T> {
        /// No account files under the root: the system's databases answer.
        case system
        case found(T)
        case unknown
    }

    /// The root's tables when it has an etc/passwd; a miss reads the files again, since an
    /// apply may have added the account meanwhile.
    private func lookUp<T>(_ find: (Tables) -> T?) -> Answer<T> {
        guard files != nil else { return .system }
        return lock.withLock {
            // Read once, and again when a root that had no etc/passwd gets one (looked for at
            // most once a second: a probe asks for the owner of every file it reads).
            if tables == nil || (tables?.users.isEmpty == true && recheckDue() && signature() != readFrom) { tables = read() }
            guard let current = tables, !current.users.isEmpty else { return .system }
            if let found = find(current) { return .found(found) }
            guard signature() != readFrom else { return .unknown }
            let reread = read()
            tables = reread
            return find(reread).map { .found($0) } ?? .unknown
        }
    }

    private func loadedTables() -> Tables? {
        lock.withLock {
            if tables == nil { tables = read() }
            return tables
        }
    }

    private func signature() -> [Double] {
        ["/etc/passwd", "/etc/group"].flatMap { path -> [Double] in
            guard let status = try? files?.status(path) else { return [-1, -1] }
            return [Double(status.size), status.modified]
        }
    }

    private func read() -> Tables {
        var tables = Tables()
        guard let files else { return tables }
        readFrom = signature()
        for entry in AccountFileEntry.read(files, "/etc/passwd") {
            if tables.users[entry.name] == nil, let group = entry.rest.first.flatMap({ UInt32($0) }) { tables.primaryGroups[entry.name] = group }
            tables.users[entry.name] = tables.users[entry.name] ?? entry.id
            tables.userNames[entry.id] = tables.userNames[entry.id] ?? entry.name
        }
        for entry in AccountFileEntry.read(files, "/etc/group") {
            tables.groups[entry.name] = tables.groups[entry.name] ?? entry.id
            tables.groupNames[entry.id] = tables.groupNames[entry.id] ?? entry.name
        }
        return tables
    }
}
