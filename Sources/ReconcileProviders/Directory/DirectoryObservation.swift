import ReconcileCore

/// A folder as the host has it: its attributes, and how many names it holds (a removal deletes
/// them: the count is part of the facts, so a folder filled since the plan makes it stale).
public struct DirectoryObservation: Codable, Sendable, Equatable {
    /// Attributes, and the wanted owner or group the host lacks (`unknownOwner`/`unknownGroup`).
    public var path: FileObservation
    public var entries: Int?

    static func probe(_ spec: DirectorySpec, files: any ReadableFileSystem) throws -> DirectoryObservation {
        let accounts = AccountDatabase.of(files)
        var attributes = FileObservation.missing
        var entries: Int?
        if let status = try files.status(spec.path) {
            attributes = FileObservation(status, accounts: accounts)
            entries = status.type == .directory ? try files.entries(spec.path)?.count : nil
        }
        attributes.noteUnknownAccounts(owner: spec.owner, group: spec.group, in: accounts)
        return DirectoryObservation(path: attributes, entries: entries)
    }
}
