import CSystemCalls
import Foundation

/// An open folder reached from the root the safe way, and its path for messages.
final class OpenDirectory {
    let descriptor: Int32
    /// The folder's real path, links resolved (for messages, and for tools that need a path).
    let path: String

    init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { close(descriptor) }

    /// `name` in this folder, for messages.
    func describe(_ name: String) -> String { (path.isEmpty ? "" : path) + "/" + name }
}

/// The root folder's descriptor, shared by the walks of one file system (-1 when it could not be
/// opened: each walk then opens it itself and reports why it cannot).
final class RootFolder: Sendable {
    let descriptor: Int32

    init(_ root: HostRoot) {
        descriptor = open(root.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }
}

/// Walks host paths from the root folder one component at a time, so no write, chmod, chown,
/// backup or removal can leave the root or follow a planted link: `openat2` with
/// `RESOLVE_NO_SYMLINKS` first (one call when no link is on the way, the common case), then,
/// where a link is on the way, a walk by hand that resolves it inside the root (as
/// `RESOLVE_IN_ROOT` does) and follows it only when the link and the folder holding it belong
/// to root (or to whoever runs reconcile): the rule `systemd-tmpfiles` calls an unsafe path
/// transition. `/var/run -> /run` is followed; a link in a user's home is refused.
struct RootWalk {
    let root: HostRoot
    let rootFolder: RootFolder

    enum Outcome {
        case found(OpenDirectory)
        /// A component of the folder does not exist or is not a folder (nothing to stat, read or
        /// remove there): which one, and why.
        case missing(path: String, errno: Int32)
    }

    /// The folder holding `hostPath`'s last component, which must exist, and that component's name.
    func existingParent(of hostPath: String) throws -> (OpenDirectory, String) {
        let (outcome, name) = try parent(of: hostPath)
        switch outcome {
        case .found(let folder): return (folder, name)
        case .missing(let path, let errno): throw ReconcileError.io(path: path, operation: "open directory", errno: errno)
        }
    }

    /// The folder holding `hostPath`'s last component, and that component's name.
    func parent(of hostPath: String, creatingWithMode mode: UInt32? = nil) throws -> (Outcome, String) {
        let components = try Self.components(of: hostPath)
        guard let last = components.last else {
            throw ReconcileError.notAllowed("\(root.resolve(hostPath)): the root folder itself cannot be written or removed")
        }
        return (try directory(Array(components.dropLast()), hostPath: hostPath, creatingWithMode: mode), last)
    }

    /// The folder `hostPath` itself, created (each missing component with `mode`) when asked.
    func directory(_ hostPath: String, creatingWithMode mode: UInt32? = nil) throws -> Outcome {
        try directory(try Self.components(of: hostPath), hostPath: hostPath, creatingWithMode: mode)
    }

    /// Host paths are checked as bytes here too, whatever validated them before: a NUL would cut
    /// the path at the system call, and "." or ".." would walk elsewhere.
    static func components(of hostPath: String) throws -> [String] {
        guard !hostPath.utf8.contains(0) else {
            throw ReconcileError.notAllowed("\(TerminalText.quoted(hostPath)) contains a NUL byte; refusing to use it")
        }
        let parts = hostPath.utf8.split(separator: UInt8(ascii: "/")).map { String(decoding: $0, as: UTF8.self) }
        if parts.contains(where: { $0 == ".." || $0 == "." }) {
            throw ReconcileError.notAllowed("\(TerminalText.quoted(hostPath)) has \".\" or \"..\" components; refusing to use it")
        }
        return parts
    }

    /// `/a/b/c` → ("/a/b", "c") in one pass over the bytes, for a path already in the one form
    /// `HostPath` allows (no NUL, empty, "." or ".." component); nil for anything else, which
    /// then takes the full walk and its errors.
    static func plainSplit(_ path: String) -> (folder: Substring, name: String)? {
        var lastSlash: String.Index?
        var componentStart = path.utf8.startIndex
        var index = path.utf8.startIndex
        guard path.utf8.first == UInt8(ascii: "/") else { return nil }
        func plain(_ start: String.Index, _ end: String.Index) -> Bool {
            let component = path.utf8[start..<end]
            return !component.isEmpty && !component.elementsEqual(".".utf8) && !component.elementsEqual("..".utf8)
        }
        while index < path.utf8.endIndex {
            let byte = path.utf8[index]
            if byte == 0 { return nil }
            if byte == UInt8(ascii: "/") {
                if let lastSlash, !plain(path.utf8.index(after: lastSlash), index) { return nil }
                lastSlash = index
                componentStart = path.utf8.index(after: index)
            }
            index = path.utf8.index(after: index)
        }
        guard let lastSlash, plain(componentStart, path.utf8.endIndex) else { return nil }
        return (path[path.startIndex..<lastSlash], String(path[componentStart...]))
    }

    /// A descriptor of its own for the root folder (the shared one stays open for other walks).
    private func openRoot() throws -> OpenDirectory {
        let shared = rootFolder.descriptor
        let descriptor = shared >= 0 ? dup(shared) : open(root.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ReconcileError.io(path: root.path, operation: "open root folder", errno: errno) }
        return OpenDirectory(descriptor: descriptor, path: root.isLive ? "" : root.path)
    }

