import Foundation
import Testing
@testable import ReconcileYAML

/// Large streams are parsed in slices on all cores; these compare every node, mark, tag and
/// style with the whole stream parsed at once.
@Suite struct DocumentSliceTests {
    /// Documents chosen for what could end or span a slice: `---` inside block scalars, plain
    /// and quoted multi-line scalars, `...` markers, anchors, flow collections, comments, empty documents.
    static let documents = [
        "kind: File\nname: a\ncontent: |\n  line one\n  --- not a marker, indented\n  last\nmode: \"0644\"\n",
        "--- |\n  a literal root\n  ---\n",
        "kind: File\nname: plain\ncontent: a plain scalar\n  that goes on\n  over lines\n",
        "kind: File\nname: quoted\ncontent: \"double\n  quoted over\n  lines\"\nother: 'single\n  quoted'\n",
        "# only a comment\n",
        "base: &anchor {a: 1, b: [x, y]}\nuse: *anchor\nlist:\n- one\n- two: 2\n  three: 3\n",
        "key: value\n...\n",
        "!!map\ntagged: !!str 42\nempty:\nnull-ish: ~\n",
        "unicode: \"héllo wörld — ✓\"\nname: 名前\n",
        "",
        "--- # marker with a comment\nafter: marker\n",
        "folded: >\n  folded\n  text\n\n  kept\n",
    ]

    /// Documents joined with `---` lines, some markers followed by content on the same line.
    static func stream(repeating times: Int) -> [UInt8] {
        var text = ""
        for round in 0..<times {
            for (index, document) in documents.enumerated() {
                if !(round == 0 && index == 0) { text += "---\n" }
                text += document.replacingOccurrences(of: "name: a\n", with: "name: a\(round)\n")
            }
        }
        return Array(text.utf8)
    }

    @Test func slicedDocumentsEqualTheWholeStreamParsedAtOnce() throws {
        let bytes = Self.stream(repeating: 40)
        let whole = YAMLLoader.parse(bytes[...], path: "big.yaml", limits: YAMLLimits(), lineOffset: 0)
        #expect(whole.errors.isEmpty)
        let sliced = try #require(DocumentSlices.parse(bytes, path: "big.yaml", limits: YAMLLimits(), minimumBytes: 0))
        #expect(DocumentSlices.sliceStarts(bytes, slices: DocumentSlices.slices).count == DocumentSlices.slices)
        #expect(sliced.count == whole.documents.count)
        #expect(firstDifference(sliced, whole.documents) == nil)
    }

    @Test func everyCutPointGivesTheSameDocuments() throws {
        // Slices starting at each marker in turn, not only at even shares of the bytes.
        let bytes = Self.stream(repeating: 1)
        let whole = YAMLLoader.parse(bytes[...], path: "s.yaml", limits: YAMLLimits(), lineOffset: 0).documents.map(dump)
        var cuts = 0
        var from = 1
        while let marker = DocumentSlices.documentMarker(in: bytes, from: from) {
            let lines = DocumentSlices.lineCounts(bytes, before: [marker])[0]
            let head = YAMLLoader.parse(bytes[..<marker], path: "s.yaml", limits: YAMLLimits(), lineOffset: 0)
            let tail = YAMLLoader.parse(bytes[marker...], path: "s.yaml", limits: YAMLLimits(), lineOffset: lines)
            #expect(head.errors.isEmpty && tail.errors.isEmpty)
            let joined = (head.documents + tail.documents).enumerated().map { index, document in
                YAMLDocument(root: document.root, isEmpty: document.isEmpty, mark: document.mark, index: index)
            }
            #expect(firstDifference(joined.map(dump), whole) == nil, "cut before byte \(marker)")
            cuts += 1
            from = marker + 1
        }
        let markerLines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .filter { $0 == "---" || $0.hasPrefix("--- ") }
        #expect(cuts == markerLines.count)
        #expect(cuts > Self.documents.count)
    }

