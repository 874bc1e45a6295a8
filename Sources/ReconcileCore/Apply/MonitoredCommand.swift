import Foundation

/// Runs a long command while polling its monitor: reports what is left, the rate and an ETA,
/// and stops the command when nothing moved for `stallSeconds` (`ProcessRunner`: SIGTERM to its
/// process group, SIGKILL after `ProcessRunner.defaultStopGrace` seconds).
enum MonitoredCommand {
    static func run(
        _ step: CommandStep, monitor: ProgressMonitor, commands: any CommandRunner, onEvent: (ApplyEvent) -> Void
    ) throws {
        var tracker = ProgressTracker(stallSeconds: Double(monitor.stallSeconds))
        var stalledAt: Int?
        let result = try commands.run(Command(step.argv, environment: step.environment), every: monitor.intervalSeconds) {
            guard let left = remaining(monitor, commands) else { return true }
            let now = Date().timeIntervalSince1970
            tracker.record(left, at: now)
            onEvent(.progress(tracker.describe(unit: monitor.unit)))
            if tracker.stalled(at: now) {
                stalledAt = left
                return false
            }
            return true
        }
        if let stalledAt {
            throw ReconcileError.notAllowed(
                "no progress for \(monitor.stallSeconds) s (\(stalledAt) \(monitor.unit) left): stopped `\(step.argv.joined(separator: " "))`. "
                    + "Nothing was lost: the work resumes when apply runs again; check the devices' health first.")
        }
        guard result.status == 0 else {
            throw ReconcileError.commandFailed(CommandFailure(argv: step.argv, status: result.status, stderr: result.stderrText))
        }
    }

    private static func remaining(_ monitor: ProgressMonitor, _ commands: any CommandRunner) -> Int? {
        guard let result = try? commands.run(Command(monitor.argv, environment: monitor.environment)), result.status == 0 else {
            return nil
        }
        return monitor.remaining(in: result.stdoutText)
    }
}

/// Remaining work over time → rate, ETA, and whether it stopped moving.
struct ProgressTracker {
    let stallSeconds: Double
    private(set) var first: (left: Int, at: Double)?
    private(set) var last: (left: Int, at: Double)?
    private(set) var lastProgressAt: Double?

    init(stallSeconds: Double) {
        self.stallSeconds = stallSeconds
    }

    mutating func record(_ left: Int, at time: Double) {
        if first == nil { first = (left, time) }
        if lastProgressAt == nil || (last.map { left < $0.left } ?? true) { lastProgressAt = time }
        last = (left, time)
    }

    func stalled(at time: Double) -> Bool {
        guard let lastProgressAt, let last, last.left > 0 else { return false }
        return time - lastProgressAt >= stallSeconds
    }

    /// "1234 dirty blocks left, 56.0/s, about 22 s to go"
    func describe(unit: String) -> String {
        guard let first, let last else { return "waiting for progress" }
        let elapsed = last.at - first.at
        let done = first.left - last.left
        var text = "\(last.left) \(unit) left"
        if elapsed > 0 && done > 0 {
            let rate = Double(done) / elapsed
            text += String(format: ", %.1f/s, about %.0f s to go", rate, Double(last.left) / rate)
        }
        return text
    }
}
