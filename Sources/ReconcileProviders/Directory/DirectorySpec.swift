import ReconcileCore

/// `kind: Directory`: a folder with its mode, owner and group; removed (`state: absent`) only
/// while empty, unless the plan says it deletes what is in it (data-loss).
public struct DirectorySpec: ResourceSpec {
    public var path: String
    /// Kept when given; a folder reconcile creates gets 0755 otherwise.
    public var mode: UInt32?
    public var owner: String?
    public var group: String?

    private enum CodingKeys: String, CodingKey {
        case path = "path", mode = "mode", owner = "owner", group = "group"
    }
}

extension DirectorySpec {
    public static let kind = "Directory"
    public static let keys = ["path", "mode", "owner", "group"]
    static let defaultMode: UInt32 = 0o755

    public static func decode(_ reader: ObjectReader, context: DecodeContext) -> DirectorySpec? {
        let path = FileSpec.readAbsolutePath(reader)
        let mode = FileSpec.readMode(reader)
        let owner = FileSpec.readAccount(reader, "owner")
        let group = FileSpec.readAccount(reader, "group")
        if path == "/" {
            reader.error("path", "the root folder cannot be managed as a Directory")
            return nil
        }
        guard let path else { return nil }
        return DirectorySpec(path: path, mode: mode, owner: owner, group: group)
    }

    public func problems(name: String, state: ResourceState) -> [String] {
        var problems = SpecProblems()
        problems.path("path", path)
        problems.check(path != "/", "path", "the root folder cannot be managed as a Directory")
        problems.mode("mode", mode)
        problems.account("owner", owner)
        problems.account("group", group)
        return problems.items
    }
}

extension DirectorySpec {
    public var hostIdentity: String { "directory \(path)" }
}
