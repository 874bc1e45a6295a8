import Foundation
import Testing
@testable import ReconcileCDB

/// Eight distinct keys with the same full 32-bit hash (0xc8a97fe6), built as a
/// Joux multicollision: three 6-byte blocks, each with two colliding variants.
/// With only these keys, table 0xe6 has 16 slots and all start at slot 15, so the
/// probe sequence wraps around to slot 0.
let collidingKeys = [
    "bqFjiCkdyS7NZKhdXo", "bqFjiCkdyS7NZKhezL", "bqFjiCjExr6oZKhdXo", "bqFjiCjExr6oZKhezL",
    "cQgiKbkdyS7NZKhdXo", "cQgiKbkdyS7NZKhezL", "cQgiKbjExr6oZKhdXo", "cQgiKbjExr6oZKhezL",
].map(bytes)

@Suite(.enabled(if: TinyCDB.available, TinyCDB.skipReason))
struct TinyCDBCompatibilityTests {
    /// Builds with both our in-memory and our fd writer and with tinycdb, and demands identical bytes.
    func expectIdentical(_ records: [(key: [UInt8], value: [UInt8])], native: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) throws -> [UInt8] {
        let scratch = try Scratch()
        let ours = try CDBWriter.build(records)
        let theirs = native ? try TinyCDB.makeNative(records, in: scratch) : try TinyCDB.makeFromMap(records, in: scratch)
        #expect(firstDifference(ours, theirs) == nil, "in-memory writer differs from tinycdb", sourceLocation: sourceLocation)
        let streamed = try [UInt8](Data(contentsOf: URL(fileURLWithPath: scratch.writeWithDescriptor(records))))
        #expect(firstDifference(streamed, theirs) == nil, "fd writer differs from tinycdb", sourceLocation: sourceLocation)
        return theirs
    }

    @Test func emptyMap() throws {
        let file = try expectIdentical([])
        #expect(file.count == 2048)
        let reader = try CDBReader(bytes: file)
        #expect(reader.count == 0)
        #expect(try reader.records().isEmpty)
        #expect(reader.value(forKey: bytes("x")) == nil)
        // Every empty table points at the end of the (empty) record area.
        #expect(file == (0..<256).flatMap { _ in [0x00, 0x08, 0, 0, 0, 0, 0, 0] as [UInt8] })
    }

    @Test func oneEntry() throws {
        let file = try expectIdentical([(key: bytes("immerda.ch"), value: bytes("abc.onion"))])
        #expect(file.count == 2048 + 8 + 10 + 9 + 16)
        #expect(try CDBReader(bytes: file).value(forKey: bytes("immerda.ch")) == bytes("abc.onion"))
    }

    @Test func hundredThousandRandomEntries() throws {
        var rng = SplitMix64(seed: 0x5eed_cdb)
        var records: [(key: [UInt8], value: [UInt8])] = []
        records.reserveCapacity(100_000)
        for i in 0..<100_000 {
            // Every 97th record repeats an earlier key, so duplicates are in the mix.
            let key = i % 97 == 96 ? records[Int.random(in: 0..<i, using: &rng)].key : randomWord(&rng, length: 1...40)
            records.append((key: key, value: randomWord(&rng, length: 1...64)))
        }
        let file = try expectIdentical(records)

        // Our reader on tinycdb's file: every record in order, and first-match lookups.
        let reader = try CDBReader(bytes: file)
        #expect(reader.count == records.count)
        #expect(same(try reader.records(), records))
        var firstValue: [[UInt8]: [UInt8]] = [:]
        var allValues: [[UInt8]: [[UInt8]]] = [:]
        for r in records {
            if firstValue[r.key] == nil { firstValue[r.key] = r.value }
            allValues[r.key, default: []].append(r.value)
        }
        var mismatches = 0
        for (key, value) in firstValue where reader.value(forKey: key) != value || reader.values(forKey: key) != allValues[key] {
            mismatches += 1
        }
        #expect(mismatches == 0)
        #expect(reader.value(forKey: bytes("no such key, spaces are never generated")) == nil)
    }

