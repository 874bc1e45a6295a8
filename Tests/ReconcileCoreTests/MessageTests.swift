import Foundation
@testable import ReconcileCore
import Testing

/// Mistakes people make, and the message each gets: located, with what was meant.
@Suite struct MessageTests {
    static let onion = "tdgbhiqjnq7osklj6k7e4y37xhx6ytznp7ozqc2qxoqfhxfg3c5ygsid.onion"

    func lv(size: String) -> String {
        "kind: LogicalVolume\nname: storage/data\nsize: \"\(size)\"\n"
    }

    @Test func aKeyIndentedDeeperThanItsSiblingsSaysSo() {
        let text = rendered(loadManifest("kind: LogicalVolume\nname: storage/slowlv\nsize: 1G\ncache:\n  name: c\n    mode: writeback\n"))
        #expect(text.contains("m.yaml:6:9: error: mapping values are not allowed in this context; line 6 is indented 4 spaces, deeper than line 5 (2): keys of one mapping line up"), "\(text)")
        let value = rendered(loadManifest("kind: File\nname: a\npath: /a\ncontent: key: value\n"))
        #expect(value.contains("m.yaml:4:13: error: mapping values are not allowed in this context; if this value holds \": \", quote it"), "\(value)")
    }

    @Test func aKeyThatLostItsIndentationSaysWhereItBelongs() {
        let text = rendered(loadManifest("kind: OnionRelay\nname: mx\nentries:\n  example.org: \(Self.onion)\ntor:\n  torrc: /etc/tor/torrc\ndnsPort: 5300\n"))
        #expect(text.contains("m.yaml:7:1: error: dnsPort: unknown key; dnsPort belongs under tor: (indent it there)"), "\(text)")
    }

    @Test func sizesWithBytesSuffixesSuggestTheUnit() {
        let text = rendered(loadManifest(lv(size: "100GB")))
        #expect(text.contains("""
            m.yaml:3:7: error: size: "100GB" is not a size: a number with K, M, G, T or P (binary units), or bytes; \
            did you mean "100G"? (units are binary: G is GiB)
            3 | size: "100GB"
              |       ^~~~~
            """), "\(text)")
        #expect(rendered(loadManifest(lv(size: "1.5TiB"))).contains("did you mean \"1.5T\"?"))
    }

    @Test func relativeSizesSayThatSizesAreAbsoluteWithTheTotalToWrite() {
        let grown = rendered(loadManifest(lv(size: "+200G")))
        #expect(grown.contains("m.yaml:3:7: error: size: \"+200G\" is not a size"), "\(grown)")
        #expect(grown.contains(
            "sizes are absolute (the LV's whole size, as lvcreate -L takes it), not relative: write the total the LV should have, "
                + "e.g. size: 300G for a 100G LV grown by 200G"), "\(grown)")
        let shrunk = rendered(loadManifest(lv(size: "-1.5T")))
        #expect(shrunk.contains("e.g. size: 100T for a 101.5T LV shrunk by 1.5T (shrinking also needs allowShrink: true)"), "\(shrunk)")
    }

    /// The last character holds only the version byte's low bits: a typo there leaves the
    /// checksum matching, so the message names that character rather than "version 4".
    @Test func aTypoInAnOnionAddressSaysSoWithoutTalkingOfVersions() {
        let lastCharacterTypo = String(Self.onion.dropLast(7)) + "e.onion"
        var middleTypo = Array(Self.onion)
        middleTypo[20] = middleTypo[20] == "a" ? "b" : "a"
        let text = rendered(loadManifest("kind: OnionRelay\nname: mx\nentries:\n  example.org: \(lastCharacterTypo)\n  example.net: \(String(middleTypo))\n"))
        #expect(text.contains(
            "m.yaml:4:16: error: entries.example.org: \"\(lastCharacterTypo)\": not a valid v3 onion address: it ends in \"e\" where every v3 address ends in \"d\" (a typo?)"),
            "\(text)")
        #expect(text.contains("m.yaml:5:16: error: entries.example.net: \"\(String(middleTypo))\": not a valid v3 onion address: its checksum does not match (a typo?)"), "\(text)")
        #expect(!text.contains("version 4"), "\(text)")
    }

    @Test func anAnchorFromAnEarlierDocumentSaysAnchorsEndAtTheSeparator() {
        let text = rendered(loadManifest("""
            kind: File
            name: a
            path: /a
            content: &shared "x"
            ---
            kind: File
            name: b
            path: /b
            content: *shared
            """))
        #expect(text.contains("""
            m.yaml:9:10: error: undefined alias *shared: &shared is defined in an earlier document (line 4, column 10), and anchors end at `---` \
            (each document stands alone; repeat the value, or keep both in one document)
            9 | content: *shared
              |          ^~~~~~~
            """), "\(text)")
    }

    @Test func aMissingSourceFileNamesTheResolvedPathAndWhy() {
        let text = rendered(loadManifest("kind: File\nname: a\npath: /a\nsource: files/none\n", path: "/tmp/reconcile-no-such-dir/m.yaml"))
        #expect(text.contains("""
            /tmp/reconcile-no-such-dir/m.yaml:4:9: error: source: cannot read /tmp/reconcile-no-such-dir/files/none (relative to the manifest's folder): \
            No such file or directory
            4 | source: files/none
            """), "\(text)")
        let relative = rendered(loadManifest("kind: File\nname: a\npath: /a\nsource: ../files/none\n", path: "manifests/m.yaml"))
        let cwd = FileManager.default.currentDirectoryPath
        #expect(relative.contains("cannot read \(URL(fileURLWithPath: cwd + "/files/none").standardized.path) (relative to the manifest's folder)"), "\(relative)")
    }
}

/// `validate --format json|gitlab`: the same diagnostics, each field where a program looks.
@Suite struct DiagnosticReportTests {
    @Test func locationsSuggestionsAndGitLabsShape() throws {
        let loaded = loadManifest("kind: File\nname: a\npath: /a\ncontent: x\ncontnt: y\n")
        let entries = loaded.diagnostics.sorted.map(DiagnosticReport.Entry.init)
        let entry = try #require(entries.first)
        #expect(entry.file == "m.yaml" && entry.line == 5 && entry.column == 1 && entry.endLine == 5 && entry.endColumn == 6)
        #expect(entry.keyPath == "contnt" && entry.message == "unknown key" && entry.suggestion == "content" && entry.severity == "error")
        let gitlab = try JSONSerialization.jsonObject(with: DiagnosticReport.gitlab(loaded.diagnostics.sorted)) as? [[String: Any]]
        let issue = try #require(gitlab?.first)
        #expect(issue["description"] as? String == "contnt: unknown key; did you mean \"content\"?")
        #expect(issue["severity"] as? String == "major")
        #expect(((issue["location"] as? [String: Any])?["lines"] as? [String: Any])?["begin"] as? Int == 5)
        // The same problem keeps its fingerprint from run to run, so GitLab can tell new from old.
        #expect(try DiagnosticReport.gitlab(loaded.diagnostics.sorted) == DiagnosticReport.gitlab(loadManifest("kind: File\nname: a\npath: /a\ncontent: x\ncontnt: y\n").diagnostics.sorted))
        #expect(DiagnosticReport.Entry.splitSuggestion("no resource File/x is declared").suggestion == nil)
    }
}
