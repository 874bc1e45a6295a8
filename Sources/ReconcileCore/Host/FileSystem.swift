import CSystemCalls
import Foundation

/// What a probe needs to know about a path.
public struct FileStatus: Sendable, Equatable, Codable {
    public enum FileType: String, Sendable, Codable {
        case file, directory, symlink, other
    }

    public var type: FileType
    public var size: Int64
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32
    public var modified: Double

    public init(type: FileType, size: Int64, mode: UInt32, uid: UInt32, gid: UInt32, modified: Double) {
        self.type = type
        self.size = size
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.modified = modified
    }
}

/// Host files as probes see them: looked at, never changed (changes are the executor's alone).
/// Always addressed by host path and resolved under the root by the implementation.
public protocol ReadableFileSystem: Sendable {
    var root: HostRoot { get }
    /// nil when nothing is there; a symlink is reported as such, not followed.
    func status(_ path: String) throws -> FileStatus?
    func read(_ path: String) throws -> Data
    /// The same, when a stat just gave the size: a probe reads thousands of small files.
    func read(_ path: String, sizeHint: Int) throws -> Data
    /// What is at `path` and, for a regular file, its content: one look for a probe.
    func statusAndContent(_ path: String) throws -> (status: FileStatus, content: Data?)?
    /// Where the link at `path` points; nil when nothing or no link is there.
    func linkTarget(_ path: String) throws -> String?
    /// The names in a folder (nil when nothing, or no folder, is there); never through a link.
    func entries(_ path: String) throws -> [String]?
}

/// Host files as the executor changes them.
public protocol HostFileSystem: ReadableFileSystem {
    /// temp file beside the target, fsync, rename, fsync of the directory.
    func writeAtomically(_ path: String, content: Data, mode: UInt32, uid: UInt32?, gid: UInt32?) throws
    /// The same, for content too large to hold: `produce` writes to the temp file's descriptor,
    /// `verify` reads the finished temp file (by its real path) before it replaces the target.
    func writeAtomically(
        _ path: String, mode: UInt32, uid: UInt32?, gid: UInt32?,
        produce: (Int32) throws -> Void, verify: (String) throws -> Void
    ) throws
    /// Writes `content` to a temp file beside `path`, not yet durable nor in place: `commit`
    /// makes the batch's files durable together and renames each into place.
    func stage(_ path: String, content: Data, mode: UInt32, uid: UInt32?, gid: UInt32?, in batch: WriteBatch) throws
    /// One sync for the batch's files, then each renamed into place in order (`committed` is
    /// told each index), then one sync per folder. A rename that fails throws `WriteBatch.Failure`.
    func commit(_ batch: WriteBatch, committed: (Int) -> Void) throws
    /// A symbolic link at `path`, made atomically, parents created 0755; a link to `target`
    /// already there is left, anything else there is refused.
    func createSymlink(_ path: String, target: String) throws
    /// The same, staged for the batch's commit.
    func stageLink(_ path: String, target: String, in batch: WriteBatch) throws
    func setAttributes(_ path: String, mode: UInt32?, uid: UInt32?, gid: UInt32?) throws
    func remove(_ path: String) throws
    func createDirectories(_ path: String, mode: UInt32) throws
    /// `rmdir`, or the whole tree with `recursive`; links inside are removed, never followed.
    func removeDirectory(_ path: String, recursive: Bool) throws
}

extension HostFileSystem {
    public func read(_ path: String, sizeHint: Int) throws -> Data { try read(path) }

    public func statusAndContent(_ path: String) throws -> (status: FileStatus, content: Data?)? {
        guard let status = try status(path) else { return nil }
        return (status, status.type == .file ? try read(path, sizeHint: Int(status.size)) : nil)
    }
}

/// User and group names resolved through the system's databases; names of ids are cached,
/// since a probe of thousands of files asks for the same few owners again and again.
public enum Accounts {
    private static let userNames = NameCache()
    private static let groupNames = NameCache()

