import Testing
import ReconcileYAML

@Suite struct DocumentTests {
    static let manifest = """
        kind: File
        name: motd
        path: /etc/motd
        content: "managed by reconcile\\n"
        mode: "0644"
        ---
        kind: SystemdUnit
        name: backup.timer
        content: |
          [Timer]
          OnCalendar=daily
        enabled: true

        """

    @Test func realisticMultiDocumentManifest() throws {
        let result = YAMLLoader.load(text: Self.manifest, path: "host.yaml")
        #expect(result.errors.isEmpty)
        try #require(result.documents.count == 2)
        let file = result.documents[0]
        let unit = result.documents[1]

        #expect(file.index == 0)
        #expect(file.isEmpty == false)
        #expect(file.mark == Mark(file: "host.yaml", line: 1, column: 1))
        #expect(file.root["kind"]?.scalar == "File")
        #expect(file.root["name"]?.scalar == "motd")
        #expect(file.root["path"]?.scalar == "/etc/motd")
        #expect(file.root["content"]?.scalar == "managed by reconcile\n")
        if case .scalar(_, let style)? = file.root["content"]?.value { #expect(style == .doubleQuoted) }
        else { Issue.record("content is not a scalar") }
        #expect(file.root["mode"]?.scalar == "0644")
        #expect(file.root["mode"]?.int == nil, "quoted mode must stay a string")
        #expect(file.root["mode"]?.mark == Mark(file: "host.yaml", line: 5, column: 7))
        #expect(file.root.mapping?.map { $0.key.scalar ?? "?" } == ["kind", "name", "path", "content", "mode"])

        #expect(unit.index == 1)
        #expect(unit.mark == Mark(file: "host.yaml", line: 6, column: 1))
        #expect(unit.root.mark == Mark(file: "host.yaml", line: 7, column: 1))
        #expect(unit.root["kind"]?.scalar == "SystemdUnit")
        #expect(unit.root["name"]?.scalar == "backup.timer")
        #expect(unit.root["content"]?.scalar == "[Timer]\nOnCalendar=daily\n")
        if case .scalar(_, let style)? = unit.root["content"]?.value { #expect(style == .literal) }
        else { Issue.record("content is not a scalar") }
        #expect(unit.root["content"]?.mark == Mark(file: "host.yaml", line: 9, column: 10))
        #expect(unit.root["enabled"]?.bool == true)
        #expect(unit.root["enabled"]?.mark == Mark(file: "host.yaml", line: 12, column: 10))
        #expect(unit.root.mapping?[3].key.mark == Mark(file: "host.yaml", line: 12, column: 1))
    }

    @Test func documentIndexesAndMarks() {
        let result = load("a: 1\n---\nb: 2\n--- c\n...\n---\n- d\n")
        #expect(result.errors.isEmpty)
        #expect(result.documents.map(\.index) == [0, 1, 2, 3])
        #expect(result.documents.map(\.mark) == [at(1, 1), at(2, 1), at(4, 1), at(6, 1)])
        #expect(result.documents.map { render($0.root) } == ["{a: 1}", "{b: 2}", "c", "[d]"])
    }

    @Test func emptyDocumentsAreFlagged() {
        let result = load("---\n---\n# only a comment\n---\nx: 1\n")
        #expect(result.errors.isEmpty)
        #expect(result.documents.map(\.isEmpty) == [true, true, false])
        #expect(result.documents[0].root.isNull)
        #expect(result.documents[1].root.isNull)
        #expect(result.documents[1].mark == at(2, 1))
        #expect(result.documents[2].index == 2)
    }

    @Test func explicitNullOrEmptyStringIsNotAnEmptyDocument() {
        let result = load("--- ~\n--- \"\"\n--- !!null\n")
        #expect(result.errors.isEmpty)
        #expect(result.documents.map(\.isEmpty) == [false, false, false])
        #expect(result.documents.map(\.root.isNull) == [true, false, true])
    }

    @Test func emptyStreamsHaveNoDocumentsAndNoErrors() {
        for text in ["", "\n\n", "# just a comment\n# another\n", "   \n# x"] {
            let result = load(text)
            #expect(result.documents.isEmpty, "\(text.debugDescription)")
            #expect(result.errors.isEmpty, "\(text.debugDescription)")
        }
        #expect(YAMLLoader.load(bytes: [], path: "e.yaml").documents.isEmpty)
    }

    @Test func documentsBeforeASyntaxErrorAreKept() {
        let result = load("a: 1\n---\nb: c: d\n---\ne: 2\n")
        #expect(result.documents.count == 1)
        #expect(result.errors.count == 1)
        #expect(result.errors.first?.mark == at(3, 5))
    }

    @Test func largeCollectionsComposeInLinearTime() {
        // Quadratic appends (copying the array per item) would take minutes here.
        let count = 100_000
        var text = "items:\n"
        for i in 0..<count { text += "  - \(i)\n" }
        for i in 0..<count { text += "k\(i): v\n" }
        let clock = ContinuousClock()
        var result: (documents: [YAMLDocument], errors: [YAMLError]) = ([], [])
        let elapsed = clock.measure { result = load(text) }
        #expect(elapsed < .seconds(5))
        #expect(result.errors.isEmpty)
        #expect(result.documents.first?.root["items"]?.sequence?.count == count)
        #expect(result.documents.first?.root.mapping?.count == count + 1)
        #expect(result.documents.first?.root["k99999"]?.mark == at(2 * count + 1, 9))
    }
}
