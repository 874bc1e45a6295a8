import Foundation

/// One apply at a time per state dir: `flock` on a file that also names its holder.
public final class ApplyLock: @unchecked Sendable {
    private let descriptor: Int32
    public let path: String

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    /// Waits up to `timeout` seconds (0: not at all), then refuses naming who holds it.
    public static func acquire(
        _ state: StateDirectory, holder: String, timeout: Double = 0, poll: Double = 0.1
    ) throws -> ApplyLock {
        try state.create()
        let path = state.lockPath
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw ReconcileError.io(path: path, operation: "open lock", errno: errno) }
        let deadline = Date().addingTimeInterval(timeout)
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                let failure = errno
                close(descriptor)
                throw ReconcileError.io(path: path, operation: "lock", errno: failure)
            }
            if Date() >= deadline {
                let current = (try? state.files.read(path)).map { String(decoding: $0, as: UTF8.self) } ?? ""
                close(descriptor)
                // The file says who took the lock; /proc/locks, who holds it now.
                let live = LockHolders.flockHolder(path).map { "; the live holder is pid \($0): \(LockHolders.commandLine($0))" } ?? ""
                throw ReconcileError.lockHeld(
                    path: path, holder: (current.isEmpty ? "unknown holder" : current.trimmingCharacters(in: .newlines)) + live)
            }
            usleep(useconds_t(poll * 1_000_000))
        }
        let text = Array((holder + "\n").utf8)
        ftruncate(descriptor, 0)
        _ = text.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        fsync(descriptor)
        return ApplyLock(descriptor: descriptor, path: path)
    }

    /// "pid 42 (reconcile apply) on host web1 since 2026-…".
    public static func describeThisProcess(command: String, host: String) -> String {
        "pid \(getpid()) (\(command)) on host \(host) since \(ISO8601DateFormatter().string(from: Date()))"
    }
}
