import Foundation
import ReconcileCore

/// apt-get runs in a staged root through `chroot`, as root, with the root's own programs: only
/// a root that nobody but root can change is run like that (a user-owned root, or one a user
/// can rename from above, would hand that user root).
enum StagedRootTrust {
    /// The root's folders whose programs and configuration apt and dpkg use.
    static let folders = ["/", "/usr", "/usr/bin", "/usr/sbin", "/usr/lib", "/etc", "/etc/apt", "/var", "/var/lib", "/var/lib/dpkg"]

    /// Why the root is not trusted, or nil.
    static func problem(_ root: HostRoot, files: any ReadableFileSystem) throws -> String? {
        for path in folders {
            guard let status = try files.status(path) else { continue }
            if let problem = describe(root.resolve(path), uid: status.uid, mode: status.mode, sticky: false) { return problem }
        }
        // The folders above it: whoever can rename one of them can swap the root.
        var above = (root.path as NSString).deletingLastPathComponent
        while !above.isEmpty {
            var info = stat()
            guard lstat(above, &info) == 0 else { return "cannot check \(above): \(String(cString: strerror(errno)))" }
            if let problem = describe(above, uid: info.st_uid, mode: UInt32(info.st_mode), sticky: info.st_mode & S_ISVTX != 0) {
                return problem
            }
            if above == "/" { break }
            above = (above as NSString).deletingLastPathComponent
        }
        return nil
    }

    /// Owned by root, and writable by nobody else (a sticky folder such as /tmp is fine above the root).
    private static func describe(_ path: String, uid: UInt32, mode: UInt32, sticky: Bool) -> String? {
        if uid != 0 { return "\(path) is owned by uid \(uid), not root" }
        if mode & 0o022 != 0 && !sticky { return "\(path) is writable by its group or by others (mode \(FileMode.format(mode & 0o7777)))" }
        return nil
    }
}
