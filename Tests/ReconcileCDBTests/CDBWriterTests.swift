import Foundation
import Testing
@testable import ReconcileCDB

@Suite struct CDBWriterTests {
    @Test func refusesToPassTheSizeLimitBeforeWriting() throws {
        let scratch = try Scratch()
        let path = scratch.url("limited.cdb").path
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o644)
        try #require(fd >= 0)
        defer { close(fd) }
        let limit: UInt64 = 4096
        let writer = try CDBWriter(fileDescriptor: fd, sizeLimit: limit)
        let value = [UInt8](repeating: 0x61, count: 100)
        var accepted: [(key: [UInt8], value: [UInt8])] = []
        var refusal: CDBError?
        for i in 0..<100 {
            let key = bytes("k\(i)")
            do {
                try writer.add(key: key, value: value)
                accepted.append((key: key, value: value))
            } catch let error as CDBError {
                refusal = error
                break
            }
        }
        // Each record costs 8 + klen + 100 bytes plus 16 bytes of table.
        let used = 2048 + accepted.reduce(0) { $0 + 8 + $1.key.count + 100 + 16 }
        let next = used + 8 + "k\(accepted.count)".utf8.count + 100 + 16
        #expect(refusal == .tooLarge(bytes: UInt64(next)))
        #expect(UInt64(used) <= limit && UInt64(next) > limit)
        #expect(writer.count == accepted.count)
        // The refused record left no trace: the writer still finishes into a valid file.
        try writer.finish()
        let onDisk = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(onDisk.count == used)
        #expect(same(try CDBReader(bytes: onDisk).records(), accepted))
    }

    @Test func refusesFourGibibytesWithoutAllocatingThem() throws {
        let scratch = try Scratch()
        let path = scratch.url("huge.cdb").path
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o644)
        try #require(fd >= 0)
        defer { close(fd) }
        let writer = try CDBWriter(fileDescriptor: fd)
        try writer.add(key: bytes("small"), value: bytes("ok"))
        // A lazy 4 GiB value: refused from its count alone, never copied.
        let huge = repeatElement(UInt8(0), count: 1 << 32)
        let smallRecord: UInt64 = 8 + 5 + 2
        let bigRecord: UInt64 = 8 + 3 + (1 << 32)
        let expected: UInt64 = 2048 + smallRecord + bigRecord + 2 * 16
        #expect(throws: CDBError.tooLarge(bytes: expected)) {
            try writer.add(key: bytes("big"), value: huge)
        }
        // Exactly at the limit is fine in principle; one byte over is not.
        let alreadyUsed = 2048 + 15 + 16
        let bigOverhead = 8 + 3 + 16
        let fits = Int(CDBFormat.maxFileSize) - alreadyUsed - bigOverhead
        #expect(throws: CDBError.tooLarge(bytes: CDBFormat.maxFileSize + 1)) {
            try writer.add(key: bytes("big"), value: repeatElement(UInt8(0), count: fits + 1))
        }
        try writer.finish()
        #expect(try CDBReader(contentsOf: path).value(forKey: bytes("small")) == bytes("ok"))
    }

    @Test func tooLargeMessageNamesTheLimitAndTheNeed() {
        let text = CDBError.tooLarge(bytes: 5_000_000_000).description
        #expect(text.contains("5000000000"))
        #expect(text.contains("4 GiB"))
        #expect(text.contains("4294967295"))
    }

    @Test func addAfterFinishThrows() throws {
        let writer = CDBWriter(sink: MemorySink(), sizeLimit: CDBFormat.maxFileSize)
        try writer.add(key: bytes("a"), value: bytes("b"))
        try writer.finish()
        #expect(throws: CDBError.self) { try writer.add(key: bytes("c"), value: bytes("d")) }
        #expect(throws: CDBError.self) { try writer.finish() }
        #expect(writer.count == 1)
    }

    @Test func closedDescriptorIsAnIOError() {
        #expect(throws: CDBError.io(path: "fd -1", errno: EBADF)) { try CDBWriter(fileDescriptor: -1) }
    }

    @Test func appendModeDescriptorIsRefused() throws {
        let scratch = try Scratch()
        let fd = open(scratch.url("append.cdb").path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        try #require(fd >= 0)
        defer { close(fd) }
        #expect(throws: CDBError.io(path: "fd \(fd) (opened with O_APPEND)", errno: EINVAL)) {
            try CDBWriter(fileDescriptor: fd)
        }
    }

    @Test func nonContiguousCollectionsMatchArrays() throws {
        let sink = MemorySink()
        let lazyWriter = CDBWriter(sink: sink, sizeLimit: CDBFormat.maxFileSize)
        try lazyWriter.add(key: bytes("key").lazy.map { $0 }, value: bytes("value").reversed().reversed())
        try lazyWriter.finish()
        #expect(sink.bytes == (try CDBWriter.build([(key: bytes("key"), value: bytes("value"))])))
    }

    @Test func smallBufferGivesTheSameBytes() throws {
        // A tiny buffer forces many flushes and direct writes; the output must not change.
        var rng = SplitMix64(seed: 3)
        let records = (0..<500).map { _ in (key: randomWord(&rng, length: 0...30), value: randomWord(&rng, length: 0...300)) }
        let sink = MemorySink()
        let writer = CDBWriter(sink: sink, sizeLimit: CDBFormat.maxFileSize, bufferCapacity: 64)
        for r in records { try writer.add(key: r.key, value: r.value) }
        try writer.finish()
        #expect(firstDifference(sink.bytes, try CDBWriter.build(records)) == nil)
        #expect(same(try CDBReader(bytes: sink.bytes).records(), records))
    }
}
