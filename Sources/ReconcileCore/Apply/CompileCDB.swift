import Foundation
import ReconcileCDB

/// Compiles a `key value` map file into a cdb, as tinycdb's `cdb -c -m` does: streamed into a temp
/// file beside the target, read back and compared, then renamed into place.
public struct CompileCDBStep: Codable, Sendable, Equatable {
    public var source: String
    /// The map the plan was made for; a different file on disk stops the step.
    public var sourceSHA256: String
    public var target: String
    public var records: Int
    public var mode: UInt32

    public init(source: String, sourceSHA256: String, target: String, records: Int, mode: UInt32 = 0o644) {
        self.source = source
        self.sourceSHA256 = sourceSHA256
        self.target = target
        self.records = records
        self.mode = mode
    }

    private enum CodingKeys: String, CodingKey {
        case source = "source", sourceSHA256 = "sourceSHA256", target = "target", records = "records", mode = "mode"
    }

    public var summary: String {
        "compile \(source) into \(target) (\(records) record\(records == 1 ? "" : "s"); checked before it replaces the old one)"
    }
}

/// The map text format: one `key value` a line, split at the first run of blanks; blank and `#` lines skipped.
public enum MapText {
    public static func records(_ data: Data) -> [(key: ArraySlice<UInt8>, value: ArraySlice<UInt8>)] {
        let bytes = [UInt8](data)
        var result: [(key: ArraySlice<UInt8>, value: ArraySlice<UInt8>)] = []
        var start = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            let line = bytes[start..<end]
            start = end + 1
            guard let first = line.first, first != UInt8(ascii: "#") else { continue }
            guard let split = line.firstIndex(where: { $0 == 0x20 || $0 == 0x09 }) else { continue }
            let valueStart = line[split...].firstIndex(where: { $0 != 0x20 && $0 != 0x09 }) ?? line.endIndex
            result.append((line[line.startIndex..<split], line[valueStart...]))
        }
        return result
    }
}

extension Executor {
    func compileCDB(_ step: CompileCDBStep) throws {
        let source = try files.read(step.source)
        let digest = Fingerprint.sha256(source)
        guard digest == step.sourceSHA256 else {
            throw ReconcileError.notAllowed(
                "\(step.source) is not the map the plan was made for (sha256 \(digest.prefix(12)), planned \(step.sourceSHA256.prefix(12)))")
        }
        let records = MapText.records(source)
        guard records.count == step.records else {
            throw ReconcileError.notAllowed("\(step.source) holds \(records.count) records, the plan expected \(step.records)")
        }
        try files.writeAtomically(step.target, mode: step.mode, uid: nil, gid: nil, produce: { descriptor in
            let writer = try CDBWriter(fileDescriptor: descriptor)
            for record in records {
                try writer.add(key: record.key, value: record.value)
            }
            try writer.finish()
        }, verify: { temporary in
            let written = try CDBReader(contentsOf: temporary)
            let readBack = try written.records()
            guard readBack.count == records.count,
                  zip(readBack, records).allSatisfy({ $0.key[...] == $1.key && $0.value[...] == $1.value }) else {
                throw ReconcileError.notAllowed("the cdb written for \(step.target) does not read back as its map; the old one is kept")
            }
        })
    }
}
