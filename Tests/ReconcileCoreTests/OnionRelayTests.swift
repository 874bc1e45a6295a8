import Foundation
import ReconcileCore
@testable import ReconcileProviders
import Testing

@Suite struct OnionAddressTests {
    static let valid = "tdgbhiqjnq7osklj6k7e4y37xhx6ytznp7ozqc2qxoqfhxfg3c5ygsid.onion"

    @Test func acceptsV3AndLowercases() throws {
        #expect(try OnionAddress(parsing: Self.valid).host == Self.valid)
        #expect(try OnionAddress(parsing: Self.valid.uppercased()).host == Self.valid)
    }

    @Test func refusesV2WithAnExplanation() {
        #expect(throws: OnionAddress.Problem.version2) { try OnionAddress(parsing: "ysp4gfuhnmj6b4mb.onion") }
        #expect(OnionAddress.Problem.version2.description.contains("stopped working in October 2021"))
    }

    @Test func refusesATypo() throws {
        var typo = Array(Self.valid)
        typo[10] = typo[10] == "a" ? "b" : "a"
        #expect(throws: OnionAddress.Problem.badChecksum) { try OnionAddress(parsing: String(typo)) }
        let lastCharacter = String(Self.valid.dropLast(7)) + "q.onion"
        #expect(throws: OnionAddress.Problem.wrongLastCharacter("q")) { try OnionAddress(parsing: lastCharacter) }
        // The character before the last holds checksum bits too: a typo there is a checksum mismatch.
        let beforeLast = String(Self.valid.dropLast(8)) + "a" + "d.onion"
        #expect(throws: OnionAddress.Problem.badChecksum) { try OnionAddress(parsing: beforeLast) }
    }

    @Test func refusesOtherShapes() throws {
        #expect(throws: OnionAddress.Problem.notOnion) { try OnionAddress(parsing: "mx.example.org") }
        #expect(throws: OnionAddress.Problem.badLength(10)) { try OnionAddress(parsing: "abcdefghij.onion") }
        #expect(throws: OnionAddress.Problem.badCharacters) { try OnionAddress(parsing: String(repeating: "1", count: 56) + ".onion") }
    }

    @Test func domainsAreLowercasedAndChecked() throws {
        #expect(try MailDomain.normalise("Lists.Example.ORG").get() == "lists.example.org")
        #expect(throws: MailDomain.DomainProblem.singleLabel) { try MailDomain.normalise("localhost").get() }
        #expect(throws: MailDomain.DomainProblem.label("-bad")) { try MailDomain.normalise("-bad.example.org").get() }
        #expect(throws: MailDomain.DomainProblem.onionAsDomain) { try MailDomain.normalise(Self.valid).get() }
    }
}

@Suite struct OnionRelayManifestTests {
    static let a = "tdgbhiqjnq7osklj6k7e4y37xhx6ytznp7ozqc2qxoqfhxfg3c5ygsid.onion"
    static let b = "stb647hkkbo4wx4mafdt5f4szq2br5gcrgrby4vt5lrg34j5h5gmyaad.onion"

    @Test func inlineEntriesAreSortedAndLowercased() throws {
        let loaded = loadManifest("kind: OnionRelay\nname: mx\nentries:\n  Zeta.example: \(Self.b)\n  alpha.example: \(Self.a)\n")
        #expect(!loaded.diagnostics.hasErrors, "\(rendered(loaded))")
        let spec = try #require(loaded.resources.first?.spec as? OnionRelaySpec)
        #expect(spec.entries.map(\.domain) == ["alpha.example", "zeta.example"])
    }

    @Test func conflictNamesBothLocations() throws {
        let loaded = loadManifest("kind: OnionRelay\nname: mx\nentries:\n  example.org: \(Self.a)\n  EXAMPLE.org: \(Self.b)\n")
        let error = loaded.diagnostics.errors.first
        #expect(error?.headline == "m.yaml:5:3: error: entries.EXAMPLE.org: example.org is mapped to two onion addresses (\(Self.a) and \(Self.b))")
        #expect(error?.notes.first?.mark.description == "m.yaml:4:3")
    }