    public static func userName(_ uid: UInt32) -> String {
        userNames.name(uid) {
            nameLookups.withLock {
                guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return String(uid) }
                return String(cString: name)
            }
        }
    }

    public static func groupName(_ gid: UInt32) -> String {
        groupNames.name(gid) {
            nameLookups.withLock {
                guard let entry = getgrgid(gid), let name = entry.pointee.gr_name else { return String(gid) }
                return String(cString: name)
            }
        }
    }

    /// getpwnam/getgrnam share static buffers with the id look-ups: one at a time.
    private static let nameLookups = NSLock()

    /// Ids found by name; a name not found is asked again next time (an apply may create it).
    nonisolated(unsafe) private static var userIDs: [String: UInt32] = [:]
    nonisolated(unsafe) private static var groupIDs: [String: UInt32] = [:]

    /// A name or a number; nil when neither resolves.
    public static func uid(_ name: String) -> UInt32? {
        if let number = UInt32(name) { return number }
        return nameLookups.withLock {
            if let known = userIDs[name] { return known }
            let found = getpwnam(name)?.pointee.pw_uid
            userIDs[name] = found
            return found
        }
    }

    static func primaryGroup(of user: String) -> UInt32? {
        nameLookups.withLock { getpwnam(user)?.pointee.pw_gid }
    }

    public static func gid(_ name: String) -> UInt32? {
        if let number = UInt32(name) { return number }
        return nameLookups.withLock {
            if let known = groupIDs[name] { return known }
            let found = getgrnam(name)?.pointee.gr_gid
            groupIDs[name] = found
            return found
        }
    }
}

/// The real file system, under a root. Every path is reached through `RootWalk`: from the
/// root folder, component by component, never through a link a user could have planted.
public struct LocalFileSystem: HostFileSystem {
    public let root: HostRoot
    /// The root folder, opened once: every walk starts from it (a probe walks thousands of paths).
    private let rootFolder: RootFolder

    public init(root: HostRoot = HostRoot()) {
        self.root = root
        self.rootFolder = RootFolder(root)
    }

    /// Folders already walked to for reading: a probe reads thousands of files in a few folders.
    /// Writes always walk afresh.
    private let readFolders = FolderCache()

    private var walk: RootWalk { RootWalk(root: root, rootFolder: rootFolder) }

    private func parentForReading(of path: String) throws -> (RootWalk.Outcome, String) {
        if let (folderPath, name) = RootWalk.plainSplit(path), let folder = readFolders[folderPath] {
            return (.found(folder), name)
        }
        let (outcome, name) = try walk.parent(of: path)
        if case .found(let folder) = outcome, let (folderPath, _) = RootWalk.plainSplit(path) { readFolders[folderPath] = folder }
        return (outcome, name)
    }

    /// One walk for both: an lstat in the opened folder, then only a regular file is opened
    /// (opening a device or FIFO can have effects), and only if it is still the file just seen.
    public func statusAndContent(_ path: String) throws -> (status: FileStatus, content: Data?)? {
        if !path.utf8.contains(where: { $0 != UInt8(ascii: "/") }) { return try status(path).map { ($0, nil) } }
        guard let (folder, name, info) = try lstatForReading(path) else { return nil }
        let status = Self.status(info)
        guard status.type == .file else { return (status, nil) }
        let descriptor = openat(folder.descriptor, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY)
        guard descriptor >= 0 else { throw ReconcileError.io(path: folder.describe(name), operation: "open", errno: errno) }
        defer { close(descriptor) }
        var opened = stat()
        guard fstat(descriptor, &opened) == 0, opened.st_ino == info.st_ino, opened.st_dev == info.st_dev else {
            throw ReconcileError.notAllowed("\(folder.describe(name)) was replaced while it was being read; probe again")
        }
        return (status, try Self.readAll(descriptor, expected: Int(info.st_size), path: folder.describe(name)))
    }

    public func status(_ path: String) throws -> FileStatus? {
        if !path.utf8.contains(where: { $0 != UInt8(ascii: "/") }) {
            var info = stat()
            guard stat(root.path, &info) == 0 else { throw ReconcileError.io(path: root.path, operation: "stat", errno: errno) }
            return Self.status(info)
        }
        return try lstatForReading(path).map { Self.status($0.info) }
    }

