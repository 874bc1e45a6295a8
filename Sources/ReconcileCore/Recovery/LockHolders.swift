import Foundation

/// Who holds the apply lock, and which processes an apply started: read from /proc, so a plan
/// can tell a running apply from an interrupted one without touching the lock itself.
public enum LockHolders {
    /// The variable every command an apply runs carries, with the apply's id: a command that
    /// outlives a killed apply (an `lvconvert --uncache` still flushing) is still known as its child.
    public static let applyVariable = "RECONCILE_APPLY"

    /// The process holding a `flock` on `path` (from /proc/locks), nil when none does.
    public static func flockHolder(_ path: String, locks: String? = nil) -> Int32? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let text = locks ?? (try? String(contentsOfFile: "/proc/locks", encoding: .utf8)) ?? ""
        for line in text.split(separator: "\n") {
            // "1: FLOCK  ADVISORY  WRITE 16215 fe:00:16221576 0 EOF"; waiters have "->" after the number.
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[1] == "FLOCK", let pid = Int32(fields[4]) else { continue }
            let device = fields[5].split(separator: ":")
            guard device.count == 3, let inode = UInt64(device[2]), inode == UInt64(info.st_ino) else { continue }
            return pid
        }
        return nil
    }

    /// Live processes whose environment names `apply` (other than this one), each with its command line.
    public static func children(of apply: String, proc: String = "/proc") -> [(pid: Int32, command: String)] {
        let needle = Array("\(applyVariable)=\(apply)".utf8)
        let own = getpid()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: proc)) ?? []
        return entries.compactMap { name -> (pid: Int32, command: String)? in
            guard let pid = Int32(name), pid != own, !isZombie(pid, proc: proc),
                  let environment = FileManager.default.contents(atPath: "\(proc)/\(name)/environ"),
                  environment.split(separator: 0).contains(where: { Array($0) == needle }) else { return nil }
            return (pid, commandLine(pid, proc: proc))
        }.sorted { $0.pid < $1.pid }
    }

    /// "lvconvert --uncache storage/slowlv", from /proc/PID/cmdline; "?" once it is gone.
    public static func commandLine(_ pid: Int32, proc: String = "/proc") -> String {
        guard let data = FileManager.default.contents(atPath: "\(proc)/\(pid)/cmdline"), !data.isEmpty else { return "?" }
        let words = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        let line = words.joined(separator: " ")
        return line.count > 200 ? String(line.prefix(200)) + "…" : line
    }

    /// An ended child its parent has not waited for yet: gone in all but name.
    static func isZombie(_ pid: Int32, proc: String = "/proc") -> Bool {
        guard let stat = FileManager.default.contents(atPath: "\(proc)/\(pid)/stat"),
              let close = stat.lastIndex(of: UInt8(ascii: ")")) else { return true }
        let rest = stat[(close + 1)...].drop { $0 == UInt8(ascii: " ") }
        return rest.first == UInt8(ascii: "Z") || rest.first == UInt8(ascii: "X")
    }

    public static func isAlive(_ pid: Int32) -> Bool {
        pid > 0 && (kill(pid, 0) == 0 || errno == EPERM)
    }
}
