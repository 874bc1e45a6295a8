import Foundation

/// An apply that started changing the host and never recorded its end: killed, or its machine
/// went down. What the journal says of it is what the next plan and apply tell the operator.
public struct Interruption: Codable, Sendable, Equatable {
    public var apply: String
    public var startedAt: String
    public var pid: Int32
    public var stepsDone: Int
    public var steps: Int
    /// The step it was running when it stopped, if one had started and not ended.
    public var during: String?
    /// Host paths its file steps touched: where its temp files may be.
    public var paths: [String]

    /// "the apply started at T (id) was interrupted after step X of Y (during: …)".
    public var message: String {
        "the apply started at \(startedAt) (\(apply)) was interrupted after step \(stepsDone) of \(steps)"
            + (during.map { " (during: \($0))" } ?? "")
    }

    /// Reads the record an apply left and its journal lines. Nil when no apply was cut short,
    /// or when the one recorded still holds the lock (it is running, not interrupted).
    public static func find(_ state: StateDirectory) throws -> Interruption? {
        guard let running = try RunningApply.load(state) else { return nil }
        if let holder = LockHolders.flockHolder(state.lockPath), holder == running.pid { return nil }
        let entries = Journal.entries(state, apply: running.apply, from: running.journalOffset)
        var done = 0
        var open: String?
        var paths: [String] = []
        for entry in entries {
            switch entry.event {
            case "step-started":
                open = entry.step
                if let path = entry.path, !paths.contains(path) { paths.append(path) }
            case "step-done":
                done += 1
                open = nil
            case "step-failed":
                open = nil
            default:
                break
            }
        }
        return Interruption(
            apply: running.apply, startedAt: running.startedAt, pid: running.pid, stepsDone: done, steps: running.steps,
            during: open, paths: paths)
    }
}
