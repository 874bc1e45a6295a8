import ReconcileCore

/// A local account as the account files have it, with what a plan needs to add to it.
public struct UserObservation: Codable, Sendable, Equatable {
    public var uid: UInt32?
    public var primaryGroup: String?
    public var home: String?
    public var shell: String?
    /// Of the wanted supplementary groups, those the user is already in.
    public var memberOf: [String]
    /// Wanted groups (primary or supplementary) that the host lacks.
    public var missingGroups: [String]
    public var subuids: [IdRange]
    public var subgids: [IdRange]
    /// A free range for this user when it needs one: free of every range in use and of the
    /// ranges proposed for the users declared before it.
    public var proposedRange: IdRange?
    /// A range asked for with `start` that another account holds, by that account's name.
    public var rangeTakenBy: String?
    /// Another account that already has the wanted uid.
    public var uidTakenBy: String?
    public var linger: Bool

    public var exists: Bool { uid != nil }

    /// Where new ranges start (login.defs' SUB_UID_MIN) and the highest id they may reach.
    static let subordinateMinimum: UInt32 = 100_000
    static let subordinateMaximum: UInt64 = 600_100_000

    static func probe(_ resources: [Declared<UserSpec>], accounts: AccountFiles, files: any ReadableFileSystem) throws -> [UserObservation] {
        var inUse = accounts.allSubordinateRanges
        var observations: [UserObservation] = []
        for resource in resources {
            let spec = resource.spec
            let existing = accounts.user(spec.user)
            let wanted = spec.usedGroups
            var observation = UserObservation(
                uid: existing?.uid, primaryGroup: existing.map { user in accounts.group(gid: user.gid)?.name ?? String(user.gid) },
                home: existing?.home, shell: existing?.shell,
                memberOf: spec.groups.filter { accounts.group($0)?.members.contains(spec.user) == true },
                missingGroups: wanted.filter { accounts.group($0) == nil },
                subuids: accounts.subuids[spec.user] ?? [], subgids: accounts.subgids[spec.user] ?? [],
                proposedRange: nil, rangeTakenBy: nil,
                uidTakenBy: spec.uid.flatMap { uid in accounts.users.first { $0.uid == uid && $0.name != spec.user }?.name },
                linger: try files.status("/var/lib/systemd/linger/\(spec.user)") != nil)
            if resource.meta.state == .present, let ids = spec.subordinateIds, observation.needsRange(ids) {
                if let start = ids.start {
                    let range = IdRange(start: start, count: ids.count)
                    observation.rangeTakenBy = Self.holder(of: range, accounts: accounts, except: spec.user)
                    observation.proposedRange = range
                } else {
                    observation.proposedRange = Self.free(ids.count, avoiding: inUse)
                }
                if let proposed = observation.proposedRange { inUse.append(proposed) }
            }
            observations.append(observation)
        }
        return observations
    }

    /// Whether the user lacks `ids.count` subordinate uids or gids.
    func needsRange(_ ids: UserSpec.SubordinateIds) -> Bool { lacksUids(ids) || lacksGids(ids) }
    func lacksUids(_ ids: UserSpec.SubordinateIds) -> Bool { Self.total(subuids) < UInt64(ids.count) }
    func lacksGids(_ ids: UserSpec.SubordinateIds) -> Bool { Self.total(subgids) < UInt64(ids.count) }

    private static func total(_ ranges: [IdRange]) -> UInt64 { ranges.reduce(UInt64(0)) { $0 + UInt64($1.count) } }

    /// The lowest start from 100000, past every range it would overlap.
    static func free(_ count: UInt32, avoiding ranges: [IdRange]) -> IdRange? {
        var start = UInt64(subordinateMinimum)
        for range in ranges.sorted(by: { $0.start < $1.start }) where range.end > start {
            if UInt64(range.start) >= start + UInt64(count) { break }
            start = range.end
        }
        guard start + UInt64(count) <= subordinateMaximum, let first = UInt32(exactly: start) else { return nil }
        return IdRange(start: first, count: count)
    }

    private static func holder(of range: IdRange, accounts: AccountFiles, except user: String) -> String? {
        for (name, ranges) in accounts.subuids.merging(accounts.subgids, uniquingKeysWith: +).sorted(by: { $0.key < $1.key }) where name != user {
            if ranges.contains(where: { $0.overlaps(range) }) { return name }
        }
        return nil
    }
}
