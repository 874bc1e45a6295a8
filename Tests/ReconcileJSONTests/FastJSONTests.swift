import Foundation
import ReconcileJSON
import Testing

/// Facts files are read by FastJSON when it can; it must read what JSONDecoder reads, or pass.
@Suite struct FastJSONTests {
    static let documents = [
        #"{"a":1,"b":[true,false,null],"c":{"d":"e\n\t\"\\\/x"},"é":"漢字 🙂"}"#,
        #" [ -0 , 0.5 , 1e3 , -2.5E-3 , 123456789012345678901234567890 , 1.7976931348623157e308 ] "#,
        #"{"nested":[[[{"x":[]}]]],"empty":{},"s":""}"#,
        #""plain""#,
        "42",
    ]

    @Test(arguments: documents)
    func readsWhatFoundationReads(_ text: String) throws {
        let data = Data(text.utf8)
        let ours = try #require(FastJSON.parse(data))
        #expect(ours == (try JSONDecoder().decode(JSONValue.self, from: data)))
    }

    static let leftToFoundation = [
        #"{"a":1,"a":2}"#,  // repeated key
        #"{"u":"\u00e9"}"#,  // \u escape
        "[01]", "[1.]", "[.5]", "[1e]", "[+1]", "[1e400]",
        "{\"tab\":\"a\tb\"}",  // raw control character
        "[1,]", "{\"a\":1,}", "[1] x", "", "[", "tru", "nul",
    ]

    @Test(arguments: leftToFoundation)
    func leavesTheRestToFoundation(_ text: String) {
        #expect(FastJSON.parse(Data(text.utf8)) == nil)
    }

    @Test func nestingPastFoundationsLimitIsLeftToIt() {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(FastJSON.parse(Data(deep.utf8)) == nil)
    }

    struct Typed: Codable, Equatable {
        var flag: Bool
        var count: UInt32
        var size: Int64?
        var names: [String]
        var map: [String: Int]
        var maybe: String?
    }

    @Test func decodesTypedValuesFromTheTree() throws {
        let text = #"{"flag":true,"count":420,"size":-7,"names":["a","b"],"map":{"x":1},"maybe":null,"extra":1}"#
        let tree = try #require(FastJSON.parse(Data(text.utf8)))
        let ours = try #require(FastJSON.decode(Typed.self, from: tree))
        #expect(ours == (try JSONDecoder().decode(Typed.self, from: Data(text.utf8))))
    }

    /// Not whole, too big for Double to hold exactly, wrong type, missing key: Foundation's to answer.
    @Test(arguments: [
        #"{"flag":true,"count":1.5,"names":[],"map":{}}"#,
        #"{"flag":true,"count":-1,"names":[],"map":{}}"#,
        #"{"flag":1,"count":1,"names":[],"map":{}}"#,
        #"{"flag":true,"names":[],"map":{}}"#,
    ])
    func leavesTypedMismatchesToFoundation(_ text: String) throws {
        let tree = try #require(FastJSON.parse(Data(text.utf8)))
        #expect(FastJSON.decode(Typed.self, from: tree) == nil)
        #expect(FastJSON.decode(UInt64.self, from: .number(9_007_199_254_740_992)) == nil)
    }
}
