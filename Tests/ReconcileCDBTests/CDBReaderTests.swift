import Foundation
import Testing
@testable import ReconcileCDB

@Suite struct CDBReaderTests {
    let sample: [(key: [UInt8], value: [UInt8])] = [
        (key: bytes("alpha"), value: bytes("one")),
        (key: bytes("beta"), value: bytes("two")),
        (key: bytes("alpha"), value: bytes("three")),
        (key: [], value: bytes("empty key")),
    ]

    @Test func roundTripInMemory() throws {
        let reader = try CDBReader(bytes: CDBWriter.build(sample))
        #expect(reader.count == 4)
        #expect(same(try reader.records(), sample))
        #expect(reader.value(forKey: bytes("alpha")) == bytes("one"))
        #expect(reader.values(forKey: bytes("alpha")) == [bytes("one"), bytes("three")])
        #expect(reader.value(forKey: [UInt8]()) == bytes("empty key"))
        #expect(reader.value(forKey: "beta".utf8) == bytes("two"))
        #expect(reader.value(forKey: bytes("beta").lazy.map { $0 }) == bytes("two"))
        #expect(reader.value(forKey: bytes("gamma")) == nil)
    }

    @Test func roundTripThroughAFile() throws {
        let scratch = try Scratch()
        let path = try scratch.writeWithDescriptor(sample)
        let onDisk = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(firstDifference(onDisk, try CDBWriter.build(sample)) == nil)
        let reader = try CDBReader(contentsOf: path)
        #expect(same(try reader.records(), sample))
    }

    @Test func writerTruncatesAReusedLongerFile() throws {
        let scratch = try Scratch()
        let path = scratch.url("reuse.cdb").path
        try Data(repeating: 0xAA, count: 100_000).write(to: URL(fileURLWithPath: path))
        let fd = open(path, O_WRONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        let writer = try CDBWriter(fileDescriptor: fd)
        try writer.add(key: bytes("k"), value: bytes("v"))
        try writer.finish()
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == CDBWriter.build([(key: bytes("k"), value: bytes("v"))]))
    }

    @Test func missingFileIsAnIOError() {
        #expect(throws: CDBError.io(path: "/nonexistent/x.cdb", errno: ENOENT)) {
            try CDBReader(contentsOf: "/nonexistent/x.cdb")
        }
    }

    @Test(arguments: [0, 1, 100, 2047])
    func truncatedHeaderIsMalformed(length: Int) throws {
        let file = try CDBWriter.build(sample)
        #expect(throws: CDBError.self) { try CDBReader(bytes: Array(file.prefix(length))) }
        do {
            _ = try CDBReader(bytes: Array(file.prefix(length)))
        } catch let error as CDBError {
            guard case .malformed(let message) = error else {
                Issue.record("expected .malformed, got \(error)")
                return
            }
            #expect(message.contains("truncated header"))
        }
    }

    @Test func tableOutsideTheFileIsMalformed() throws {
        var file = try CDBWriter.build(sample)
        // Table slots live at the end; cutting the last byte leaves a table past the end.
        file.removeLast()
        #expect(throws: CDBError.self) { try CDBReader(bytes: file) }
        // A header claiming a huge table.
        var bogus = try CDBWriter.build(sample)
        bogus.replaceSubrange(8 * 7 + 4 ..< 8 * 7 + 8, with: [0xff, 0xff, 0xff, 0x7f])
        #expect(throws: CDBError.self) { try CDBReader(bytes: bogus) }
        // Table 0 (the record-area end) before the header.
        var early = try CDBWriter.build(sample)
        early.replaceSubrange(0..<4, with: [0x10, 0, 0, 0])
        #expect(throws: CDBError.self) { try CDBReader(bytes: early) }
    }

    @Test func recordLengthPastTheEndIsMalformed() throws {
        var file = try CDBWriter.build(sample)
        // First record at 2048: inflate its value length beyond the record area.
        file.replaceSubrange(2052..<2056, with: [0xff, 0xff, 0xff, 0xff])
        let reader = try CDBReader(bytes: file)  // header and tables are still fine
        #expect {
            _ = try reader.records()
        } throws: { error in
            guard case CDBError.malformed(let message) = error else { return false }
            return message.contains("record at 2048")
        }
        // Lookups through the table skip the broken record instead of trapping.
        #expect(reader.value(forKey: bytes("alpha")) == bytes("three"))
        #expect(reader.value(forKey: bytes("beta")) == bytes("two"))
    }

    @Test func recordHeaderCutOffIsMalformed() throws {
        // Record area end (table 0 position) moved to split a record header.
        var file = try CDBWriter.build(sample)
        file.replaceSubrange(0..<4, with: [0x03, 0x08, 0, 0])  // 2051
        let reader = try CDBReader(bytes: file)
        #expect(throws: CDBError.self) { try reader.records() }
    }

    @Test func tablePointingOutsideTheFileNeverTraps() throws {
        var file = try CDBWriter.build(sample)
        let reader0 = try CDBReader(bytes: file)
        // Point every slot's record position at the last byte of the file.
        let tablesStart = Int(UInt32(file[0]) | UInt32(file[1]) << 8 | UInt32(file[2]) << 16 | UInt32(file[3]) << 24)
        #expect(reader0.value(forKey: bytes("alpha")) != nil)
        var offset = tablesStart + 4
        while offset + 4 <= file.count {
            let p = UInt32(file.count - 1)
            file.replaceSubrange(offset..<offset + 4, with: [UInt8(p & 0xff), UInt8(p >> 8 & 0xff), UInt8(p >> 16 & 0xff), UInt8(p >> 24)])
            offset += 8
        }
        let reader = try CDBReader(bytes: file)
        for r in sample { #expect(reader.value(forKey: r.key) == nil) }
    }

    /// Every prefix and many random corruptions of a valid file: the reader either
    /// throws `.malformed` or answers; it never crashes.
    @Test func corruptionFuzz() throws {
        let records = (0..<40).map { (key: bytes("key\($0)"), value: bytes("value\($0)")) }
        let file = try CDBWriter.build(records)
        func exercise(_ candidate: [UInt8]) {
            do {
                let reader = try CDBReader(bytes: candidate)
                _ = try? reader.records()
                for r in records.prefix(5) {
                    _ = reader.value(forKey: r.key)
                    _ = reader.values(forKey: r.key)
                }
            } catch let error as CDBError {
                if case .malformed = error {} else { Issue.record("unexpected \(error)") }
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
        for length in stride(from: 0, through: file.count, by: 7) { exercise(Array(file.prefix(length))) }
        var rng = SplitMix64(seed: 99)
        for _ in 0..<2000 {
            var corrupt = file
            for _ in 0..<Int.random(in: 1...8, using: &rng) {
                corrupt[Int.random(in: 0..<corrupt.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            exercise(corrupt)
        }
    }
}
