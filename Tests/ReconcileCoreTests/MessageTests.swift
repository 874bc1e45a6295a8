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
        #expect(rendered(loadManifest(lv(size: "100GB"))).contains("\"100GB\" is not a size: a number with K, M, G, T or P (binary units), or bytes; did you mean \"100G\"? (units are binary: G is GiB)"))
        #expect(rendered(loadManifest(lv(size: "1.5TiB"))).contains("did you mean \"1.5T\"?"))
    }

    @Test func relativeSizesSayThatSizesAreAbsolute() {
        #expect(rendered(loadManifest(lv(size: "+200G"))).contains("sizes are absolute (the LV's whole size, as lvcreate -L takes it)"))
    }

    @Test func aTypoAtTheEndOfAnOnionAddressSaysSo() {
        let typo = String(Self.onion.dropLast(7)) + "e.onion"
        let text = rendered(loadManifest("kind: OnionRelay\nname: mx\nentries:\n  example.org: \(typo)\n"))
        #expect(text.contains("its last characters encode version") && text.contains("a typo near the end?"), "\(text)")
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
        #expect(text.contains("undefined alias *shared: &shared is defined in an earlier document, and anchors end at `---`"), "\(text)")
    }

    @Test func aMissingSourceFileNamesTheResolvedPathAndWhy() {
        let text = rendered(loadManifest("kind: File\nname: a\npath: /a\nsource: files/none\n", path: "/tmp/reconcile-no-such-dir/m.yaml"))
        #expect(text.contains("cannot read /tmp/reconcile-no-such-dir/files/none (relative to the manifest's folder): No such file or directory"), "\(text)")
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
