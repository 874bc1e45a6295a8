import Testing
import ReconcileYAML

@Suite struct AliasTests {
    @Test func aliasesResolveToTheAnchoredNode() throws {
        let root = try #require(single("base: &base\n  user: root\n  mode: \"0644\"\ncopy: *base\nname: &n motd\nagain: *n\n"))
        #expect(render(root["copy"]) == "{user: root, mode: 0644}")
        #expect(root["copy"]?["user"]?.scalar == "root")
        #expect(root["again"]?.scalar == "motd")
        // The alias node itself sits where the alias is written; its contents keep their own marks.
        #expect(root["copy"]?.mark == at(4, 7))
        #expect(root["copy"]?["user"]?.mark == at(2, 9))
    }

    @Test func anchorsCanBeRedefinedAndAliasesSeeTheLatest() throws {
        let root = try #require(single("- &a one\n- *a\n- &a two\n- *a\n"))
        #expect(render(root) == "[one, one, two, two]")
    }

    @Test func anchorsDoNotCrossDocuments() {
        let result = load("a: &x 1\n---\nb: *x\n")
        #expect(result.errors.map(\.message) == [
            "undefined alias *x: &x is defined in an earlier document (line 1, column 4), and anchors end at `---` "
                + "(each document stands alone; repeat the value, or keep both in one document)",
        ])
        #expect(load("a: 1\n---\nb: *y\n").errors.map(\.message) == ["undefined alias *y"])
        #expect(result.errors.first?.mark == at(3, 4))
    }

    @Test func undefinedAliasIsReportedAtItsMarkAndParsingContinues() {
        let result = load("a: *nope\nb: 1\nb: 2\n")
        #expect(result.errors.map(\.message) == [
            "undefined alias *nope",
            "duplicate key \"b\" (first defined at line 2, column 1)",
        ])
        #expect(result.errors.first?.mark == at(1, 4))
        #expect(result.errors.first?.length == 5)
        #expect(result.documents.first?.root["a"]?.isNull == true)
    }

    @Test func recursiveAliasIsReportedClearly() {
        let result = load("a: &x [1, *x]\n")
        #expect(result.errors.map(\.message) == ["alias *x refers to a node that contains it (recursive aliases are not supported)"])
        #expect(result.errors.first?.mark == at(1, 11))
    }

    static func bomb(levels: Int, fanout: Int) -> String {
        var lines = ["l0: &l0 [" + Array(repeating: "\"lol\"", count: fanout).joined(separator: ", ") + "]"]
        for level in 1..<levels {
            lines.append("l\(level): &l\(level) [" + Array(repeating: "*l\(level - 1)", count: fanout).joined(separator: ", ") + "]")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test func billionLaughsIsRefusedQuickly() throws {
        let text = Self.bomb(levels: 10, fanout: 9)  // ~3.8e9 nodes if expanded
        let clock = ContinuousClock()
        var result: (documents: [YAMLDocument], errors: [YAMLError]) = ([], [])
        let elapsed = clock.measure { result = load(text) }
        #expect(elapsed < .milliseconds(500))
        try #require(result.errors.count == 1)
        let error = result.errors[0]
        #expect(error.message.hasPrefix("alias *l"))
        #expect(error.message.hasSuffix(" expands to more than 100000 nodes: refusing (possible alias bomb)"))
        // Aliases in l1…l4 add 74,718 nodes; the first *l4 in l5 (66,430 nodes) passes 100k.
        #expect(error.mark.line == 6)
    }

    @Test func aliasExpansionLimitIsExact() {
        let text = "a: &a [1, 2]\nb: [*a, *a]\n"  // each *a is 3 nodes: 6 in total
        #expect(load(text, limits: YAMLLimits(maxAliasExpansion: 6)).errors.isEmpty)
        let refused = load(text, limits: YAMLLimits(maxAliasExpansion: 5))
        #expect(refused.errors.map(\.message) == ["alias *a expands to more than 5 nodes: refusing (possible alias bomb)"])
        #expect(refused.errors.first?.mark == at(2, 9))
    }

    @Test func expansionIsCountedWithAliasesInsideAnchors() {
        // b is 1 + 2*3 = 7 nodes; *b alone exceeds 6 although it is a single alias.
        let text = "a: &a [1, 2]\nb: &b [*a, *a]\nc: *b\n"
        let result = load(text, limits: YAMLLimits(maxAliasExpansion: 12))
        #expect(result.errors.map(\.mark) == [at(3, 4)])
    }

    @Test func hugeExpansionWithNoLimitDoesNotOverflow() throws {
        // 2^80 expanded nodes: sizes must saturate instead of trapping, and sharing keeps it cheap.
        var lines = ["l0: &l0 [x, x]"]
        for level in 1..<80 { lines.append("l\(level): &l\(level) [*l\(level - 1), *l\(level - 1)]") }
        let result = load(lines.joined(separator: "\n"), limits: YAMLLimits(maxAliasExpansion: .max, maxDepth: 1000))
        #expect(result.errors.isEmpty)
        #expect(result.documents.first?.root["l79"]?.sequence?.count == 2)
    }
}
