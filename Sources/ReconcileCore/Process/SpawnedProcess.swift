import CSystemCalls
import Foundation

/// A child started the one way reconcile starts processes (the executor, probes and `reconcile
/// capture` alike): posix_spawn of an argv, never a shell; every signal at its default (SIGPIPE:
/// see `outlivesReconcile`) and none blocked, because reconcile ignores SIGPIPE and catches
/// SIGINT/SIGTERM and its own parent may block signals; its own process group, so a teardown
/// reaches what the child started and Ctrl-C on reconcile's terminal reaches only reconcile; no
/// descriptor of reconcile's beyond 0–2.
///
/// A class: the child is reaped once, and its group is never signalled after that (its pid, the
/// group's id, may belong to another process by then). Call `reap` or `terminate` exactly once
/// the child is of no more use, or it stays a zombie.
public final class SpawnedProcess {
    /// What the child reads: these bytes through a pipe, or /dev/null.
    public enum Input: Sendable {
        case bytes(Data)
        case null
    }

    /// Where stdout and stderr go: pipes that `pipes` reads, or both appended to one file.
    public enum Output: Sendable {
        case pipes
        /// Created 0600 if missing: a capture's logs may show traffic.
        case file(String)
    }

    public enum Termination: Sendable, Equatable {
        case exited(Int32)
        case signalled(Int32)

        /// The exit status, or the number of the signal that ended the child: what Foundation's
        /// `Process.terminationStatus` gave, so what `CommandResult.status` has always held.
        public var status: Int32 {
            switch self {
            case .exited(let status), .signalled(let status): return status
            }
        }

        /// As a shell and systemd's `SuccessExitStatus` count it: 128 + the signal that ended it.
        public var shellStatus: Int32 {
            switch self {
            case .exited(let status): return status
            case .signalled(let signal): return 128 + signal
            }
        }
    }

    public let argv: [String]
    public let pid: pid_t
    /// reconcile's ends of the child's pipes; none are open with `.null` input and `.file` output.
    public let pipes: PipeExchange
    private var termination: Termination?

    private init(argv: [String], pid: pid_t, pipes: PipeExchange) {
        self.argv = argv
        self.pid = pid
        self.pipes = pipes
    }