    /// Line feeds counted a word at a time agree with a count byte by byte, whatever the bytes
    /// around them (0x0A's neighbours 0x0B, 0x8A and 0x00, high bytes) and wherever an offset falls.
    @Test func lineFeedsCountedByWordsAreCountedExactly() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [0x0A, 0x0A, 0x0B, 0x09, 0x8A, 0x00, 0xFF, 0x7F, 0x20, 0x41, 0xC3, 0x0A]
        for length in [0, 1, 7, 8, 9, 63, 64, 65, 1000] {
            let bytes = (0..<length).map { _ in alphabet.randomElement(using: &generator) ?? 0 }
            let offsets = ([0, length / 3, length / 2, length, length + 5] + (0..<4).map { _ in Int.random(in: 0...length, using: &generator) }).sorted()
            let expected = offsets.map { offset in bytes.prefix(offset).filter { $0 == 0x0A }.count }
            #expect(DocumentSlices.lineCounts(bytes, before: offsets) == expected, "bytes \(bytes), offsets \(offsets)")
        }
    }

    @Test func largeFilesGoThroughSlicesWithTheSameResult() throws {
        var bytes: [UInt8] = []
        while bytes.count < DocumentSlices.minimumBytes { bytes += Self.stream(repeating: 20) }
        let loaded = YAMLLoader.load(bytes: bytes, path: "large.yaml")
        let whole = YAMLLoader.parse(bytes[...], path: "large.yaml", limits: YAMLLimits(), lineOffset: 0)
        #expect(DocumentSlices.parse(bytes, path: "large.yaml", limits: YAMLLimits()) != nil)
        #expect(loaded.errors.isEmpty)
        #expect(firstDifference(loaded.documents, whole.documents) == nil)
    }

    @Test func anErrorInAnySliceMeansTheWholeStreamsErrors() throws {
        // A flow sequence left open across a marker: libyaml's message names the sequence's start.
        var text = String(decoding: Self.stream(repeating: 10), as: UTF8.self)
        text += "---\nopen: [a, b,\n---\nkind: File\n"
        text += String(decoding: Self.stream(repeating: 10), as: UTF8.self)
        let bytes = Array(text.utf8)
        #expect(DocumentSlices.parse(bytes, path: "bad.yaml", limits: YAMLLimits(), minimumBytes: 0) == nil)
        let whole = YAMLLoader.parse(bytes[...], path: "bad.yaml", limits: YAMLLimits(), lineOffset: 0)
        let loaded = YAMLLoader.load(bytes: bytes, path: "bad.yaml")
        #expect(!whole.errors.isEmpty)
        #expect(loaded.errors.map(\.description) == whole.errors.map(\.description))
        #expect(firstDifference(loaded.documents, whole.documents) == nil)
    }

    @Test(arguments: [
        ("carriage returns", "a: 1\r\n---\nb: 2\n"),
        ("a directive", "a: 1\n---\n%YAML 1.2\n---\nb: 2\n"),
        ("a directive first", "%YAML 1.2\n---\na: 1\n---\nb: 2\n"),
        ("a carriage return last", "a: 1\n---\nb: 2\r"),
        ("NEL", "a: \"x\u{85}y\"\n---\nb: 2\n"),
        ("line separator", "a: \"x\u{2028}y\"\n---\nb: 2\n"),
        ("paragraph separator", "a: \"x\u{2029}y\"\n---\nb: 2\n"),
    ])
    func streamsWhoseLinesLibyamlCountsOtherwiseAreParsedWhole(_ reason: String, _ text: String) {
        #expect(!DocumentSlices.isSliceable(Array(text.utf8)), "\(reason)")
        #expect(DocumentSlices.parse(Array(text.utf8), path: "x.yaml", limits: YAMLLimits(), minimumBytes: 0) == nil)
    }

    /// What only looks like those: a `%` inside a line, other two- and three-byte characters,
    /// the lead bytes of NEL and LS/PS at the very end.
    @Test(arguments: [
        Array("a: \"50%\"\n---\nb: 2\n".utf8), Array("a: \"caf\u{E9} \u{B0} \u{2014} \u{2026}\"\n---\nb: 2\n".utf8),
        Array("a: 1\n---\nb: \"\u{A3}\"\n".utf8), Array("a: 1\n---\nb: 2\n".utf8) + [0xC2],
        Array("a: 1\n---\nb: 2\n".utf8) + [0xE2, 0x80],
    ])
    func streamsWithLookalikesAreSliceable(_ bytes: [UInt8]) {
        #expect(DocumentSlices.isSliceable(bytes))
    }

    @Test func markersNeedABlankOrTheEndAfterThem() {
        #expect(DocumentSlices.documentMarker(in: Array("a: 1\n---x\n".utf8), from: 1) == nil)
        #expect(DocumentSlices.documentMarker(in: Array("a: 1\n ---\n".utf8), from: 1) == nil)
        #expect(DocumentSlices.documentMarker(in: Array("a: 1\n---".utf8), from: 1) == 5)
        #expect(DocumentSlices.documentMarker(in: Array("a: 1\n---\tb\n".utf8), from: 1) == 5)
        #expect(DocumentSlices.sliceStarts(Array("a: 1\nb: 2\n".utf8), slices: 4) == [0])
    }

    /// The first document that differs, both ways, so a failure prints two lines, not thousands.
    private func firstDifference(_ got: [YAMLDocument], _ expected: [YAMLDocument]) -> String? {
        firstDifference(got.map(dump), expected.map(dump))
    }

    private func firstDifference(_ got: [String], _ expected: [String]) -> String? {
        if got.count != expected.count { return "\(got.count) documents, expected \(expected.count)" }
        guard let index = got.indices.first(where: { got[$0] != expected[$0] }) else { return nil }
        return "document \(index):\n  got      \(got[index])\n  expected \(expected[index])"
    }

    /// Everything a consumer can see of a document, as text.
    private func dump(_ document: YAMLDocument) -> String {
        "#\(document.index) empty=\(document.isEmpty) at \(document.mark) " + dump(document.root)
    }

    private func dump(_ node: Node) -> String {
        let position = "@\(node.mark.line):\(node.mark.column)-\(node.endMark.line):\(node.endMark.column)"
        let tag = node.tag.map { " !\($0)" } ?? ""
        switch node.value {
        case .scalar(let text, let style): return "\(text.debugDescription)(\(style))\(tag)\(position)"
        case .sequence(let items): return "[" + items.map(dump).joined(separator: ", ") + "]\(tag)\(position)"
        case .mapping(let pairs):
            return "{" + pairs.map { dump($0.key) + ": " + dump($0.value) }.joined(separator: ", ") + "}\(tag)\(position)"
        }
    }
}
