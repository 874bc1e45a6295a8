import ReconcileCore

/// A local group as etc/group has it.
public struct GroupObservation: Codable, Sendable, Equatable {
    public var gid: UInt32?
    /// Another group that already has the wanted gid.
    public var gidTakenBy: String?
    /// Users whose primary group this is: `groupdel` refuses to remove it.
    public var primaryOf: [String]

    static func probe(_ spec: GroupSpec, accounts: AccountFiles) -> GroupObservation {
        let existing = accounts.group(spec.group)
        let takenBy = spec.gid.flatMap { accounts.group(gid: $0) }.flatMap { $0.name == spec.group ? nil : $0.name }
        let primaryOf = existing.map { group in accounts.users.filter { $0.gid == group.gid }.map(\.name) } ?? []
        return GroupObservation(gid: existing?.gid, gidTakenBy: takenBy, primaryOf: primaryOf)
    }
}
