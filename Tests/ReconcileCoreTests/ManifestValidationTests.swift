import ReconcileCore
import ReconcileProviders
import Testing

@Suite struct ManifestValidationTests {
    @Test func validManifestHasNoDiagnostics() {
        let loaded = loadManifest("""
            kind: File
            name: motd
            path: /etc/motd
            content: "hi\\n"
            mode: "0644"
            ---
            kind: SystemdUnit
            name: backup.timer
            content: |
              [Timer]
              OnCalendar=daily
              [Install]
              WantedBy=timers.target
            enabled: true
            dependsOn: [File/motd]
            """)
        #expect(loaded.diagnostics.items.isEmpty)
        #expect(loaded.resources.map(\.address.description) == ["File/motd", "SystemdUnit/backup.timer"])
    }

    @Test func errorLineHasPathPositionKeyPathAndCaret() {
        let loaded = loadManifest("""
            kind: File
            name: motd
            path: /etc/motd
            contnt: "hi"
            """)
        #expect(rendered(loaded) == """
            m.yaml:1:1: error: content: one of "content", "source" is required
            1 | kind: File
              | ^
            m.yaml:4:1: error: contnt: unknown key; did you mean "content"?
            4 | contnt: "hi"
              | ^~~~~~
            2 errors, 0 warnings

            """)
    }

    @Test func everyProblemInEveryFileIsReportedAtOnce() {
        let loaded = loadManifests([
            ("a.yaml", "kind: File\nname: one\npath: relative\ncontent: x\nmode: \"999\"\n"),
            ("b.yaml", "kind: Fiel\nname: two\n---\nkind: SystemdUnit\nname: x.service\ncontent: \"[Service]\\n\"\nenabled: yes\n"),
        ])
        let headlines = loaded.diagnostics.sorted.map(\.headline)
        #expect(headlines == [
            "a.yaml:3:7: error: path: must be an absolute path (starting with \"/\"), found \"relative\"",
            "a.yaml:5:7: error: mode: \"999\" is not an octal mode like \"0644\"",
            "b.yaml:1:7: error: kind: unknown kind \"Fiel\"; did you mean \"File\"? (known kinds: \((Providers.registry.kinds + ["Values", "Use"]).joined(separator: ", ")))",
            "b.yaml:7:10: error: enabled: expected true or false, found \"yes\"",
        ])
    }

    @Test func duplicateNamesNameBothPlaces() {
        let loaded = loadManifests([
            ("a.yaml", "kind: File\nname: motd\npath: /etc/motd\ncontent: x\n"),
            ("b.yaml", "kind: File\nname: motd\npath: /etc/motd2\ncontent: y\n"),
        ])
        let errors = loaded.diagnostics.errors
        #expect(errors.count == 1)
        #expect(errors.first?.headline == "b.yaml:2:7: error: name: duplicate resource File/motd")
        #expect(errors.first?.notes.first?.mark.description == "a.yaml:2:7")
    }

    @Test func twoFilesClaimingOnePathIsAnError() {
        let loaded = loadManifest("kind: File\nname: a\npath: /etc/x\ncontent: x\n---\nkind: File\nname: b\npath: /etc/x\ncontent: y\n")
        #expect(loaded.diagnostics.errors.map(\.message) == ["/etc/x is already managed by File/a"])
    }

    @Test func missingDependencyGetsSuggestion() {
        let loaded = loadManifest("""
            kind: File
            name: motd
            path: /etc/motd
            content: x
            ---
            kind: File
            name: other
            path: /etc/other
            content: y
            dependsOn: [File/mtd, "not an address"]
            """)
        #expect(loaded.diagnostics.sorted.map(\.headline) == [
            "m.yaml:10:13: error: dependsOn[0]: no resource File/mtd is declared; did you mean \"File/motd\"?",
            "m.yaml:10:23: error: dependsOn[1]: \"not an address\" is not a Kind/name address",
        ])
    }

    @Test func dependencyCycleIsNamedInFull() {
        let loaded = loadManifest("""
            kind: File
            name: a
            path: /a
            content: x
            dependsOn: [File/b]
            ---
            kind: File
            name: b
            path: /b
            content: x
            dependsOn: [File/c]
            ---
            kind: File
            name: c
            path: /c
            content: x
            dependsOn: [File/a]
            """)
        let messages = loaded.diagnostics.errors.map(\.message)
        #expect(messages == ["dependency cycle: File/a → File/b → File/c → File/a"])
        #expect(loaded.diagnostics.errors.first?.notes.count == 2)
    }

    @Test func restartOnCountsAsDependencyForCycles() {
        let loaded = loadManifest("""
            kind: File
            name: conf
            path: /etc/app.conf
            content: x
            dependsOn: [SystemdUnit/app.service]
            ---
            kind: SystemdUnit
            name: app.service
            content: "[Service]\\nExecStart=/bin/true\\n"
            restartOn: [File/conf]
            """)
        #expect(loaded.diagnostics.errors.map(\.message).contains {
            $0.hasPrefix("dependency cycle:")
        })
    }

    /// An undeclared restartOn entry is named at its own line and column, with a suggestion,
    /// beside a dependsOn error of the same resource.
    @Test func undeclaredRestartOnIsReportedWhereItIsWritten() {
        let loaded = loadManifest("""
            kind: File
            name: conf
            path: /etc/app.conf
            content: x
            ---
            kind: SystemdUnit
            name: app.service
            content: "[Service]\\nExecStart=/bin/true\\n"
            dependsOn: [File/nope]
            restartOn: [File/conf, File/cnof]
            """)
        let text = rendered(loaded)
        #expect(text.contains("m.yaml:10:24: error: restartOn[1]: no resource File/cnof is declared; did you mean \"File/conf\"?"), "\(text)")
        #expect(text.contains("m.yaml:9:13: error: dependsOn[0]: no resource File/nope is declared"), "\(text)")
    }

    @Test func yamlProblemsBecomeDiagnostics() {
        let cases: [(String, String)] = [
            ("kind: File\nname: a\nname: b\n", "duplicate key \"name\""),
            ("kind: File\n\tname: a\n", "tab character used for indentation"),
            ("---\n---\nkind: File\n", "empty document"),
            ("- a\n- b\n", "a resource must be a mapping"),
            ("name: x\n", "missing required key \"kind\""),
        ]
        for (text, expected) in cases {
            let loaded = loadManifest(text)
            #expect(loaded.diagnostics.errors.contains { $0.message.contains(expected) }, "\(text) → \(rendered(loaded))")
        }
    }

    @Test func nonUTF8IsRejectedWithPosition() {
        let loaded = ManifestLoader(registry: Providers.registry).load(files: [("bin.yaml", Array("kind: File\nname: \u{00e9}".utf8) + [0xFF, 0x0A])])
        #expect(loaded.diagnostics.errors.first?.headline.hasPrefix("bin.yaml:2:8: error: invalid UTF-8 byte 0xff") == true)
        #expect(loaded.resources.isEmpty)
    }

    @Test func aliasBombIsRefusedQuickly() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            let previous = (0..<9).map { _ in "*a\(level - 1)" }.joined(separator: ", ")
            text += "a\(level): &a\(level) [\(previous)]\n"
        }
        let clock = ContinuousClock()
        let started = clock.now
        let loaded = loadManifest(text)
        #expect(clock.now - started < .seconds(2))
        #expect(loaded.diagnostics.errors.contains { $0.message.contains("alias bomb") })
    }

    @Test func emptyFileIsAWarningNotAnError() {
        let loaded = loadManifest("# nothing yet\n")
        #expect(!loaded.diagnostics.hasErrors)
        #expect(loaded.diagnostics.warnings.map(\.message) == ["file holds no resources"])
    }

    @Test func unknownValueSuggestsClosest() {
        let loaded = loadManifest("kind: File\nname: a\npath: /a\ncontent: x\nstate: absnt\n")
        #expect(loaded.diagnostics.errors.map(\.message) == [
            "\"absnt\" is not one of \"present\", \"absent\"; did you mean \"absent\"?",
        ])
    }

    @Test func enabledUnitNeedsInstallSection() {
        let loaded = loadManifest("kind: SystemdUnit\nname: a.service\ncontent: \"[Service]\\nExecStart=/bin/true\\n\"\nenabled: true\n")
        #expect(loaded.diagnostics.errors.map(\.keyPath) == ["enabled"])
    }

    @Test func unitNameMustBeAUnitFileName() {
        let loaded = loadManifest("kind: SystemdUnit\nname: backup\ncontent: x\n")
        #expect(loaded.diagnostics.errors.map(\.keyPath) == ["name"])
    }
}
