import Foundation

/// What the next run does about an interrupted apply: tell it from the journal, remove the temp
/// files reconcile itself left, and let the fresh plan finish the rest (every run probes afresh).
public struct Recovery: Sendable {
    public let files: any HostFileSystem
    public let state: StateDirectory

    public init(files: any HostFileSystem, state: StateDirectory) {
        self.files = files
        self.state = state
    }

    public struct Report: Sendable, Equatable {
        public var interruption: Interruption?
        /// Leftover temp files: removed by an apply, only found by a plan.
        public var leftovers: [String] = []
        public var failures: [String] = []
        /// Processes of the interrupted apply still running, as "pid N (argv)".
        public var liveChildren: [String] = []

        public var isEmpty: Bool { interruption == nil && leftovers.isEmpty && failures.isEmpty }

        /// For `plan` (`removed: false`) and `apply` (`removed: true`), on standard error.
        public func render(removed: Bool) -> String {
            var lines: [String] = []
            if let interruption {
                lines.append((removed ? "Recovered: " : "Note: ") + interruption.message + ".")
                if !removed && liveChildren.isEmpty {
                    lines.append("  The next apply finishes it: every run probes afresh, so the plan below is what is left.")
                }
                for child in liveChildren {
                    lines.append("  Still running, a child of that apply: \(child).")
                }
            }
            if !leftovers.isEmpty {
                lines.append((removed ? "Removed " : "Found ") + "\(leftovers.count) temp file\(leftovers.count == 1 ? "" : "s") of an interrupted apply"
                    + (removed ? ":" : " (the next apply removes them):"))
                lines.append(contentsOf: leftovers.map { "  \($0)" })
            }
            lines.append(contentsOf: failures.map { "  could not remove: \($0)" })
            return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
        }
    }

    /// For `plan`: what an interrupted apply left, nothing changed. While an apply holds the
    /// lock its temp files are its work in progress, not leftovers: nothing is reported then.
    public func inspect(_ plan: Plan) throws -> Report {
        guard LockHolders.flockHolder(state.lockPath) == nil else { return Report() }
        let interruption = try Interruption.find(state)
        let found = Leftovers.find(beside: Leftovers.managedPaths(plan) + (interruption?.paths ?? []), files: files, state: state)
        return Report(
            interruption: interruption, leftovers: found.host.map(files.root.resolve) + found.state,
            liveChildren: interruption.map(Self.liveChildren) ?? [])
    }

    /// For `apply`, with the lock held and the plan made: removes the leftovers, records the
    /// interruption as handled in the journal, and forgets it.
    public func repair(_ interruption: Interruption?, plan: Plan, applyID: String) throws -> Report {
        let found = Leftovers.find(beside: Leftovers.managedPaths(plan) + (interruption?.paths ?? []), files: files, state: state)
        let outcome = Leftovers.remove(host: found.host, state: found.state, files: files, state: state)
        let report = Report(interruption: interruption, leftovers: outcome.removed, failures: outcome.failed)
        guard !report.isEmpty else { return report }
        let journal = try Journal(state, applyID: applyID)
        if let interruption {
            journal.record("apply-interrupted", detail: interruption.message)
        }
        if !outcome.removed.isEmpty {
            journal.record("leftovers-removed", detail: outcome.removed.joined(separator: " "))
        }
        if interruption != nil { try RunningApply.remove(state) }
        return report
    }

    /// "pid 4242 (lvconvert --uncache storage/slowlv)" for each process the interrupted apply started that still runs.
    public static func liveChildren(of interruption: Interruption) -> [String] {
        LockHolders.children(of: interruption.apply).map { "pid \($0.pid) (\($0.command))" }
    }
}
