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

/// Host files, always addressed by host path and resolved under the root by the implementation.
public protocol HostFileSystem: Sendable {
    var root: HostRoot { get }
    /// nil when nothing is there; a symlink is reported as such, not followed.
    func status(_ path: String) throws -> FileStatus?
    func read(_ path: String) throws -> Data
    /// The same, when a stat just gave the size: a probe reads thousands of small files.
    func read(_ path: String, sizeHint: Int) throws -> Data
    /// temp file beside the target, fsync, rename, fsync of the directory.
    func writeAtomically(_ path: String, content: Data, mode: UInt32, uid: UInt32?, gid: UInt32?) throws
    /// The same, for content too large to hold: `produce` writes to the temp file's descriptor,
    /// `verify` reads the finished temp file (by its real path) before it replaces the target.
    func writeAtomically(
        _ path: String, mode: UInt32, uid: UInt32?, gid: UInt32?,
        produce: (Int32) throws -> Void, verify: (String) throws -> Void
    ) throws
    func setAttributes(_ path: String, mode: UInt32?, uid: UInt32?, gid: UInt32?) throws
    func remove(_ path: String) throws
    func createDirectories(_ path: String, mode: UInt32) throws
}

extension HostFileSystem {
    public func read(_ path: String, sizeHint: Int) throws -> Data { try read(path) }
}

/// User and group names resolved through the system's databases; names of ids are cached,
/// since a probe of thousands of files asks for the same few owners again and again.
public enum Accounts {
    private static let userNames = NameCache()
    private static let groupNames = NameCache()

    public static func userName(_ uid: UInt32) -> String {
        userNames.name(uid) {
            guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return String(uid) }
            return String(cString: name)
        }
    }

    public static func groupName(_ gid: UInt32) -> String {
        groupNames.name(gid) {
            guard let entry = getgrgid(gid), let name = entry.pointee.gr_name else { return String(gid) }
            return String(cString: name)
        }
    }

    /// A name or a number; nil when neither resolves.
    public static func uid(_ name: String) -> UInt32? {
        if let number = UInt32(name) { return number }
        guard let entry = getpwnam(name) else { return nil }
        return entry.pointee.pw_uid
    }

    public static func gid(_ name: String) -> UInt32? {
        if let number = UInt32(name) { return number }
        guard let entry = getgrnam(name) else { return nil }
        return entry.pointee.gr_gid
    }
}

/// The real file system, under a root.
public struct LocalFileSystem: HostFileSystem {
    public let root: HostRoot

    public init(root: HostRoot = HostRoot()) {
        self.root = root
    }

    public func status(_ path: String) throws -> FileStatus? {
        let resolved = root.resolve(path)
        var info = stat()
        guard lstat(resolved, &info) == 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw ReconcileError.io(path: resolved, operation: "stat", errno: errno)
        }
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
        let resolved = root.resolve(path)
        let descriptor = open(resolved, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { throw ReconcileError.io(path: resolved, operation: "open", errno: errno) }
        defer { close(descriptor) }
        let expected = expectedSize ?? {
            var info = stat()
            return fstat(descriptor, &info) == 0 ? Int(info.st_size) : 0
        }()
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
                throw ReconcileError.io(path: resolved, operation: "read", errno: errno)
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
        try writeAtomically(path, mode: mode, uid: uid, gid: gid, produce: { descriptor in
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
        }, verify: { _ in })
    }

    public func writeAtomically(
        _ path: String, mode: UInt32, uid: UInt32?, gid: UInt32?,
        produce: (Int32) throws -> Void, verify: (String) throws -> Void
    ) throws {
        let resolved = root.resolve(path)
        let directory = (resolved as NSString).deletingLastPathComponent
        let base = (resolved as NSString).lastPathComponent
        var template = Array("\(directory)/.\(base).reconcile-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.map { mkstemp($0) } ?? -1 }
        guard descriptor >= 0 else { throw ReconcileError.io(path: resolved, operation: "create temp file for", errno: errno) }
        let temporary = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var committed = false
        defer {
            if !committed { unlink(temporary) }
        }
        do {
            defer { close(descriptor) }
            try produce(descriptor)
            if uid != nil || gid != nil {
                // -1 (UInt32.max) leaves that id unchanged.
                guard fchown(descriptor, uid ?? UInt32.max, gid ?? UInt32.max) == 0 else {
                    throw ReconcileError.io(path: temporary, operation: "chown", errno: errno)
                }
            }
            // After chown, which may clear set-id bits.
            guard fchmod(descriptor, mode_t(mode)) == 0 else { throw ReconcileError.io(path: temporary, operation: "chmod", errno: errno) }
            guard fsync(descriptor) == 0 else { throw ReconcileError.io(path: temporary, operation: "fsync", errno: errno) }
        }
        try verify(temporary)
        guard rename(temporary, resolved) == 0 else { throw ReconcileError.io(path: resolved, operation: "rename onto", errno: errno) }
        committed = true
        try syncDirectory(directory)
    }

    public func setAttributes(_ path: String, mode: UInt32?, uid: UInt32?, gid: UInt32?) throws {
        let resolved = root.resolve(path)
        if uid != nil || gid != nil {
            guard lchown(resolved, uid ?? UInt32.max, gid ?? UInt32.max) == 0 else {
                throw ReconcileError.io(path: resolved, operation: "chown", errno: errno)
            }
        }
        if let mode {
            guard chmod(resolved, mode_t(mode)) == 0 else { throw ReconcileError.io(path: resolved, operation: "chmod", errno: errno) }
        }
    }

    public func remove(_ path: String) throws {
        let resolved = root.resolve(path)
        guard unlink(resolved) == 0 || errno == ENOENT else {
            throw ReconcileError.io(path: resolved, operation: "remove", errno: errno)
        }
        try syncDirectory((resolved as NSString).deletingLastPathComponent)
    }

    public func createDirectories(_ path: String, mode: UInt32) throws {
        let resolved = root.resolve(path)
        var current = ""
        for component in resolved.split(separator: "/") {
            current += "/\(component)"
            if mkdir(current, mode_t(mode)) != 0 && errno != EEXIST {
                throw ReconcileError.io(path: current, operation: "create directory", errno: errno)
            }
        }
    }

    private func syncDirectory(_ directory: String) throws {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ReconcileError.io(path: directory, operation: "open directory", errno: errno) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw ReconcileError.io(path: directory, operation: "fsync", errno: errno) }
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