    /// Starts `argv` with reconcile's environment plus `environment`. A bare argv[0] is looked up
    /// in PATH; the child's argv[0] is the path run, as with Foundation's `Process`.
    /// `outlivesReconcile`: SIGPIPE stays ignored when reconcile ignores it, so a command whose
    /// apply is killed runs to its end (an `lvresize -r`'s resize2fs, a flushing uncache) instead
    /// of dying at its next write to a pipe nobody reads; the next apply waits for it. Every
    /// other signal is at its default either way.
    public static func spawn(
        _ argv: [String], environment: [String: String] = [:], input: Input = .null, output: Output, outlivesReconcile: Bool = false
    ) throws -> SpawnedProcess {
        let path = try executable(argv)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var opened: [Int32] = []
        var ours = (stdin: Int32(-1), stdout: Int32(-1), stderr: Int32(-1))
        var bytes = Data()
        do {
            switch input {
            case .bytes(let data):
                let pipe = try makePipe(recordingIn: &opened)
                posix_spawn_file_actions_adddup2(&actions, pipe.read, 0)
                (ours.stdin, bytes) = (pipe.write, data)
            case .null:
                posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            }
            switch output {
            case .pipes:
                let stdout = try makePipe(recordingIn: &opened)
                let stderr = try makePipe(recordingIn: &opened)
                posix_spawn_file_actions_adddup2(&actions, stdout.write, 1)
                posix_spawn_file_actions_adddup2(&actions, stderr.write, 2)
                (ours.stdout, ours.stderr) = (stdout.read, stderr.read)
            case .file(let log):
                posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o600)
                posix_spawn_file_actions_adddup2(&actions, 1, 2)
            }
            // Descriptors opened without O_CLOEXEC (by us or a library) must not reach the child either.
            reconcile_spawn_file_actions_addclosefrom(&actions, 3)
            let pid = try start(path, argv: argv, environment: environment, actions: &actions, keepIgnoringSIGPIPE: outlivesReconcile)
            for descriptor in opened where ![ours.stdin, ours.stdout, ours.stderr].contains(descriptor) {
                close(descriptor)
            }
            let pipes = PipeExchange(stdin: ours.stdin, input: bytes, stdout: ours.stdout, stderr: ours.stderr)
            return SpawnedProcess(argv: argv, pid: pid, pipes: pipes)
        } catch {
            opened.forEach { close($0) }
            throw error
        }
    }

    /// How the child ended, once it has, without waiting and without reaping it: until `reap`,
    /// its pid and group id stay its own, so `signalGroup` cannot reach another process.
    public func exitStatus() -> Termination? {
        if let termination { return termination }
        var info = siginfo_t()
        let found = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT)
        if found == -1 && errno == ECHILD { return reap() }
        guard found == 0, info._sifields._sigchld.si_pid == pid else { return nil }
        let status = info._sifields._sigchld.si_status
        return info.si_code == CLD_EXITED ? .exited(status) : .signalled(status)
    }

    /// Waits for the child to end and reaps it; later calls answer the same.
    @discardableResult
    public func reap() -> Termination {
        if let termination { return termination }
        var raw: Int32 = 0
        var reaped: pid_t
        repeat { reaped = waitpid(pid, &raw, 0) } while reaped == -1 && errno == EINTR
        // Only ECHILD fails here: SIGCHLD set to SIG_IGN, and the kernel reaped the child itself;
        // its status is lost.
        let ended = reaped == pid ? Self.decode(raw) : .exited(-1)
        termination = ended
        return ended
    }

    /// Sends `signal` to the child's process group, unless the child was reaped already.
    public func signalGroup(_ signal: Int32) {
        guard termination == nil else { return }
        kill(-pid, signal)
    }

    /// Waits until the child has ended or `deadline` has passed, calling `meanwhile` with the time
    /// to return by, in short steps (it drains the pipes, or sleeps); returns whether it ended.
    @discardableResult
    public func waitForExit(until deadline: Date, meanwhile: (Date) -> Void = { Thread.sleep(until: $0) }) -> Bool {
        while exitStatus() == nil {
            let now = Date()
            guard now < deadline else { return false }
            meanwhile(min(deadline, now.addingTimeInterval(0.02)))
        }
        return true
    }

    /// The teardown: `signal` to the group, up to `grace` seconds for the child to end, then SIGKILL
    /// to the group (what the child started dies with it, also when the child itself ended at
    /// once), and reap. Group members that outlive the child get no grace of their own.
    @discardableResult
    public func terminate(
        _ signal: Int32 = SIGTERM, grace: TimeInterval, meanwhile: (Date) -> Void = { Thread.sleep(until: $0) }
    ) -> Termination {
        if let termination { return termination }
        signalGroup(signal)
        waitForExit(until: Date().addingTimeInterval(grace), meanwhile: meanwhile)
        // Not reaped yet, so the group id is still the child's.
        signalGroup(SIGKILL)
        return reap()
    }

    /// argv[0] with a slash as given, a bare name from PATH (status 127 when it is not there).
    private static func executable(_ argv: [String]) throws -> String {
        guard let name = argv.first else { throw ReconcileError.notAllowed("empty argv") }
        if name.contains("/") { return name }
        guard let path = Executables.find(name) else {
            throw ReconcileError.commandFailed(CommandFailure(argv: argv, status: 127, stderr: "\(name): command not found in PATH"))
        }
        return path
    }

    /// A pipe made close-on-exec at once (another thread may start a process meanwhile), with both
    /// ends above 2 so the child's dup2s onto 0–2 cannot overwrite one another. Every descriptor
    /// made is recorded in `opened`, also one left below 3, which stays open until after the spawn
    /// so that no later pipe takes its number.
    private static func makePipe(recordingIn opened: inout [Int32]) throws -> (read: Int32, write: Int32) {
        var ends: [Int32] = [-1, -1]
        guard reconcile_pipe2(&ends, O_CLOEXEC) == 0 else {
            throw ReconcileError.io(path: "for a child process", operation: "create a pipe", errno: errno)
        }
        opened += ends
        for index in ends.indices where ends[index] < 3 {
            let moved = fcntl(ends[index], F_DUPFD_CLOEXEC, 3)
            guard moved >= 0 else {
                throw ReconcileError.io(path: "for a child process", operation: "create a pipe", errno: errno)
            }
            opened.append(moved)
            ends[index] = moved
        }
        return (ends[0], ends[1])
    }

    /// posix_spawn with an empty signal mask, every signal at its default and a new process group;
    /// the child's argv[0] is `path`.
    private static func start(
        _ path: String, argv: [String], environment: [String: String], actions: inout posix_spawn_file_actions_t,
        keepIgnoringSIGPIPE: Bool
    ) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noMask = sigset_t()
        sigemptyset(&noMask)
        posix_spawnattr_setsigmask(&attributes, &noMask)
        var everySignal = sigset_t()
        sigfillset(&everySignal)
        if keepIgnoringSIGPIPE { sigdelset(&everySignal, SIGPIPE) }
        posix_spawnattr_setsigdefault(&attributes, &everySignal)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { _, new in new }
        let arguments = ([path] + argv.dropFirst()).map { strdup($0) } + [nil]
        let variables = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (arguments + variables).forEach { free($0) } }
        var pid = pid_t()
        let failure = posix_spawn(&pid, path, &actions, &attributes, arguments, variables)
        guard failure == 0 else {
            throw ReconcileError.commandFailed(
                CommandFailure(argv: argv, status: 127, stderr: "cannot start: \(String(cString: strerror(failure)))"))
        }
        return pid
    }

    private static func decode(_ raw: Int32) -> Termination {
        let signal = raw & 0x7f
        return signal == 0 ? .exited((raw >> 8) & 0xff) : .signalled(signal)
    }
}