    /// The folder holding `path`, its name there, and its lstat; nil when nothing is there.
    private func lstatForReading(_ path: String) throws -> (folder: OpenDirectory, name: String, info: stat)? {
        let (outcome, name) = try parentForReading(of: path)
        guard case .found(let folder) = outcome else { return nil }
        var info = stat()
        guard fstatat(folder.descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw ReconcileError.io(path: folder.describe(name), operation: "stat", errno: errno)
        }
        return (folder, name, info)
    }

    static func status(_ info: stat) -> FileStatus {
        let type: FileStatus.FileType
        switch info.st_mode & S_IFMT {
        case S_IFREG: type = .file
        case S_IFDIR: type = .directory
        case S_IFLNK: type = .symlink
        default: type = .other
        }
        let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        return FileStatus(
            type: type, size: Int64(info.st_size), mode: UInt32(info.st_mode & 0o7777),
            uid: info.st_uid, gid: info.st_gid, modified: modified)
    }

    public func read(_ path: String) throws -> Data {
        try read(path, expectedSize: nil)
    }

    /// Without the fstat: the size comes from the caller's own stat.
    public func read(_ path: String, sizeHint: Int) throws -> Data {
        try read(path, expectedSize: max(sizeHint, 0))
    }

    private func read(_ path: String, expectedSize: Int?) throws -> Data {
        let (outcome, name) = try parentForReading(of: path)
        let folder: OpenDirectory
        switch outcome {
        case .found(let found): folder = found
        case .missing(let missing, let errno): throw ReconcileError.io(path: missing, operation: "open directory", errno: errno)
        }
        let descriptor = openat(folder.descriptor, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY)
        guard descriptor >= 0 else { throw ReconcileError.io(path: folder.describe(name), operation: "open", errno: errno) }
        defer { close(descriptor) }
        let expected = expectedSize ?? {
            var info = stat()
            return fstat(descriptor, &info) == 0 ? Int(info.st_size) : 0
        }()
        return try Self.readAll(descriptor, expected: expected, path: folder.describe(name))
    }

    private static func readAll(_ descriptor: Int32, expected: Int, path: String) throws -> Data {
        // Sized from the stat, plus room to notice a file that grew meanwhile.
        var buffer = Data(count: expected > 0 ? expected + 1 : 4096)
        var filled = 0
        while true {
            if filled == buffer.count { buffer.count *= 2 }
            let count = buffer.withUnsafeMutableBytes { bytes in
                Foundation.read(descriptor, bytes.baseAddress?.advanced(by: filled), bytes.count - filled)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw ReconcileError.io(path: path, operation: "read", errno: errno)
            }
            if count == 0 { break }
            filled += count
            // A read of a regular file that stops short of the room given has reached the end;
            // only trusted when the stat's size is met exactly (procfs files claim 0 bytes).
            if expected > 0 && filled == expected { break }
        }
        buffer.count = filled
        return buffer
    }

    public func writeAtomically(_ path: String, content: Data, mode: UInt32, uid: UInt32?, gid: UInt32?) throws {
        try writeAtomically(path, mode: mode, uid: uid, gid: gid, produce: { try Self.writeAll(content, to: $0, path: path) }, verify: { _ in })
    }

    /// The temp file is made in the folder the walk opened (never by a path a user could
    /// redirect meanwhile), and `verify` reads it through the process's own descriptor.
    public func writeAtomically(
        _ path: String, mode: UInt32, uid: UInt32?, gid: UInt32?,
        produce: (Int32) throws -> Void, verify: (String) throws -> Void
    ) throws {
        let (folder, name) = try walk.existingParent(of: path)
        let (descriptor, temporary) = try Self.createTemporary(in: folder, for: name)
        var committed = false
        defer {
            if !committed { unlinkat(folder.descriptor, temporary, 0) }
        }
        defer { close(descriptor) }
        try Self.fill(descriptor, named: folder.describe(temporary), mode: mode, uid: uid, gid: gid, produce: produce)
        guard fsync(descriptor) == 0 else { throw ReconcileError.io(path: folder.describe(temporary), operation: "fsync", errno: errno) }
        try verify("/proc/self/fd/\(descriptor)")
        guard renameat(folder.descriptor, temporary, folder.descriptor, name) == 0 else {
            throw ReconcileError.io(path: folder.describe(name), operation: "rename onto", errno: errno)
        }
        committed = true
        guard fsync(folder.descriptor) == 0 else { throw ReconcileError.io(path: folder.path, operation: "fsync", errno: errno) }
    }

