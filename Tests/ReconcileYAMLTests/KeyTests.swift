import Testing
import ReconcileYAML

@Suite struct KeyTests {
    @Test func duplicateKeysAreReportedAtTheSecondKeyAndParsingContinues() throws {
        let result = load("name: a\nmode: x\nname: b\nmode: y\nother: z\n")
        #expect(result.errors.map(\.message) == [
            "duplicate key \"name\" (first defined at line 1, column 1)",
            "duplicate key \"mode\" (first defined at line 2, column 1)",
        ])
        #expect(result.errors.map(\.mark) == [at(3, 1), at(4, 1)])
        #expect(result.errors.map(\.length) == [4, 4])
        // Best-effort document: first definition wins, later keys still read.
        let root = try #require(result.documents.first?.root)
        #expect(render(root) == "{name: a, mode: x, other: z}")
    }

    @Test func duplicateKeysInNestedAndFlowMappingsAndAcrossDocuments() {
        let result = load("outer:\n  k: 1\n  k: 2\nflow: {a: 1, b: 2, a: 3}\n---\nk: 1\n")
        #expect(result.errors.map(\.mark) == [at(3, 3), at(4, 20)])
        #expect(result.errors.last?.message == "duplicate key \"a\" (first defined at line 4, column 8)")
        #expect(result.documents.count == 2)
    }

    @Test func quotedAndPlainSpellingsOfTheSameKeyAreDuplicates() {
        let result = load("\"a b\": 1\na b: 2\n")
        #expect(result.errors.map(\.message) == ["duplicate key \"a b\" (first defined at line 1, column 1)"])
        #expect(result.errors.first?.length == 3)
    }

    @Test func sameKeyInSiblingMappingsIsFine() {
        #expect(load("- name: a\n- name: b\n").errors.isEmpty)
    }

    @Test func complexKeysAreRejected() {
        let result = load("? [a, b]\n: c\n? {x: 1}\n: d\ngood: e\n")
        #expect(result.errors.map(\.message) == ["mapping keys must be scalars", "mapping keys must be scalars"])
        #expect(result.errors.map(\.mark) == [at(1, 3), at(3, 3)])
        #expect(render(result.documents.first?.root) == "{good: e}")
    }

    @Test func aliasToACollectionUsedAsKeyIsRejected() {
        let result = load("a: &m {x: 1}\n*m : v\n")
        #expect(result.errors.map(\.message) == ["mapping keys must be scalars"])
        #expect(result.errors.first?.mark == at(2, 1))
    }

    @Test func controlCharactersInKeysAreEscapedInMessages() {
        let result = load("\"a\\tb\": 1\n\"a\\tb\": 2\n")
        #expect(result.errors.first?.message == "duplicate key \"a\\tb\" (first defined at line 1, column 1)")
    }
}
