import Foundation
import ReconcileJSON

/// `STATE/history/APPLY-ID.json`: one apply that changed the host, written when it starts and
/// again when it ends. One left `running` by a process that is gone was interrupted.
public struct ApplyRecord: Codable, Sendable, Equatable {
    public enum Result: String, Codable, Sendable {
        case running
        case complete
        case failed
        case interrupted
    }

    public var id: String
    public var startedAt: String
    public var endedAt: String?
    public var result: Result
    public var host: String
    public var root: String
    /// The plan's counts by action and risk.
    public var summary: Plan.Summary
    public var steps: Int
    /// Where it failed, or was interrupted (`step` then names the step that was running, if any).
    public var failure: ApplyReport.Failure?
    public var notAttempted: [ResourceAddress]?
    public var stepsDone: Int?
    public var targets: [String]?
    public var origin: ApplyOrigin
    public var pid: Int32
    /// The journal's size before its first line: `history ID` reads its steps from there.
    public var journalOffset: UInt64

    public init(id: String, plan: Plan, startedAt: Date, steps: Int, origin: ApplyOrigin, journalOffset: UInt64, pid: Int32 = getpid()) {
        self.id = id
        self.startedAt = ISO8601DateFormatter().string(from: startedAt)
        self.result = .running
        self.host = plan.host
        self.root = plan.root
        self.summary = plan.summary
        self.steps = steps
        self.targets = plan.targets
        self.origin = origin
        self.pid = pid
        self.journalOffset = journalOffset
    }

    /// What it did, from its report.
    public mutating func finish(_ report: ApplyReport, at time: Date) {
        endedAt = ISO8601DateFormatter().string(from: time)
        result = report.succeeded ? .complete : .failed
        failure = report.failure ?? report.triggerFailures.first
            ?? report.inventoryNotRecorded.map { .init(address: nil, step: "record the inventory", message: $0) }
        notAttempted = report.notAttempted.isEmpty ? nil : report.notAttempted
    }
}

/// Who ran an apply, on what: an operator reading history later needs both.
public struct ApplyOrigin: Codable, Sendable, Equatable {
    /// The manifests' absolute paths, or nil for a saved plan.
    public var manifests: [String]?
    public var savedPlan: String?
    /// The commit of the git work tree the manifests (or the saved plan) are in.
    public var git: GitRevision?
    /// The account the apply ran as.
    public var user: String
    /// `SUDO_USER`, `GITLAB_USER_LOGIN`, `CI_JOB_URL`, when set.
    public var sudoUser: String?
    public var gitlabUser: String?
    public var ciJobURL: String?

    public init(
        manifests: [String]?, savedPlan: String?, git: GitRevision?, user: String, sudoUser: String? = nil, gitlabUser: String? = nil,
        ciJobURL: String? = nil
    ) {
        self.manifests = manifests
        self.savedPlan = savedPlan
        self.git = git
        self.user = user
        self.sudoUser = sudoUser
        self.gitlabUser = gitlabUser
        self.ciJobURL = ciJobURL
    }

    /// This process's user and the variables sudo and GitLab CI set.
    public static func current(
        manifests: [String]?, savedPlan: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> ApplyOrigin {
        let here = FileManager.default.currentDirectoryPath
        let absolute: (String) -> String = { $0.hasPrefix("/") ? $0 : URL(fileURLWithPath: here + "/" + $0).standardized.path }
        let manifests = manifests?.map(absolute)
        let savedPlan = savedPlan.map(absolute)
        let paths = manifests ?? savedPlan.map { [$0] } ?? []
        let nonEmpty: (String) -> String? = { key in environment[key].flatMap { $0.isEmpty ? nil : $0 } }
        return ApplyOrigin(
            manifests: manifests, savedPlan: savedPlan, git: paths.lazy.compactMap(GitRevision.find).first,
            user: Accounts.userName(getuid()), sudoUser: nonEmpty("SUDO_USER"),
            gitlabUser: nonEmpty("GITLAB_USER_LOGIN"), ciJobURL: nonEmpty("CI_JOB_URL"))
    }

    /// "alice via sudo", "root (GitLab user bob, https://…/jobs/7)".
    public var description: String {
        var text = user
        if let sudoUser { text = "\(sudoUser) via sudo as \(user)" }
        var ci: [String] = []
        if let gitlabUser { ci.append("GitLab user \(gitlabUser)") }
        if let ciJobURL { ci.append(ciJobURL) }
        if !ci.isEmpty { text += " (\(ci.joined(separator: ", ")))" }
        return text
    }
}

/// The records under `STATE/history`, newest first.
public enum ApplyHistory {
    /// At most this many records are kept; older ones are removed when an apply ends.
    public static let keep = 1000

    static func directory(_ state: StateDirectory) -> String { "\(state.path)/history" }

    static func path(_ state: StateDirectory, id: String) -> String { "\(directory(state))/\(id).json" }

    public static func save(_ record: ApplyRecord, _ state: StateDirectory) throws {
        try state.files.createDirectories(directory(state), mode: 0o700)
        try state.files.writeAtomically(path(state, id: record.id), content: CanonicalJSON.encode(record), mode: 0o600, uid: nil, gid: nil)
    }

    /// Apply ids are `yyyyMMddTHHmmss-PID`: they name files and nothing else.
    static func isApplyID(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 64 && id.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || $0 == UInt8(ascii: "T") || $0 == UInt8(ascii: "-") }
    }

    /// One record; nil when there is none by that id. A `running` record whose process holds no
    /// lock any more reads as interrupted.
    public static func load(_ state: StateDirectory, id: String) throws -> ApplyRecord? {
        guard isApplyID(id) else { return nil }
        let path = path(state, id: id)
        guard try state.files.status(path) != nil else { return nil }
        var record: ApplyRecord
        do {
            record = try JSONDecoder().decode(ApplyRecord.self, from: try state.files.read(path))
        } catch let error as DecodingError {
            throw ReconcileError.notAllowed("\(path) is damaged (\(error)); the journal \(state.journalPath) still has that apply's lines")
        }
        if record.result == .running && LockHolders.flockHolder(state.lockPath) != record.pid {
            record.result = .interrupted
        }
        return record
    }

    /// The newest `limit` records (by start time).
    public static func list(_ state: StateDirectory, limit: Int) throws -> [ApplyRecord] {
        let ids = try ids(state)
        return try ids.suffix(limit).reversed().compactMap { try load(state, id: $0) }
    }

    /// Oldest first.
    static func ids(_ state: StateDirectory) throws -> [String] {
        let names = try state.files.entries(directory(state)) ?? []
        return names.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.filter(isApplyID).sorted()
    }

    /// Marks an interrupted apply's record with how far it got.
    public static func markInterrupted(_ interruption: Interruption, _ state: StateDirectory) throws {
        guard var record = try load(state, id: interruption.apply), record.endedAt == nil else { return }
        record.result = .interrupted
        record.stepsDone = interruption.stepsDone
        record.failure = ApplyReport.Failure(
            address: nil, step: interruption.during ?? "between steps",
            message: "interrupted after step \(interruption.stepsDone) of \(interruption.steps)")
        try save(record, state)
    }

    /// Keeps the newest `keep` records.
    static func prune(_ state: StateDirectory, keep: Int = keep) {
        guard let ids = try? ids(state), ids.count > keep else { return }
        for id in ids.prefix(ids.count - keep) {
            try? state.files.remove(path(state, id: id))
        }
    }
}
