import Foundation
import ReconcileJSON

/// An append-only record of what every apply did, one JSON object a line, under the state dir.
public final class Journal: @unchecked Sendable {
    public struct Entry: Codable, Sendable, Equatable {
        public var time: String
        public var apply: String
        public var event: String
        public var address: String?
        public var step: String?
        public var detail: String?
        /// The host path a step writes or removes, so the next apply knows where a killed one left temp files.
        public var path: String?
    }

    private let descriptor: Int32
    private let applyID: String
    /// `step-done` lines this journal wrote: how far its apply got, without reading them back.
    public private(set) var stepsDone = 0
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

    private var second = 0
    private var secondText = ""

    /// The time to the second, formatted once per second (an apply of 10,000 files writes 40,000 lines).
    private func now() -> String {
        let date = Date()
        let current = Int(date.timeIntervalSince1970)
        if current != second || secondText.isEmpty {
            second = current
            secondText = formatter.string(from: date)
        }
        return secondText
    }

    /// Where the next line goes: an apply's lines are read back from here when it was interrupted.
    public var offset: UInt64 {
        var info = stat()
        return fstat(descriptor, &info) == 0 ? UInt64(max(0, info.st_size)) : 0
    }

    public func record(
        _ event: String, address: ResourceAddress? = nil, step: String? = nil, detail: String? = nil, path: String? = nil
    ) {
        let entry = Entry(
            time: now(), apply: applyID, event: event, address: address?.description,
            step: step, detail: detail, path: path)
        guard var line = try? CanonicalJSON.encodeCompact(entry) else { return }
        if event == "step-done" { stepsDone += 1 }
        line.append(0x0A)
        // One write per line with O_APPEND keeps lines whole even if two processes ever wrote.
        _ = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    }

    /// One apply's entries from `offset` on; a line cut short by a kill, or damaged, is skipped.
    public static func entries(_ state: StateDirectory, apply: String, from offset: UInt64) -> [Entry] {
        guard let handle = FileHandle(forReadingAtPath: state.journalPath) else { return [] }
        defer { try? handle.close() }
        guard (try? handle.seek(toOffset: offset)) != nil, let data = try? handle.readToEnd() else { return [] }
        let decoder = JSONDecoder()
        return data.split(separator: 0x0A).compactMap { line in
            guard let entry = try? decoder.decode(Entry.self, from: line), entry.apply == apply else { return nil }
            return entry
        }
    }
}

/// Four lines per change: written without Foundation's encoder (same bytes, checked in debug builds).
extension Journal.Entry: CanonicalJSONWritable {
    public func writeCanonicalJSON(to object: inout CanonicalJSONObject) {
        object.add("address", address)
        object.add("apply", apply)
        object.add("detail", detail)
        object.add("event", event)
        object.add("path", path)
        object.add("step", step)
        object.add("time", time)
    }
}