    @Test func v2AddressIsAnErrorAtItsPosition() {
        let loaded = loadManifest("kind: OnionRelay\nname: mx\nentries:\n  example.org: ysp4gfuhnmj6b4mb.onion\n")
        #expect(loaded.diagnostics.errors.map(\.mark?.description) == ["m.yaml:4:16"])
        #expect(loaded.diagnostics.errors.first?.message.contains("v2 onion services stopped working") == true)
    }

    @Test func entriesFileProblemsPointIntoThatFile() throws {
        let directory = TemporaryDirectory()
        try directory.write("relay.yaml", "kind: OnionRelay\nname: mx\nentriesFile: map.txt\n")
        try directory.write("map.txt", "# comment\nexample.org \(Self.a)\n\n  example.org \(Self.a)\nbad_domain.org \(Self.b)\nonly-one-field\nexample.net ysp4gfuhnmj6b4mb.onion\n")
        let loaded = try ManifestLoader(registry: Providers.registry).load(paths: [directory.path + "/relay.yaml"])
        let map = directory.path + "/map.txt"
        #expect(loaded.diagnostics.sorted.map(\.headline) == [
            "\(map):4:3: error: entriesFile: example.org is listed twice",
            "\(map):5:1: error: entriesFile: \"bad_domain.org\": \"bad_domain\" is not a valid domain label (letters, digits, inner hyphens; 1–63 characters)",
            "\(map):6:1: error: entriesFile: expected \"domain onion-address\", found 1 field",
            "\(map):7:13: error: entriesFile: \"ysp4gfuhnmj6b4mb.onion\": this is a v2 onion address (16 characters); v2 onion services stopped working in October 2021: use the service's v3 address (56 characters)",
        ])
        // The entries file's lines are available for caret snippets.
        #expect(rendered(loaded).contains("4 |   example.org"))
    }

    @Test func utf8TextFromDataIsCheckedAndOwned() throws {
        #expect(String(validatingUTF8Data: Data([0x61, 0xC3, 0xA4])) == "aä")
        #expect(String(validatingUTF8Data: Data([0x61, 0xFF])) == nil)
        #expect(String(validatingUTF8Data: Data([0xC3])) == nil, "a cut-off sequence")
    }

    @Test func onlyOneRelayPerHost() throws {
        let loaded = loadManifest("kind: OnionRelay\nname: a\nentries: {x.org: \(Self.a)}\n---\nkind: OnionRelay\nname: b\nentries: {y.org: \(Self.a)}\nmap: /etc/b.txt\ncdb: /etc/b.cdb\n")
        #expect(loaded.diagnostics.errors.map(\.message).first?.hasPrefix("only one OnionRelay per host") == true)
    }

    @Test func torPortsStayOnLoopbackAndMailOnionServiceIsFlagged() throws {
        let loaded = loadManifest("""
            kind: OnionRelay
            name: mx
            entries: {x.org: \(Self.a)}
            tor:
              dnsAddress: 0.0.0.0
              extraConfig: |
                HiddenServiceDir /var/lib/tor/mx
                HiddenServicePort 25 127.0.0.1:25
            """)
        #expect(loaded.diagnostics.errors.map(\.keyPath) == ["tor.dnsAddress"])
        #expect(loaded.diagnostics.warnings.first?.message.contains("which mail servers trust") == true)
    }

    @Test func mapDiffCountsAddedRemovedChanged() throws {
        let diff = MapDiff(current: ["a.org": "x.onion", "b.org": "y.onion"], wanted: [
            .init(domain: "a.org", onion: "z.onion"), .init(domain: "c.org", onion: "y.onion"),
        ])
        #expect(diff.describe("/m.cdb") == [
            "/m.cdb: entries +1 -1 ~1", "  + c.org → y.onion", "  - b.org", "  ~ a.org: x.onion → z.onion",
        ])
    }

    @Test func srvRecordsAreAbsoluteZoneLines() throws {
        let loaded = loadManifest("kind: OnionRelay\nname: mx\nentries: {example.org: \(Self.a)}\n")
        let spec = try #require(loaded.resources.first?.spec as? OnionRelaySpec)
        #expect(SRVRecords().zoneLines(spec, resource: "OnionRelay/mx").split(separator: "\n").last
            == "_onion-mx._tcp.example.org. 3600 IN SRV 0 5 25 \(Self.a).")
    }
}
