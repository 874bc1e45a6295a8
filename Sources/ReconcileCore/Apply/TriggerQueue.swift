import Foundation
import ReconcileJSON

/// Restarts, reloads and a daemon-reload owed to the host, kept on disk until done,
/// so a failed or killed apply cannot lose them: the next apply drains them first.
public struct TriggerQueue: Codable, Sendable, Equatable {
    public var daemonReload = false
    public var triggers: [Trigger] = []

    public init() {}

    public var isEmpty: Bool { !daemonReload && triggers.isEmpty }

    public static func load(_ state: StateDirectory) throws -> TriggerQueue {
        guard try state.files.status(state.triggerQueuePath) != nil else { return TriggerQueue() }
        let data = try state.files.read(state.triggerQueuePath)
        do {
            return try JSONDecoder().decode(TriggerQueue.self, from: data)
        } catch {
            throw ReconcileError.notAllowed("\(state.triggerQueuePath) is damaged (\(error)); inspect it, then remove it")
        }
    }

    public func save(_ state: StateDirectory) throws {
        if isEmpty {
            try state.files.remove(state.triggerQueuePath)
        } else {
            try state.files.writeAtomically(
                state.triggerQueuePath, content: CanonicalJSON.encode(self), mode: 0o600, uid: nil, gid: nil)
        }
    }
}
