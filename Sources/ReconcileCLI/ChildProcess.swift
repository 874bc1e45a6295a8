import Foundation
import ReconcileCore

/// A child of `reconcile capture`, started by `SpawnedProcess` (its own process group, default
/// signal handling, stdin from /dev/null) with its output in a log file: Ctrl-C on the terminal
/// reaches only reconcile, which then stops the children in the order the capture needs.
final class ChildProcess {
    let log: String
    private let process: SpawnedProcess

    private init(log: String, process: SpawnedProcess) {
        self.log = log
        self.process = process
    }

    static func spawn(_ argv: [String], log: String) throws -> ChildProcess {
        ChildProcess(log: log, process: try SpawnedProcess.spawn(argv, output: .file(log)))
    }

    var argv: [String] { process.argv }

    /// The exit status (or 128 + signal) once it has ended, without waiting; `stop` reaps it.
    func exitStatus() -> Int32? {
        process.exitStatus()?.shellStatus
    }

    /// Signals the whole group (socat's forked children too), waits up to `grace` seconds for the
    /// child to end, then kills what is left of the group; returns how it ended (128 + signal for
    /// a signal, as systemd's `SuccessExitStatus` counts it). Also reaps a child that ended already.
    @discardableResult
    func stop(_ signal: Int32, grace: TimeInterval = 5) -> Int32 {
        process.terminate(signal, grace: grace).shellStatus
    }

    var name: String { (argv.first as NSString?)?.lastPathComponent ?? "?" }

    func logTail(lines: Int = 10) -> String {
        let text = FileManager.default.contents(atPath: log).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return text.split(separator: "\n").suffix(lines).map { "    \($0)" }.joined(separator: "\n")
    }
}
