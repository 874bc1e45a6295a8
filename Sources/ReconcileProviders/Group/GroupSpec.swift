import ReconcileCore

/// `kind: Group`: a local group (`groupadd`); the resource's name is the group's name.
public struct GroupSpec: ResourceSpec, ProvidesAccounts {
    public var group: String
    public var gid: UInt32?
    /// A system group (`groupadd --system`): its gid comes from the system range.
    public var system: Bool

    public var providedGroups: [String] { [group] }

    private enum CodingKeys: String, CodingKey {
        case group = "group", gid = "gid", system = "system"
    }
}

extension GroupSpec {
    public static let kind = "Group"
    public static let keys = ["gid", "system"]

    public static func decode(_ reader: ObjectReader, context: DecodeContext) -> GroupSpec? {
        let name = AccountName.read(reader, context: context)
        let gid = AccountName.readId(reader, "gid")
        let system = reader.bool("system") ?? false
        guard let name else { return nil }
        return GroupSpec(group: name, gid: gid, system: system)
    }

    public func problems(name: String, state: ResourceState) -> [String] {
        var problems = SpecProblems()
        problems.check(group == name, "group", "\(TerminalText.quoted(group)) is not the resource's name")
        if let problem = AccountName.problem(group) { problems.check(false, "group", problem) }
        problems.check(gid != UInt32.max, "gid", "4294967295 is not a group id")
        return problems.items
    }
}

extension GroupSpec {
    public var hostIdentity: String { "group \(group)" }
}
