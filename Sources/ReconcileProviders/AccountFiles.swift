import ReconcileCore

/// The host's local account files as the shadow tools (`useradd`, `groupadd`, `usermod`) write
/// them: `etc/passwd`, `etc/group`, `etc/subuid`, `etc/subgid`, read through the root walk.
struct AccountFiles: Sendable {
    struct User: Sendable, Equatable {
        var name: String
        var uid: UInt32
        var gid: UInt32
        var home: String
        var shell: String
    }

    struct Group: Sendable, Equatable {
        var name: String
        var gid: UInt32
        var members: [String]
    }

    var users: [User] = []
    var groups: [Group] = []
    var subuids: [String: [IdRange]] = [:]
    var subgids: [String: [IdRange]] = [:]

    static func read(_ files: any ReadableFileSystem) throws -> AccountFiles {
        var accounts = AccountFiles()
        for entry in try entries(files, "/etc/passwd") where entry.rest.count >= 4 {
            guard let gid = UInt32(entry.rest[0]) else { continue }
            accounts.users.append(User(name: entry.name, uid: entry.id, gid: gid, home: String(entry.rest[2]), shell: String(entry.rest[3])))
        }
        for entry in try entries(files, "/etc/group") where !entry.rest.isEmpty {
            accounts.groups.append(Group(name: entry.name, gid: entry.id, members: entry.rest[0].split(separator: ",").map(String.init)))
        }
        accounts.subuids = try ranges(files, "/etc/subuid")
        accounts.subgids = try ranges(files, "/etc/subgid")
        return accounts
    }

    /// Unlike a file probe's owner lookup, a file that is there but unreadable is an error here.
    private static func entries(_ files: any ReadableFileSystem, _ path: String) throws -> [AccountFileEntry] {
        guard try files.status(path) != nil else { return [] }
        return AccountFileEntry.parse(try files.read(path))
    }

    func user(_ name: String) -> User? { users.first { $0.name == name } }
    func group(_ name: String) -> Group? { groups.first { $0.name == name } }
    func group(gid: UInt32) -> Group? { groups.first { $0.gid == gid } }

    /// Every subordinate range in use, uid and gid alike: a new range avoids both.
    var allSubordinateRanges: [IdRange] { (subuids.values.flatMap { $0 } + subgids.values.flatMap { $0 }).sorted { $0.start < $1.start } }

    private static func lines(_ files: any ReadableFileSystem, _ path: String) throws -> [[String]] {
        guard try files.status(path) != nil else { return [] }
        return String(decoding: try files.read(path), as: UTF8.self).split(separator: "\n")
            .filter { !$0.hasPrefix("#") }
            .map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) }
    }

    /// `name:start:count` lines (names only: the shadow tools write names).
    private static func ranges(_ files: any ReadableFileSystem, _ path: String) throws -> [String: [IdRange]] {
        var result: [String: [IdRange]] = [:]
        for fields in try lines(files, path) where fields.count == 3 {
            guard let start = UInt32(fields[1]), let count = UInt32(fields[2]), count > 0 else { continue }
            result[fields[0], default: []].append(IdRange(start: start, count: count))
        }
        return result
    }
}

/// `start` and the `count` ids after it, as /etc/subuid writes them.
public struct IdRange: Codable, Sendable, Equatable, Hashable {
    public var start: UInt32
    public var count: UInt32

    /// One past the last id; in 64 bits, since start + count may pass 2^32 in a hostile file.
    var end: UInt64 { UInt64(start) + UInt64(count) }

    func overlaps(_ other: IdRange) -> Bool { UInt64(start) < other.end && UInt64(other.start) < end }

    /// `usermod --add-subuids FIRST-LAST`.
    var usermodArgument: String { "\(start)-\(end - 1)" }
}
