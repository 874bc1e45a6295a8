import Foundation

/// Failures outside manifests (manifest problems are `Diagnostic`s); each says what to do next.
public enum ReconcileError: Error, Sendable, CustomStringConvertible, Equatable {
    case invalidPlanFile(path: String, reason: String)
    case invalidFactsFile(path: String, reason: String)
    case stalePlan(details: [String])
    /// A saved plan whose steps, diffs, summaries or counts are not what its desired state plans to.
    case tamperedPlan(path: String, difference: String)
    case lockHeld(path: String, holder: String)
    case unknownKind(String)
    case io(path: String, operation: String, errno: Int32)
    case commandFailed(CommandFailure)
    case probeFailed(kind: String, reason: String)
    case notAllowed(String)

    public var description: String {
        switch self {
        case .invalidPlanFile(let path, let reason):
            return "\(path): cannot read plan: \(reason)"
        case .invalidFactsFile(let path, let reason):
            return "\(path): cannot read facts: \(reason)"
        case .stalePlan(let details):
            return "stale plan: the host changed since the plan was made; nothing was applied. "
                + "Run `reconcile plan` again.\n" + details.map { "  - \($0)" }.joined(separator: "\n")
        case .tamperedPlan(let path, let difference):
            return "\(path): the saved plan is not what its own desired state plans to (edited, or made by another "
                + "build); nothing was applied. First difference: \(difference). Plan again and review the new plan."
        case .lockHeld(let path, let holder):
            return "another apply holds the lock \(path): \(holder)"
        case .unknownKind(let kind):
            return "unknown resource kind \"\(kind)\""
        case .io(let path, let operation, let errno):
            return "\(operation) \(path): \(String(cString: strerror(errno)))"
        case .commandFailed(let failure):
            return failure.description
        case .probeFailed(let kind, let reason):
            return "probing \(kind) resources failed: \(reason)"
        case .notAllowed(let reason):
            return reason
        }
    }
}

/// A command that did not succeed: argv, exit status and stderr, everything needed to act on it.
public struct CommandFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public let argv: [String]
    public let status: Int32
    public let stderr: String

    public init(argv: [String], status: Int32, stderr: String) {
        self.argv = argv
        self.status = status
        self.stderr = stderr
    }

    public var description: String {
        let command = argv.map(ShellQuote.quote).joined(separator: " ")
        let trimmed = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        return "`\(command)` exited with status \(status)" + (trimmed.isEmpty ? "" : ": \(trimmed)")
    }
}

/// A problem with what a manifest asks for that only the host's facts reveal (no room on the VG,
/// a cache device that is not a PV of it); the planner reports it at the manifest line of `keyPath`.
public struct PlanProblem: Error, Sendable, Equatable {
    public let keyPath: String
    public let message: String

    public init(_ keyPath: String, _ message: String) {
        self.keyPath = keyPath
        self.message = message
    }
}

/// Several plan problems at once, so every one is reported in one run.
public struct PlanProblems: Error, Sendable, Equatable {
    public let problems: [PlanProblem]

    public init(_ problems: [PlanProblem]) {
        self.problems = problems
    }
}