    @Test func collidingHashesExerciseProbing() throws {
        let hashes = Set(collidingKeys.map { CDBHash.hash($0) })
        #expect(hashes == [0xc8a9_7fe6], "keys must share the full 32-bit hash")
        #expect(Set(collidingKeys).count == 8)
        let h: UInt32 = 0xc8a9_7fe6
        #expect((h >> 8) % 16 == 15, "start slot must be the last one, so probing wraps")

        // Only colliders: 8 entries in a 16-slot table, starting at slot 15.
        let alone = collidingKeys.enumerated().map { (key: $1, value: bytes("v\($0)")) }
        let aloneFile = try expectIdentical(alone)
        let aloneReader = try CDBReader(bytes: aloneFile)
        for r in alone { #expect(aloneReader.value(forKey: r.key) == r.value) }

        // Same table, different full hashes, inserted before and after the colliders, plus noise elsewhere.
        var sameTable: [[UInt8]] = []
        var other: [[UInt8]] = []
        var i = 0
        while sameTable.count < 12 || other.count < 50 {
            let key = bytes("f\(i)")
            if CDBHash.hash(key) & 0xff == h & 0xff { if sameTable.count < 12 { sameTable.append(key) } } else if other.count < 50 { other.append(key) }
            i += 1
        }
        let keys = sameTable[..<6] + other + collidingKeys + sameTable[6...] + collidingKeys[..<2]  // the last two are duplicates
        let mixed = keys.enumerated().map { (key: Array($1), value: bytes("value-\($0)")) }
        let file = try expectIdentical(mixed)
        let reader = try CDBReader(bytes: file)
        #expect(same(try reader.records(), mixed))
        for key in Set(keys) {
            let expected = mixed.filter { $0.key == key }.map(\.value)
            #expect(reader.values(forKey: key) == expected)
            #expect(reader.value(forKey: key) == expected.first)
        }
        // A key with the same hash that is not stored must walk the chain and miss.
        #expect(reader.value(forKey: bytes("bqFjiCkdyS7NZKhdXp")) == nil)
    }

    @Test func binarySafeKeysAndValues() throws {
        var rng = SplitMix64(seed: 42)
        var records: [(key: [UInt8], value: [UInt8])] = [
            (key: [], value: []),
            (key: [0], value: [0, 0]),
            (key: bytes("a->b"), value: bytes("+1,2:x->y\n\n")),
            (key: [0x0a], value: [0x0d, 0x0a, 0x20, 0x09]),
            (key: [0xff, 0xfe], value: [UInt8](repeating: 0x80, count: 300)),
        ]
        for _ in 0..<2000 {
            let key = (0..<Int.random(in: 0...24, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let value = (0..<Int.random(in: 0...80, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            records.append((key: key, value: value))
        }
        let file = try expectIdentical(records, native: true)
        let reader = try CDBReader(bytes: file)
        #expect(same(try reader.records(), records))
        #expect(reader.value(forKey: [UInt8]()) == [])
        #expect(reader.value(forKey: [0x0a]) == [0x0d, 0x0a, 0x20, 0x09])
        for r in records.prefix(200) { #expect(reader.values(forKey: r.key).contains(r.value)) }
    }

    @Test func valueLargerThanTheWriteBuffer() throws {
        // 3 MiB value: takes the writer's direct-write path.
        var rng = SplitMix64(seed: 7)
        let big = (0..<(3 << 20)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
        let records = [(key: bytes("small"), value: bytes("x")), (key: bytes("big"), value: big), (key: bytes("after"), value: bytes("y"))]
        let file = try expectIdentical(records)
        #expect(try CDBReader(bytes: file).value(forKey: bytes("big")) == big)
    }

    @Test func tinycdbQueriesAndDumpsOurFiles() throws {
        let scratch = try Scratch()
        let records: [(key: [UInt8], value: [UInt8])] = [
            (key: bytes("immerda.ch"), value: bytes("immerdaxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.onion")),
            (key: bytes("example.org"), value: bytes("exampleyyyy.onion")),
            (key: bytes("dup"), value: bytes("first")),
            (key: bytes("dup"), value: bytes("second")),
            (key: bytes("bin"), value: [0, 1, 2, 0x0a, 0xff]),
        ] + collidingKeys.map { (key: $0, value: bytes("c-") + $0) }
        let path = try scratch.writeWithDescriptor(records)

        for r in records where r.key != bytes("dup") {
            let q = try TinyCDB.run(["-q", path, String(decoding: r.key, as: UTF8.self)])
            #expect(q.status == 0)
            #expect(q.stdout == r.value)
        }
        // `cdb -q` prints every value for a key; `-n 1` only the first.
        #expect(try TinyCDB.run(["-q", path, "dup"]).stdout == bytes("firstsecond"))
        #expect(try TinyCDB.run(["-q", "-n", "1", path, "dup"]).stdout == bytes("first"))
        #expect(try TinyCDB.run(["-q", "-n", "2", path, "dup"]).stdout == bytes("second"))
        let missing = try TinyCDB.run(["-q", path, "absent.example"])
        #expect(missing.status == 100, "tinycdb exits 100 when the key is not found")
        #expect(missing.stdout.isEmpty)

        let dump = try TinyCDB.run(["-d", path])
        #expect(dump.status == 0)
        #expect(firstDifference(dump.stdout, TinyCDB.nativeDump(records)) == nil)

        // tinycdb's own consistency check of the table layout.
        let stats = try TinyCDB.run(["-s", path])
        #expect(stats.status == 0)
        #expect(String(decoding: stats.stdout, as: UTF8.self).contains("number of records: \(records.count)"))
    }

    @Test func ourReaderReadsTinycdbFilesFromDisk() throws {
        let scratch = try Scratch()
        let map = scratch.url("map.txt")
        try Data("a 1\nb 2\na 3\nc\n\ta 4\n".utf8).write(to: map)
        let out = scratch.url("t.cdb")
        let made = try TinyCDB.run(["-c", "-m", out.path, map.path])
        try #require(made.status == 0)
        let reader = try CDBReader(contentsOf: out.path)
        #expect(reader.count == 5)
        #expect(reader.value(forKey: bytes("a")) == bytes("1"))
        #expect(reader.values(forKey: bytes("a")) == [bytes("1"), bytes("3"), bytes("4")])
        #expect(reader.values(forKey: bytes("c")) == [[]])
        #expect(reader.values(forKey: bytes("zz")).isEmpty)
        let expected: [(key: [UInt8], value: [UInt8])] = [("a", "1"), ("b", "2"), ("a", "3"), ("c", ""), ("a", "4")].map { (key: bytes($0), value: bytes($1)) }
        #expect(same(try reader.records(), expected))
    }
}
