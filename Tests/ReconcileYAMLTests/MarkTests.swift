import Testing
import ReconcileYAML

@Suite struct MarkTests {
    @Test func marksAreOneBasedForKeysValuesAndCollections() throws {
        let root = try #require(single("top:\n  - first\n  - key: value\n"))
        #expect(root.mark == at(1, 1))
        let pair = try #require(root.mapping?.first)
        #expect(pair.key.mark == at(1, 1))
        #expect(pair.key.endMark == at(1, 4))
        #expect(pair.value.mark == at(2, 3))  // block sequence starts at its first "-"
        let items = try #require(pair.value.sequence)
        #expect(items[0].mark == at(2, 5))
        #expect(items[1].mark == at(3, 5))
        #expect(items[1].mapping?.first?.key.mark == at(3, 5))
        #expect(items[1]["key"]?.mark == at(3, 10))
        #expect(items[1]["key"]?.endMark == at(3, 15))
    }

    // libyaml's yaml_mark_t.column counts characters (code points), not bytes;
    // these would be off by the extra UTF-8 bytes if it counted bytes.
    @Test func columnsCountCharactersAfterTwoByteText() throws {
        let root = try #require(single("ä: x\nkey: äöü then\nnext: y\n"))
        #expect(root["ä"]?.mark == at(1, 4))
        #expect(root["next"]?.mark == at(3, 7))
        let pairs = try #require(root.mapping)
        #expect(pairs[1].value.mark == at(2, 6))
        #expect(pairs[1].value.endMark == at(2, 14))
    }

    @Test func columnsCountCharactersWithEmojiAndCJK() throws {
        let root = try #require(single("😀😀: y\n名前: 値\n"))
        #expect(root["😀😀"]?.mark == at(1, 5))
        #expect(root["名前"]?.mark == at(2, 5))
        let third = try #require(single("x: {ä: 1, b: 2}\n"))
        let inner = try #require(third["x"]?.mapping)
        #expect(inner[1].key.mark == at(1, 11))
    }

    @Test func columnsCountUnicodeScalarsNotGraphemeClusters() throws {
        // "e" + COMBINING ACUTE is one Character but two scalars.
        let root = try #require(single("e\u{301}: v\n"))
        #expect(root.mapping?.first?.value.mark == at(1, 5))
    }

    @Test func utf8BOMDoesNotShiftColumns() throws {
        let result = YAMLLoader.load(bytes: [0xEF, 0xBB, 0xBF] + Array("a: b\n".utf8), path: "bom.yaml")
        #expect(result.errors.isEmpty)
        #expect(result.documents.first?.root["a"]?.mark == Mark(file: "bom.yaml", line: 1, column: 4))
    }

    @Test func crlfAndCRLineEndingsCountAsOneBreak() throws {
        let root = try #require(single("a: 1\r\nb: 2\rc: 3\r\n"))
        #expect(root["b"]?.mark == at(2, 4))
        #expect(root["c"]?.mark == at(3, 4))
    }

    @Test func markDescriptionAndOrdering() {
        #expect(Mark(file: "x.yaml", line: 3, column: 7).description == "x.yaml:3:7")
        #expect(at(1, 9) < at(2, 1))
        #expect(at(2, 1) < at(2, 3))
        #expect(!(at(2, 3) < at(2, 3)))
        #expect(Mark(file: "a.yaml", line: 9, column: 9) < Mark(file: "b.yaml", line: 1, column: 1))
    }
}
