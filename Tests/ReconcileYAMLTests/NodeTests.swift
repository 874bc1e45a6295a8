import Testing
import ReconcileYAML

@Suite struct NodeTests {
    func value(_ text: String) -> Node? { single("v: " + text + "\n")?["v"] }

    @Test(arguments: ["", "~", "null", "Null", "NULL", "!!null \"\"", "!!null whatever"])
    func nullSpellings(_ text: String) {
        #expect(value(text)?.isNull == true)
    }

    @Test(arguments: ["\"\"", "'null'", "nULL", "none", "0", "! null", "!!str null"])
    func notNull(_ text: String) {
        #expect(value(text)?.isNull == false)
    }

    @Test func booleansAreYAML12CoreOnly() {
        for text in ["true", "True", "TRUE", "!!bool \"true\""] { #expect(value(text)?.bool == true, "\(text)") }
        for text in ["false", "False", "FALSE"] { #expect(value(text)?.bool == false, "\(text)") }
        for text in ["yes", "no", "on", "off", "y", "tRUE", "\"true\"", "'false'", "!!str true", "1"] {
            #expect(value(text)?.bool == nil, "\(text)")
        }
    }

    @Test func integers() {
        let cases: [(String, Int?)] = [
            ("42", 42), ("-17", -17), ("+3", 3), ("0", 0), ("0644", 644), ("0o17", 15), ("0x1F", 31), ("0xff", 255),
            ("9223372036854775807", .max), ("-9223372036854775808", .min), ("9223372036854775808", nil),
            ("\"12\"", nil), ("1_000", nil), ("1.5", nil), ("0x", nil), ("0o8", nil), ("-0x1", nil), ("--1", nil),
            ("+", nil), ("12a", nil), ("!!int \"7\"", 7), ("!!str 7", nil), ("", nil),
        ]
        for (text, expected) in cases { #expect(value(text)?.int == expected, "\(text)") }
    }

    @Test func accessorsAndKindNames() throws {
        let root = try #require(single("s: text\nq: [1, 2]\nm: {a: b}\n"))
        #expect(root.kindName == "mapping")
        #expect(root["s"]?.kindName == "scalar")
        #expect(root["q"]?.kindName == "sequence")
        #expect(root["q"]?.sequence?.compactMap(\.int) == [1, 2])
        #expect(root["q"]?.scalar == nil)
        #expect(root["q"]?.mapping == nil)
        #expect(root["m"]?.mapping?.count == 1)
        #expect(root["m"]?.sequence == nil)
        #expect(root["missing"] == nil)
        #expect(root["s"]?["anything"] == nil)
        #expect(root["q"]?["1"] == nil)
    }

    @Test func scalarStyles() throws {
        let root = try #require(single("p: plain\ns: 'single'\nd: \"double\"\nl: |\n  lit\nf: >\n  fold\n  ed\n"))
        func style(_ key: String) -> ScalarStyle? {
            if case .scalar(_, let style)? = root[key]?.value { return style }
            return nil
        }
        #expect(style("p") == .plain)
        #expect(style("s") == .singleQuoted)
        #expect(style("d") == .doubleQuoted)
        #expect(style("l") == .literal)
        #expect(style("f") == .folded)
        #expect(root["f"]?.scalar == "fold ed\n")
    }

    @Test func tags() throws {
        let root = try #require(single("a: ! x\nb: !!str 1\nc: !custom [1]\nd: plain\n"))
        #expect(root["a"]?.tag == "!")
        #expect(root["b"]?.tag == "tag:yaml.org,2002:str")
        #expect(root["b"]?.int == nil)
        #expect(root["c"]?.tag == "!custom")
        #expect(root["d"]?.tag == nil)
    }

    @Test func escapedNulInsideScalarIsKept() {
        #expect(value("\"a\\0b\"")?.scalar == "a\u{0}b")
    }
}
