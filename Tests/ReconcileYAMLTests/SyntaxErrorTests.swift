import Testing
import ReconcileYAML

@Suite struct SyntaxErrorTests {
    static let tab = "tab character used for indentation; YAML requires spaces"

    @Test func tabIndentationGetsAClearMessageAtTheTab() {
        let result = load("a:\n\tb: 1\n")
        #expect(result.errors.map(\.message) == [Self.tab])
        #expect(result.errors.first?.mark == at(2, 1))
        #expect(result.errors.first?.description == "test.yaml:2:1: error: \(Self.tab)")
    }

    @Test func tabViolatingIndentationInsideABlockGetsTheSameMessage() {
        // libyaml says "found a tab character that violates indentation" here.
        let result = load("a:\n  b: 1\n\tc: 2\n")
        #expect(result.errors.map(\.message) == [Self.tab])
        #expect(result.errors.first?.mark == at(3, 1))
    }

    @Test func tabAfterIndentationSpacesIsFoundAtItsColumn() {
        let result = load("a:\n  b:\n  \tc: 1\n")
        #expect(result.errors.map(\.message) == [Self.tab])
        #expect(result.errors.first?.mark.line == 3)
        #expect(result.errors.first?.mark.column == 3)
    }

    @Test func tabsAsSeparatorsAfterValuesAreFine() {
        #expect(load("a:\t1\nb: 2\t# note\n").errors.isEmpty)
    }

    @Test func otherUnstartableCharactersKeepLibyamlMessageAndContext() {
        let result = load("a: @b\n")
        #expect(result.errors.map(\.message) == [
            "found character that cannot start any token (while scanning for the next token at line 1, column 4)",
        ])
        #expect(result.errors.first?.mark == at(1, 4))
    }

    @Test func mappingValuesNotAllowed() {
        let result = load("a: b: c\n")
        #expect(result.errors.map(\.message) == ["mapping values are not allowed in this context; if this value holds \": \", quote it"])
        #expect(result.errors.first?.mark == at(1, 5))
    }

    @Test func contextIsIncludedWhenLibyamlGivesOne() {
        let result = load("a:\n  - 1\n b: 2\n")
        #expect(result.errors.map(\.message) == [
            "did not find expected key (while parsing a block mapping at line 1, column 1)",
        ])
        #expect(result.errors.first?.mark == at(3, 2))
    }

    @Test func unterminatedQuoteIsReportedAtEndOfInput() {
        let result = load("a: \"x\n")
        #expect(result.errors.first?.message == "found unexpected end of stream (while scanning a quoted scalar at line 1, column 4)")
        #expect(result.errors.first?.mark == at(2, 1))
    }

    @Test func errorsFoundBeforeASyntaxErrorAreKeptInOrder() {
        let result = load("a: 1\na: 2\nb: [\n")
        #expect(result.errors.count == 2)
        #expect(result.errors.first?.message.hasPrefix("duplicate key") == true)
        #expect(result.errors.last?.mark == at(4, 1))
        #expect(result.documents.isEmpty)
    }

    @Test func controlCharactersAreReportedWithPosition() {
        let result = YAMLLoader.load(bytes: Array("ok: 1\nä: x\u{01}\n".utf8), path: "c.yaml")
        #expect(result.errors.map(\.message) == ["control characters are not allowed (found U+0001)"])
        #expect(result.errors.first?.mark == Mark(file: "c.yaml", line: 2, column: 5))
    }

    @Test func nulByteIsAnErrorNotATruncation() {
        let result = YAMLLoader.load(bytes: Array("a: b".utf8) + [0] + Array("\nc: d\n".utf8), path: "n.yaml")
        #expect(result.errors.count == 1)
        #expect(result.errors.first?.mark == Mark(file: "n.yaml", line: 1, column: 5))
    }
}