    /// Content, owner, then mode (after chown, which may clear set-id bits) of a new temp file.
    private static func fill(
        _ descriptor: Int32, named temporary: String, mode: UInt32, uid: UInt32?, gid: UInt32?, produce: (Int32) throws -> Void
    ) throws {
        try produce(descriptor)
        if uid != nil || gid != nil {
            // -1 (UInt32.max) leaves that id unchanged.
            guard fchown(descriptor, uid ?? UInt32.max, gid ?? UInt32.max) == 0 else {
                throw ReconcileError.io(path: temporary, operation: "chown", errno: errno)
            }
        }
        guard fchmod(descriptor, mode_t(mode)) == 0 else {
            throw ReconcileError.io(path: temporary, operation: "chmod", errno: errno)
        }
    }

    private static func writeAll(_ content: Data, to descriptor: Int32, path: String) throws {
        try content.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(descriptor, bytes.baseAddress?.advanced(by: offset), bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw ReconcileError.io(path: path, operation: "write", errno: errno)
                }
                offset += written
            }
        }
    }

    /// The folder a batch already walked to for `path`, or a new walk (which the batch keeps):
    /// one walk and one descriptor per folder for the whole batch. Its writes go into the folder
    /// that walk opened and checked; a later swap of the path cannot redirect them.
    private func batchFolder(of path: String, creatingWithMode mode: UInt32? = nil, in batch: WriteBatch) throws -> (OpenDirectory, String) {
        let split = RootWalk.plainSplit(path)
        if let (hostFolder, name) = split, let known = batch.folder(atHostPath: hostFolder) { return (known, name) }
        let (outcome, name) = try walk.parent(of: path, creatingWithMode: mode)
        guard case .found(let walked) = outcome else {
            if case .missing(let missing, let errno) = outcome {
                throw ReconcileError.io(path: missing, operation: mode == nil ? "open directory" : "create directory", errno: errno)
            }
            throw ReconcileError.io(path: root.resolve(path), operation: "open directory", errno: ENOENT)
        }
        let folder = batch.folder(walked)
        if let (hostFolder, _) = split { batch.remember(folder, atHostPath: hostFolder) }
        return (folder, name)
    }

    public func stage(_ path: String, content: Data, mode: UInt32, uid: UInt32?, gid: UInt32?, in batch: WriteBatch) throws {
        let (folder, name) = try batchFolder(of: path, in: batch)
        let (descriptor, temporary) = try Self.createTemporary(in: folder, for: name)
        defer { close(descriptor) }
        do {
            try Self.fill(descriptor, named: folder.describe(temporary), mode: mode, uid: uid, gid: gid) {
                try Self.writeAll(content, to: $0, path: path)
            }
        } catch {
            unlinkat(folder.descriptor, temporary, 0)
            throw error
        }
        batch.add(WriteBatch.Entry(folder: folder, temporary: temporary, name: name))
    }

    public func commit(_ batch: WriteBatch, committed: (Int) -> Void) throws {
        do {
            try batch.makeDurable()
        } catch {
            batch.discard(from: 0)
            throw WriteBatch.Failure(index: 0, error: error)
        }
        for (index, entry) in batch.entries.enumerated() {
            guard renameat(entry.folder.descriptor, entry.temporary, entry.folder.descriptor, entry.name) == 0 else {
                let failure = ReconcileError.io(path: entry.folder.describe(entry.name), operation: "rename onto", errno: errno)
                batch.syncFolders(upTo: index)
                batch.discard(from: index)
                throw WriteBatch.Failure(index: index, error: failure)
            }
            committed(index)
        }
        defer { batch.finish() }
        try batch.syncFoldersChecked(upTo: batch.count)
    }

    public func createSymlink(_ path: String, target: String) throws {
        let batch = WriteBatch()
        try stageLink(path, target: target, in: batch)
        try commit(batch) { _ in }
    }

    /// `symlinkat` to a temp name beside the link, renamed into place by `commit`; nothing is
    /// staged when the link is already there.
    public func stageLink(_ path: String, target: String, in batch: WriteBatch) throws {
        let (folder, name) = try batchFolder(of: path, creatingWithMode: 0o755, in: batch)
        var info = stat()
        if fstatat(folder.descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0 {
            let existing = info.st_mode & S_IFMT == S_IFLNK ? try RootWalk.linkTarget(folder.descriptor, name, path: folder.describe(name)) : nil
            if existing == target { return }
            throw ReconcileError.notAllowed(
                "\(folder.describe(name)) exists (\(existing.map { "a link to \(TerminalText.quoted($0))" } ?? "not a link")); "
                    + "refusing to replace it with a link to \(TerminalText.quoted(target))")
        }
        for _ in 0..<100 {
            let temporary = ".\(name).reconcile-\(Self.randomSuffix())"
            guard symlinkat(target, folder.descriptor, temporary) == 0 else {
                if errno == EEXIST { continue }
                throw ReconcileError.io(path: folder.describe(temporary), operation: "create link", errno: errno)
            }
            batch.add(WriteBatch.Entry(folder: folder, temporary: temporary, name: name, isLink: true))
            return
        }
        throw ReconcileError.io(path: folder.describe(name), operation: "create link", errno: EEXIST)
    }

    public func linkTarget(_ path: String) throws -> String? {
        guard let (folder, name, info) = try lstatForReading(path), info.st_mode & S_IFMT == S_IFLNK else { return nil }
        return try RootWalk.linkTarget(folder.descriptor, name, path: folder.describe(name))
    }

    /// `.NAME.reconcile-XXXXXX` beside the target, created exclusively (never an existing file or link).
    static func createTemporary(in folder: OpenDirectory, for name: String) throws -> (Int32, String) {
        for _ in 0..<100 {
            let temporary = ".\(name).reconcile-\(randomSuffix())"
            let descriptor = openat(folder.descriptor, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if descriptor >= 0 { return (descriptor, temporary) }
            guard errno == EEXIST else {
                throw ReconcileError.io(path: folder.describe(temporary), operation: "create temp file", errno: errno)
            }
        }
        throw ReconcileError.io(path: folder.describe(name), operation: "create temp file for", errno: EEXIST)
    }

    /// Six letters or digits from one random number (not one random draw per letter).
    static func randomSuffix() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
        var bits = UInt64.random(in: 0...UInt64.max)
        var letters: [UInt8] = []
        for _ in 0..<6 {
            letters.append(alphabet[Int(bits % UInt64(alphabet.count))])
            bits /= UInt64(alphabet.count)
        }
        return String(decoding: letters, as: UTF8.self)
    }

    /// On the object itself, never through a link: a link at `path` is refused.
    public func setAttributes(_ path: String, mode: UInt32?, uid: UInt32?, gid: UInt32?) throws {
        let (folder, name) = try walk.existingParent(of: path)
        let descriptor = openat(folder.descriptor, name, RECONCILE_O_PATH | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { throw ReconcileError.io(path: folder.describe(name), operation: "open", errno: errno) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw ReconcileError.io(path: folder.describe(name), operation: "stat", errno: errno) }
        guard info.st_mode & S_IFMT != S_IFLNK else {
            throw ReconcileError.notAllowed("\(folder.describe(name)) is a symbolic link; refusing to change its target's owner or mode")
        }
        if uid != nil || gid != nil {
            guard fchownat(descriptor, "", uid ?? UInt32.max, gid ?? UInt32.max, RECONCILE_AT_EMPTY_PATH) == 0 else {
                throw ReconcileError.io(path: folder.describe(name), operation: "chown", errno: errno)
            }
        }
        if let mode {
            // An O_PATH descriptor takes no fchmod; its /proc link names exactly the inode opened.
            guard chmod("/proc/self/fd/\(descriptor)", mode_t(mode)) == 0 else {
                throw ReconcileError.io(path: folder.describe(name), operation: "chmod", errno: errno)
            }
        }
    }

    public func remove(_ path: String) throws {
        let (outcome, name) = try walk.parent(of: path)
        guard case .found(let folder) = outcome else { return }
        guard unlinkat(folder.descriptor, name, 0) == 0 || errno == ENOENT else {
            throw ReconcileError.io(path: folder.describe(name), operation: "remove", errno: errno)
        }
        guard fsync(folder.descriptor) == 0 else { throw ReconcileError.io(path: folder.path, operation: "fsync", errno: errno) }
    }

    public func createDirectories(_ path: String, mode: UInt32) throws {
        _ = try walk.directory(path, creatingWithMode: mode)
    }

    /// Through the walk's rules: a root-owned link to a folder is listed as that folder.
    public func entries(_ path: String) throws -> [String]? {
        guard case .found(let folder) = try walk.directory(path) else { return nil }
        let descriptor = dup(folder.descriptor)
        guard descriptor >= 0 else { throw ReconcileError.io(path: folder.path, operation: "dup", errno: errno) }
        return try Self.names(in: descriptor, path: folder.path)
    }

    public func removeDirectory(_ path: String, recursive: Bool) throws {
        let (folder, name) = try walk.existingParent(of: path)
        if recursive {
            let descriptor = openat(folder.descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard descriptor >= 0 else {
                if errno == ENOENT { return }
                throw ReconcileError.io(path: folder.describe(name), operation: "open directory", errno: errno)
            }
            try Self.emptyTree(descriptor, path: folder.describe(name))
        }
        guard unlinkat(folder.descriptor, name, AT_REMOVEDIR) == 0 || errno == ENOENT else {
            throw ReconcileError.io(path: folder.describe(name), operation: "remove directory", errno: errno)
        }
        guard fsync(folder.descriptor) == 0 else { throw ReconcileError.io(path: folder.path, operation: "fsync", errno: errno) }
    }

    /// Reads a folder's names through its descriptor, which it closes.
    private static func names(in descriptor: Int32, path: String) throws -> [String] {
        guard let stream = fdopendir(descriptor) else {
            close(descriptor)
            throw ReconcileError.io(path: path, operation: "read directory", errno: errno)
        }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Removes everything below the folder open at `descriptor` (closed here), depth first,
    /// each name relative to its own folder's descriptor: a link is unlinked, never entered.
    private static func emptyTree(_ descriptor: Int32, path: String) throws {
        let listing = dup(descriptor)
        guard listing >= 0 else {
            close(descriptor)
            throw ReconcileError.io(path: path, operation: "dup", errno: errno)
        }
        defer { close(descriptor) }
        for name in try names(in: listing, path: path) {
            var info = stat()
            guard fstatat(descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
                if errno == ENOENT { continue }
                throw ReconcileError.io(path: path + "/" + name, operation: "stat", errno: errno)
            }
            if info.st_mode & S_IFMT == S_IFDIR {
                let child = openat(descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                guard child >= 0 else { throw ReconcileError.io(path: path + "/" + name, operation: "open directory", errno: errno) }
                try emptyTree(child, path: path + "/" + name)
                guard unlinkat(descriptor, name, AT_REMOVEDIR) == 0 || errno == ENOENT else {
                    throw ReconcileError.io(path: path + "/" + name, operation: "remove directory", errno: errno)
                }
            } else {
                guard unlinkat(descriptor, name, 0) == 0 || errno == ENOENT else {
                    throw ReconcileError.io(path: path + "/" + name, operation: "remove", errno: errno)
                }
            }
        }
    }
}

/// Open folders by host path, for reading; bounded, since each holds a descriptor.
private final class FolderCache: @unchecked Sendable {
    private let lock = NSLock()
    private var folders: [Substring: OpenDirectory] = [:]
    private static let limit = 128

    subscript(key: Substring) -> OpenDirectory? {
        get { lock.withLock { folders[key] } }
        set {
            lock.withLock {
                if folders.count >= Self.limit { folders.removeAll() }
                folders[key] = newValue
            }
        }
    }
}

private final class NameCache: @unchecked Sendable {
    private let lock = NSLock()
    private var names: [UInt32: String] = [:]

    /// The look-up runs under the lock too: getpwuid/getgrgid return a static buffer, and
    /// files are probed on several threads.
    func name(_ id: UInt32, lookUp: () -> String) -> String {
        lock.withLock {
            if let cached = names[id] { return cached }
            let name = lookUp()
            names[id] = name
            return name
        }
    }
}
