import Foundation
import ReconcileJSON

/// Writes a plan document piece by piece (the header, each change, each content), so a plan of
/// 50,000 files never becomes one string in memory: the pieces go to `output` as they are made.
public struct PlanDocumentWriter: Sendable {
    public enum Layout: Sendable {
        /// JSONEncoder's pretty printing, for people and pipelines (`plan --json`).
        case pretty
        /// Compact, one change and one content per line: saved plans, where the indentation
        /// would be a fifth of a plan of small files, and a line-wise diff still reads well.
        case linePerChange
    }

    public let layout: Layout

    public init(layout: Layout) {
        self.layout = layout
    }

    public func write(_ plan: Plan, to output: (Data) throws -> Void) throws {
        let collector = PlanContents.Collector(startingWith: plan.contents ?? PlanContents())
        let encoder = CanonicalJSON.encoder(pretty: layout == .pretty)
        encoder.dataEncodingStrategy = .custom { data, encoder in try collector.encode(data, encoder) }
        var header = plan
        header.changes = []
        // `changes` sorts first of the document's keys and `contents` second: the header's empty
        // changes are replaced by the streamed ones, then the contents come, then the rest.
        let headerJSON = try encoder.encode(header)
        let emptyChanges = Data((layout == .pretty ? "{\n  \"changes\" : [\n\n  ]" : "{\"changes\":[]").utf8)
        guard headerJSON.starts(with: emptyChanges) else {
            throw EncodingError.invalidValue(plan, .init(codingPath: [], debugDescription: "a plan document must start with its changes"))
        }
        try output(Data((layout == .pretty ? "{\n  \"changes\" : [" : "{\"changes\":[").utf8))
        // Encoded on all cores, a chunk of changes at a time, written in order.
        for start in stride(from: 0, to: plan.changes.count, by: PlanRenderer.chunk) {
            let chunk = Array(plan.changes[start..<min(start + PlanRenderer.chunk, plan.changes.count)])
            let encoded = try chunk.concurrentMap(minimumCount: 64) { change in try encode(change, encoder, collector) }
            for (offset, json) in encoded.enumerated() {
                try output(item(json, first: start + offset == 0))
            }
        }
        try output(close(empty: plan.changes.isEmpty, bracket: "]"))
        try output(Data((layout == .pretty ? ",\n  \"contents\" : {" : ",\"contents\":{").utf8))
        // Each content once, by its digest: made on all cores a chunk at a time, written in order.
        let contents = collector.collected.blobs.sorted { $0.key < $1.key }
        for start in stride(from: 0, to: contents.count, by: PlanRenderer.chunk) {
            let chunk = Array(contents[start..<min(start + PlanRenderer.chunk, contents.count)])
            let entries = try chunk.concurrentMap(minimumCount: 64) { hex, data in
                try contentEntry(hex: hex, data: data, encoder: encoder)
            }
            for (offset, entry) in entries.enumerated() {
                try output(item(entry, first: start + offset == 0))
            }
        }
        try output(close(empty: contents.isEmpty, bracket: "}"))
        try output(headerJSON.dropFirst(emptyChanges.count))
    }

    /// `"HEX":CONTENT`: text, nearly all content, through the fast encoder (the same bytes as
    /// JSONEncoder's), straight into the entry's bytes.
    private func contentEntry(hex: String, data: Data, encoder: JSONEncoder) throws -> [UInt8] {
        var entry = Array(("\"\(hex)\"" + (layout == .pretty ? " : " : ":")).utf8)
        let blob = PlanContents.Blob(data)
        if case .text(let text) = blob {
            entry.reserveCapacity(entry.count + text.utf8.count + text.utf8.count / 8 + 2)
            CanonicalEncoder.append(string: text, to: &entry)
        } else {
            entry.append(contentsOf: try encoder.encode(blob))
        }
        return entry
    }

    /// Compact changes through `CanonicalEncoder` (JSONEncoder took most of writing a large plan),
    /// which gives JSONEncoder's bytes or declines (floating point in a desired state read back).
    private func encode(_ change: Change, _ encoder: JSONEncoder, _ collector: PlanContents.Collector) throws -> [UInt8] {
        guard layout == .linePerChange, let bytes = CanonicalEncoder.encode(change, dataAsString: collector.reference(to:)) else {
            return Array(try encoder.encode(change))
        }
        // Debug builds (the tests) check every change against Foundation's bytes.
        assert((try? encoder.encode(change)) == Data(bytes), "CanonicalEncoder and JSONEncoder disagree on a change")
        return bytes
    }

    /// All of it in memory: for small plans and for comparing two plans.
    public func data(_ plan: Plan) throws -> Data {
        var data = Data()
        try write(plan) { data.append($0) }
        return data
    }

    /// An array or object member on its own line(s), indented to its depth when pretty.
    private func item(_ json: [UInt8], first: Bool) -> Data {
        var piece: [UInt8] = first ? [] : [UInt8(ascii: ",")]
        piece.reserveCapacity(json.count + json.count / 4 + 8)
        piece.append(UInt8(ascii: "\n"))
        guard layout == .pretty else {
            piece.append(contentsOf: json)
            return Data(piece)
        }
        // Pretty JSON has line feeds only between tokens (strings escape theirs): each line
        // moves right; empty lines (JSONEncoder's empty arrays) stay empty.
        let indent = [UInt8](repeating: UInt8(ascii: " "), count: 4)
        piece.append(contentsOf: indent)
        json.withUnsafeBufferPointer { bytes in
            for (offset, byte) in bytes.enumerated() {
                piece.append(byte)
                if byte == UInt8(ascii: "\n") && (offset + 1 == bytes.count || bytes[offset + 1] != UInt8(ascii: "\n")) {
                    piece.append(contentsOf: indent)
                }
            }
        }
        return Data(piece)
    }

    private func close(empty: Bool, bracket: Character) -> Data {
        switch (layout, empty) {
        case (.pretty, true): return Data("\n\n  \(bracket)".utf8)
        case (.pretty, false): return Data("\n  \(bracket)".utf8)
        case (.linePerChange, true): return Data("\(bracket)".utf8)
        case (.linePerChange, false): return Data("\n\(bracket)".utf8)
        }
    }
}
