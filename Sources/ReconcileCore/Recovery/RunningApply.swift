import Foundation
import ReconcileJSON

/// `STATE/apply-running.json`: written when an apply starts changing the host, removed when it
/// ends. Found by a later run, it means that apply was killed: with the journal offset it holds,
/// the journal tells how far it got without reading the whole journal.
public struct RunningApply: Codable, Sendable, Equatable {
    public var apply: String
    public var startedAt: String
    public var pid: Int32
    /// Steps of the changes the plan had, all of which the apply meant to run.
    public var steps: Int
    /// The journal's size before the apply's first line.
    public var journalOffset: UInt64

    public init(apply: String, startedAt: Date, pid: Int32 = getpid(), steps: Int, journalOffset: UInt64) {
        self.apply = apply
        self.startedAt = ISO8601DateFormatter().string(from: startedAt)
        self.pid = pid
        self.steps = steps
        self.journalOffset = journalOffset
    }

    static func path(_ state: StateDirectory) -> String { "\(state.path)/apply-running.json" }

    public func save(_ state: StateDirectory) throws {
        try state.create()
        try state.files.writeAtomically(Self.path(state), content: CanonicalJSON.encode(self), mode: 0o600, uid: nil, gid: nil)
    }

    /// The record an earlier apply left, if any; a damaged one is reported as such, never trusted.
    public static func load(_ state: StateDirectory) throws -> RunningApply? {
        guard try state.files.status(path(state)) != nil else { return nil }
        let data = try state.files.read(path(state))
        do {
            return try JSONDecoder().decode(RunningApply.self, from: data)
        } catch {
            throw ReconcileError.notAllowed("\(path(state)) is damaged (\(error)); an earlier apply was interrupted: inspect \(state.journalPath), then remove it")
        }
    }

    public static func remove(_ state: StateDirectory) throws {
        try state.files.remove(path(state))
    }
}
