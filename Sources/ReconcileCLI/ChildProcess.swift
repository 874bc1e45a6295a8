import Foundation
import ReconcileCore

/// A child started by argv in its own process group, with default signal handling, stdin from
/// /dev/null and its output in a log file: Ctrl-C on the terminal reaches only reconcile, which
/// then stops the children in the order the capture needs. A class, so the exit status is
/// collected once and a reaped pid (possibly reused by then) is never signalled again.
final class ChildProcess {
    let argv: [String]
    let pid: pid_t
    let log: String
    private var status: Int32?

    private init(argv: [String], pid: pid_t, log: String) {
        self.argv = argv
        self.pid = pid
        self.log = log
    }

    static func spawn(_ argv: [String], log: String) throws -> ChildProcess {
        guard let program = argv.first else { throw ReconcileError.notAllowed("empty argv") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noMask = sigset_t()
        sigemptyset(&noMask)
        posix_spawnattr_setsigmask(&attributes, &noMask)
        // reconcile ignores SIGPIPE and catches INT/TERM; the children must not inherit that.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        let arguments = argv.map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        var pid = pid_t()
        let status = posix_spawn(&pid, program, &actions, &attributes, arguments, environ)
        guard status == 0 else { throw ReconcileError.io(path: program, operation: "start", errno: status) }
        return ChildProcess(argv: argv, pid: pid, log: log)
    }

    /// The exit status (or 128 + signal) once it has ended, without waiting.
    func exitStatus() -> Int32? {
        if let status { return status }
        var raw: Int32 = 0
        guard waitpid(pid, &raw, WNOHANG) == pid else { return nil }
        status = Self.decode(raw)
        return status
    }

    /// Signals the whole group (socat's forked children too), then waits up to `grace` seconds
    /// before killing it; returns how it ended.
    @discardableResult
    func stop(_ signal: Int32, grace: TimeInterval = 5) -> Int32 {
        if let status { return status }
        kill(-pid, signal)
        let deadline = Date().addingTimeInterval(grace)
        while Date() < deadline {
            if let status = exitStatus() { return status }
            usleep(20_000)
        }
        kill(-pid, SIGKILL)
        var raw: Int32 = 0
        waitpid(pid, &raw, 0)
        let killed = Self.decode(raw)
        status = killed
        return killed
    }

    var name: String { (argv.first as NSString?)?.lastPathComponent ?? "?" }

    func logTail(lines: Int = 10) -> String {
        let text = FileManager.default.contents(atPath: log).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return text.split(separator: "\n").suffix(lines).map { "    \($0)" }.joined(separator: "\n")
    }

    private static func decode(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}
