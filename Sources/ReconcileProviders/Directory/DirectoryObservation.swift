import ReconcileCore

/// A folder as the host has it: its attributes, and how many names it holds (a removal deletes
/// them: the count is part of the facts, so a folder filled since the plan makes it stale).
public struct DirectoryObservation: Codable, Sendable, Equatable {
    public var path: FileObservation
    public var entries: Int?

    static func probe(_ path: String, files: any HostFileSystem) throws -> DirectoryObservation {
        guard let status = try files.status(path) else { return DirectoryObservation(path: .missing) }
        let attributes = FileObservation(
            exists: true, type: status.type, mode: status.mode, uid: status.uid, owner: Accounts.userName(status.uid),
            gid: status.gid, group: Accounts.groupName(status.gid))
        return DirectoryObservation(path: attributes, entries: status.type == .directory ? try files.entries(path)?.count : nil)
    }
}
