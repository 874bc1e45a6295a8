import Foundation
import ReconcileJSON
import Testing

/// Fingerprints are sha256 of the canonical JSON, and saved plans keep them: the hand-written
/// encoder must write Foundation's bytes exactly, or refuse so that Foundation writes them.
/// (The observations of every kind, encoded both ways, are checked in ReconcileCoreTests.)
@Suite struct CanonicalEncoderTests {
    static let awkwardText = String((0..<0x80).map { Character(Unicode.Scalar(UInt8($0))) })
        + "é ü ß 漢字 🙂 \u{2028}\u{2029}\u{FEFF} \u{10FFFF} a/b\\c\"d"

    /// Writes itself, as a file's facts do; `Nested` goes through the Encoder machinery.
    struct Written: Encodable, CanonicalJSONWritable {
        var flag: Bool?
        var name: String?
        var size: Int64?

        func writeCanonicalJSON(to object: inout CanonicalJSONObject) {
            object.add("flag", flag)
            object.add("name", name)
            object.add("size", size)
        }
    }

    struct Nested: Encodable {
        var written: [Written]
        var missing: Written?
        var labels: [String: String]
        var counts: [[Int8]]
        var maybe: [String?]
    }

    static func written(_ text: String?) -> Written {
        Written(flag: text.map { $0.isEmpty }, name: text, size: text.map { Int64($0.utf8.count) })
    }

    static func expectSameBytes<T: Encodable>(_ value: T, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ours = try #require(CanonicalEncoder.encode(value), sourceLocation: sourceLocation)
        let foundation = try CanonicalJSON.encode(value)
        #expect(Data(ours) == foundation, sourceLocation: sourceLocation)
        #expect(try CanonicalJSON.encodeCompact(value) == foundation, sourceLocation: sourceLocation)
    }

    @Test func stringsWithEveryEscape() throws {
        try Self.expectSameBytes(Self.awkwardText)
        try Self.expectSameBytes([Self.awkwardText: Self.awkwardText])
        try Self.expectSameBytes(Self.written(Self.awkwardText))
        try Self.expectSameBytes(Self.written(""))
        try Self.expectSameBytes(Self.written(nil))
    }

    /// Integers of the widths observations use are written without their generic description.
    struct Integers: Encodable, CanonicalJSONWritable {
        var int: Int?, int64: Int64?, int8: Int8?, uint32: UInt32?, uint64: UInt64?

        func writeCanonicalJSON(to object: inout CanonicalJSONObject) {
            object.add("int", int)
            object.add("int64", int64)
            object.add("int8", int8)
            object.add("uint32", uint32)
            object.add("uint64", uint64)
        }
    }

    @Test(arguments: [
        Integers(int: 0, int64: -1, int8: -128, uint32: 0, uint64: 9),
        Integers(int: Int.min, int64: Int64.min, int8: 127, uint32: UInt32.max, uint64: UInt64.max),
        Integers(int: Int.max, int64: Int64.max, int8: nil, uint32: 10, uint64: 1_000_000_007),
        Integers(int: -10, int64: nil, int8: 0, uint32: nil, uint64: nil),
    ])
    func integersOfEveryWidth(_ value: Integers) throws {
        try Self.expectSameBytes(value)
    }

    @Test func keysSortByTheirUTF8Bytes() throws {
        let keys = ["b", "a", "B", "", "é", "z", "漢", "🙂", "\u{FFFD}", "aa", "a a", "/etc/x", "/etc/x.d"]
        let map = Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($0.element, "v\($0.offset)") })
        try Self.expectSameBytes(map)
        try Self.expectSameBytes(Dictionary(uniqueKeysWithValues: keys.map { ($0, Self.written($0)) }))
    }

    @Test func nestedValues() throws {
        try Self.expectSameBytes(Nested(
            written: [Self.written("a"), Self.written(nil)], missing: nil,
            labels: ["url": "\"https://x/\"", "limit": "2"], counts: [[Int8.min, 0], [], [Int8.max]], maybe: [nil, "x"]))
        try Self.expectSameBytes([[Int8.min, 0], [], [Int8.max]])
        try Self.expectSameBytes([Optional<String>.none, "x"])
        try Self.expectSameBytes([UInt64.max, 0])
        try Self.expectSameBytes(Int.min)
        try Self.expectSameBytes("only a string")
    }

    /// An existential in `AnyEncodable` is written as the value itself, its own writer included.
    @Test func anyEncodableIsItsValue() throws {
        let value = Self.written("x")
        try Self.expectSameBytes(AnyEncodable(value))
        #expect(CanonicalEncoder.encode(AnyEncodable(value)) == CanonicalEncoder.encode(value))
        #expect(CanonicalEncoder.encode(AnyEncodable(["b": 1, "a": 2])) == Array(#"{"a":2,"b":1}"#.utf8))
    }

    struct Special: Encodable {
        var number = 1.5
        var data = Data([1, 2, 3])
        var date = Date(timeIntervalSinceReferenceDate: 12.25)
        var url = URL(string: "https://example.org/a")
    }

    /// Values Foundation encodes its own way go to Foundation.
    @Test func refusesWhatFoundationTreatsSpecially() throws {
        #expect(CanonicalEncoder.encode(Special()) == nil)
        #expect(CanonicalEncoder.encode([1.0]) == nil)
        #expect(CanonicalEncoder.encode(["a": Data()]) == nil)
        #expect(CanonicalEncoder.encode(JSONValue.number(1)) == nil)
        #expect(try CanonicalJSON.encodeCompact(Special()) == CanonicalJSON.encode(Special()))
    }

    /// `Data` as the caller writes it, as a plan document writes a reference to its content table.
    @Test func dataAsTheCallerWritesIt() throws {
        let bytes = try #require(CanonicalEncoder.encode(["a": Data([1, 2])], dataAsString: { "bytes:\($0.count)" }))
        #expect(bytes == Array(#"{"a":"bytes:2"}"#.utf8))
    }

    /// Strings are scanned eight bytes at a time: every byte that needs escaping (and its
    /// neighbours 0x1F/0x20, 0x21/0x23, 0x5B/0x5D, multi-byte UTF-8) at every offset of a word,
    /// in strings of every length around the word size, must come out as Foundation writes it.
    @Test func escapesAtEveryOffsetAreFoundations() throws {
        let specials = ["\"", "\\", "\n", "\t", "\u{1F}", "\u{0}", "\u{8}", "\u{C}", "\r", " ", "!", "#", "[", "]", "é", "漢", "\u{7F}"]
        for length in 0...17 {
            for special in specials {
                for offset in 0...length {
                    var text = String(repeating: "x", count: length)
                    text.insert(contentsOf: special, at: text.index(text.startIndex, offsetBy: offset))
                    var appended = Array("prefix".utf8)
                    CanonicalEncoder.append(string: text, to: &appended)
                    let foundation = try CanonicalJSON.encode(text)
                    #expect(appended == Array("prefix".utf8) + Array(foundation), "\(text.debugDescription)")
                }
            }
        }
    }
}
