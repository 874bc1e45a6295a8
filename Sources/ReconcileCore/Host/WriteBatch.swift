import CSystemCalls
import Foundation

/// Files (and links) written to temp names and made durable together: one `syncfs` per file system for the
/// lot (an fsync each when they are few) instead of an fsync of each file and its folder. Each
/// target still ends up with its old or its new content, never a part: nothing is renamed into
/// place before every temp file is on disk, and each folder is synced once after its renames.
public final class WriteBatch: @unchecked Sendable {
    struct Entry {
        let folder: OpenDirectory
        let temporary: String
        let name: String
        /// A symbolic link has no data of its own to sync: its folder's sync makes it durable.
        var isLink = false
    }

    /// A rename into place failed: the entries before `index` are in place, the rest were removed.
    public struct Failure: Error, CustomStringConvertible {
        public let index: Int
        public let error: Error
        public var description: String { "\(error)" }
    }

    /// Below this many files, an fsync each costs less than flushing whole file systems.
    static let fewFiles = 8

    private(set) var entries: [Entry] = []
    /// Open folders by real path: the entries of one folder share its descriptor.
    private var folders: [String: OpenDirectory] = [:]

    public init() {}

    public var count: Int { entries.count }
    /// Folders held open: a caller commits before this grows past what descriptors allow.
    public var folderCount: Int { folders.count }

    func folder(_ walked: OpenDirectory) -> OpenDirectory {
        if let known = folders[walked.path] { return known }
        folders[walked.path] = walked
        return walked
    }

    /// Folders by the host path they were walked to from.
    private var byHostPath: [Substring: OpenDirectory] = [:]

    func folder(atHostPath path: Substring) -> OpenDirectory? { byHostPath[path] }

    func remember(_ folder: OpenDirectory, atHostPath path: Substring) { byHostPath[path] = folder }

    func add(_ entry: Entry) {
        entries.append(entry)
    }

    /// Removes the temp files of entries from `index` on (a change that failed half-staged, or
    /// what a failed rename left), so nothing of them stays behind.
    public func discard(from index: Int) {
        guard index < entries.count else { return }
        for entry in entries[index...] { unlinkat(entry.folder.descriptor, entry.temporary, 0) }
        entries.removeSubrange(index...)
    }

    deinit { discard(from: 0) }

    /// Everything renamed into place: nothing left to discard.
    func finish() {
        entries.removeAll()
        folders.removeAll()
        byHostPath.removeAll()
    }

    /// Every temp file on disk before any is renamed.
    func makeDurable() throws {
        if entries.count <= Self.fewFiles {
            for entry in entries where !entry.isLink {
                let descriptor = openat(entry.folder.descriptor, entry.temporary, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
                guard descriptor >= 0 else { throw ReconcileError.io(path: entry.folder.describe(entry.temporary), operation: "open", errno: errno) }
                defer { close(descriptor) }
                guard fsync(descriptor) == 0 else {
                    throw ReconcileError.io(path: entry.folder.describe(entry.temporary), operation: "fsync", errno: errno)
                }
            }
            return
        }
        var synced = Set<UInt64>()
        for folder in folders.values {
            var info = stat()
            guard fstat(folder.descriptor, &info) == 0 else { throw ReconcileError.io(path: folder.path, operation: "stat", errno: errno) }
            guard synced.insert(UInt64(info.st_dev)).inserted else { continue }
            guard reconcile_syncfs(folder.descriptor) == 0 else { throw ReconcileError.io(path: folder.path, operation: "syncfs", errno: errno) }
        }
    }

    /// Folders of the first `count` entries, each once, in the order first used.
    private func foldersOfEntries(upTo count: Int) -> [OpenDirectory] {
        var seen = Set<String>()
        return entries.prefix(count).compactMap { seen.insert($0.folder.path).inserted ? $0.folder : nil }
    }

    func syncFoldersChecked(upTo count: Int) throws {
        for folder in foldersOfEntries(upTo: count) {
            guard fsync(folder.descriptor) == 0 else { throw ReconcileError.io(path: folder.path, operation: "fsync", errno: errno) }
        }
    }

    /// After a failed rename: the renames that happened still get their folder synced.
    func syncFolders(upTo count: Int) {
        for folder in foldersOfEntries(upTo: count) { fsync(folder.descriptor) }
    }
}
