import Foundation

/// An append-only record of what every apply did, one JSON object a line, under the state dir.
public final class Journal: @unchecked Sendable {
    public struct Entry: Codable, Sendable {
        public var time: String
        public var apply: String
        public var event: String
        public var address: String?
        public var step: String?
        public var detail: String?
    }

    private let descriptor: Int32
    private let applyID: String
    private let formatter = ISO8601DateFormatter()

    public init(_ state: StateDirectory, applyID: String) throws {
        try state.create()
        descriptor = open(state.journalPath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw ReconcileError.io(path: state.journalPath, operation: "open journal", errno: errno) }
        self.applyID = applyID
    }

    deinit {
        fsync(descriptor)
        close(descriptor)
    }

    public func record(_ event: String, address: ResourceAddress? = nil, step: String? = nil, detail: String? = nil) {
        let entry = Entry(
            time: formatter.string(from: Date()), apply: applyID, event: event, address: address?.description,
            step: step, detail: detail)
        guard var line = try? CanonicalJSON.encode(entry) else { return }
        line.append(0x0A)
        // One write per line with O_APPEND keeps lines whole even if two processes ever wrote.
        _ = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    }
}
