import Foundation

/// Where reconcile keeps its own state: lock, journal, queued restarts, backups.
public struct StateDirectory: Sendable {
    public let path: String

    public init(_ path: String) {
        self.path = path
    }

    /// The default lives under the root, so a staged apply keeps its state inside the stage.
    public static func `default`(for root: HostRoot) -> StateDirectory {
        StateDirectory(root.resolve("/var/lib/reconcile"))
    }

    public var lockPath: String { "\(path)/lock" }
    public var journalPath: String { "\(path)/journal.jsonl" }
    public var triggerQueuePath: String { "\(path)/pending-triggers.json" }
    public func backupDirectory(applyID: String) -> String { "\(path)/backups/\(applyID)" }

    /// Its files are real paths already, so they go through an unrooted file system.
    var files: LocalFileSystem { LocalFileSystem(root: HostRoot("/")) }

    public func create() throws {
        try files.createDirectories(path, mode: 0o700)
    }
}