    private func directory(_ components: [String], hostPath: String, creatingWithMode mode: UInt32?) throws -> Outcome {
        if !components.isEmpty && rootFolder.descriptor >= 0 {
            let relative = components.joined(separator: "/")
            let fast = reconcile_openat2(
                rootFolder.descriptor, relative, UInt64(O_RDONLY | O_DIRECTORY | O_CLOEXEC), 0,
                RECONCILE_RESOLVE_NO_SYMLINKS | RECONCILE_RESOLVE_BENEATH | RECONCILE_RESOLVE_NO_MAGICLINKS)
            if fast >= 0 {
                return .found(OpenDirectory(descriptor: fast, path: (root.isLive ? "" : root.path) + "/" + relative))
            }
        }
        let start = try openRoot()
        if components.isEmpty { return .found(start) }
        // ENOENT may need folders created; ELOOP/ENOTDIR a link followed by the rules; ENOSYS an old kernel.
        return try walk(components, from: start, hostPath: hostPath, creatingWithMode: mode)
    }

    /// The walk by hand: a stack of open folders from the root, so a link's ".." never climbs above it.
    private func walk(_ components: [String], from start: OpenDirectory, hostPath: String, creatingWithMode mode: UInt32?) throws -> Outcome {
        var stack: [(descriptor: Int32, path: String)] = []
        let rootDescriptor = dup(start.descriptor)
        guard rootDescriptor >= 0 else { throw ReconcileError.io(path: root.path, operation: "dup", errno: errno) }
        stack.append((rootDescriptor, start.path))
        var handedOver = false
        defer {
            if !handedOver { for entry in stack { close(entry.descriptor) } }
        }
        var pending = ArraySlice(components.reversed())
        var linksFollowed = 0
        while let name = pending.popLast() {
            guard let current = stack.last else { break }
            if name == "." || name.isEmpty { continue }
            if name == ".." {
                if stack.count > 1 { close(current.descriptor); stack.removeLast() }
                continue
            }
            var next = openat(current.descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0 && errno == ENOENT, let mode {
                guard mkdirat(current.descriptor, name, mode_t(mode)) == 0 || errno == EEXIST else {
                    throw ReconcileError.io(path: current.path + "/" + name, operation: "create directory", errno: errno)
                }
                next = openat(current.descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
            if next >= 0 {
                stack.append((next, current.path + "/" + name))
                continue
            }
            let failure = errno
            if failure == ENOENT { return .missing(path: current.path + "/" + name, errno: ENOENT) }
            guard failure == ELOOP || failure == ENOTDIR else {
                throw ReconcileError.io(path: current.path + "/" + name, operation: "open directory", errno: failure)
            }
            var info = stat()
            guard fstatat(current.descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else {
                throw ReconcileError.io(path: current.path + "/" + name, operation: "stat", errno: errno)
            }
            guard info.st_mode & S_IFMT == S_IFLNK else {
                // Nothing exists below a file; creating below one is an error.
                guard mode != nil else { return .missing(path: current.path + "/" + name, errno: ENOTDIR) }
                throw ReconcileError.io(path: current.path + "/" + name, operation: "create directory", errno: ENOTDIR)
            }
            let target = try Self.linkTarget(current.descriptor, name, path: current.path + "/" + name)
            try checkLinkMayBeFollowed(link: info, folder: current, name: name, target: target, hostPath: hostPath)
            linksFollowed += 1
            guard linksFollowed <= 40 else {
                throw ReconcileError.io(path: root.resolve(hostPath), operation: "resolve", errno: ELOOP)
            }
            if target.hasPrefix("/") {
                // Absolute targets resolve inside the root, as RESOLVE_IN_ROOT does.
                for entry in stack.dropFirst() { close(entry.descriptor) }
                stack.removeSubrange(1...)
            }
            pending.append(contentsOf: target.split(separator: "/").map(String.init).reversed())
        }
        guard let top = stack.popLast() else { return .missing(path: root.path, errno: ENOENT) }
        for entry in stack { close(entry.descriptor) }
        stack.removeAll()
        handedOver = true
        return .found(OpenDirectory(descriptor: top.descriptor, path: top.path))
    }

    private func checkLinkMayBeFollowed(
        link: stat, folder: (descriptor: Int32, path: String), name: String, target: String, hostPath: String
    ) throws {
        var folderInfo = stat()
        guard fstat(folder.descriptor, &folderInfo) == 0 else {
            throw ReconcileError.io(path: folder.path, operation: "stat", errno: errno)
        }
        let trusted: (uid_t) -> Bool = { $0 == 0 || $0 == geteuid() }
        guard trusted(link.st_uid), trusted(folderInfo.st_uid) else {
            let owner = trusted(link.st_uid) ? "its folder \(folder.path.isEmpty ? "/" : folder.path) is" : "it is"
            let uid = trusted(link.st_uid) ? folderInfo.st_uid : link.st_uid
            throw ReconcileError.notAllowed(
                "refusing to follow the link \(TerminalText.quoted(folder.path + "/" + name)) -> \(TerminalText.quoted(target)) "
                    + "on the way to \(TerminalText.quoted(root.resolve(hostPath))): \(owner) owned by uid \(uid), not root, "
                    + "so that user could point root's writes anywhere. Replace the link with a real folder (or a root-owned link)")
        }
    }

    static func linkTarget(_ folder: Int32, _ name: String, path: String) throws -> String {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = buffer.withUnsafeMutableBufferPointer { bytes in
            bytes.baseAddress.map { base in
                base.withMemoryRebound(to: CChar.self, capacity: bytes.count) { readlinkat(folder, name, $0, bytes.count) }
            } ?? -1
        }
        guard count >= 0 else { throw ReconcileError.io(path: path, operation: "read link", errno: errno) }
        return String(decoding: buffer.prefix(count), as: UTF8.self)
    }
}
