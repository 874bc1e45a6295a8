import Testing
import ReconcileYAML

@Suite struct SourceTextTests {
    let source = SourceText(path: "host.yaml", text: "kind: File\nspec:\n  mode: writebak\n")

    @Test func linesAreOneBasedWithoutBreaks() {
        #expect(source.path == "host.yaml")
        #expect(source.line(1) == "kind: File")
        #expect(source.line(3) == "  mode: writebak")
        #expect(source.line(4) == "")  // after the final newline, where end-of-input errors point
        #expect(source.line(0) == nil)
        #expect(source.line(5) == nil)
    }

    @Test func lineBreaksMatchLibyaml() {
        let text = SourceText(path: "x", text: "\u{FEFF}a\r\nb\rc\u{2028}d\u{85}e")
        #expect((1...5).map { text.line($0) } == ["a", "b", "c", "d", "e"])
    }

    @Test func snippetUnderlinesTheGivenLength() {
        let mark = Mark(file: "host.yaml", line: 3, column: 9)
        #expect(source.snippet(at: mark, length: 8) == "3 |   mode: writebak\n  |         ^~~~~~~~")
        #expect(source.snippet(at: mark) == "3 |   mode: writebak\n  |         ^")
        #expect(source.snippet(at: mark, length: 0) == "3 |   mode: writebak\n  |         ^")
    }

    @Test func snippetClipsToLineEndAndHandlesEmptyLines() {
        #expect(source.snippet(at: Mark(file: "host.yaml", line: 1, column: 7), length: 50) == "1 | kind: File\n  |       ^~~~")
        #expect(source.snippet(at: Mark(file: "host.yaml", line: 4, column: 1)) == "4 |\n  | ^")
        #expect(source.snippet(at: Mark(file: "host.yaml", line: 9, column: 1)) == "")
    }

    @Test func snippetAlignsAfterMultibyteCharactersAndTabs() {
        let text = SourceText(path: "u", text: "größe: 1\n\tbad: 2\n")
        #expect(text.snippet(at: Mark(file: "u", line: 1, column: 8)) == "1 | größe: 1\n  |        ^")
        #expect(text.snippet(at: Mark(file: "u", line: 2, column: 2), length: 3) == "2 | \tbad: 2\n  | \t^~~")
    }

    @Test func gutterWidensForLongLineNumbers() {
        let text = SourceText(path: "l", text: String(repeating: "x: 1\n", count: 120))
        #expect(text.snippet(at: Mark(file: "l", line: 100, column: 4)) == "100 | x: 1\n    |    ^")
    }

    @Test func snippetOfALoaderErrorPointsAtTheKey() throws {
        let yaml = "name: a\n  # c\nname: b\n"
        let error = try #require(YAMLLoader.load(text: yaml, path: "d.yaml").errors.first)
        let snippet = SourceText(path: "d.yaml", text: yaml).snippet(at: error.mark, length: error.length)
        #expect(snippet == "3 | name: b\n  | ^~~~")
    }
}
