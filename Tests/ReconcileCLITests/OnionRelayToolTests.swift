import Foundation
import ReconcileCore
import Testing

/// The applied relay against the real tools: tinycdb, Exim (exim4-daemon-heavy), Tor, Perl, named-checkzone.
@Suite(.serialized) struct OnionRelayToolTests {
    static let onionA = "tdgbhiqjnq7osklj6k7e4y37xhx6ytznp7ozqc2qxoqfhxfg3c5ygsid.onion"
    static let onionB = "stb647hkkbo4wx4mafdt5f4szq2br5gcrgrby4vt5lrg34j5h5gmyaad.onion"

    struct Applied {
        let stage = Stage()
        let dnsPort = Int.random(in: 20_000...40_000)

        init() throws {
            try stage.writeManifest("""
                kind: OnionRelay
                name: mx
                entries:
                  example.org: \(OnionRelayToolTests.onionA)
                  Lists.Example.org: \(OnionRelayToolTests.onionA)
                  example.net: \(OnionRelayToolTests.onionB)
                tor:
                  dnsPort: \(dnsPort)
                """)
            let run = try reconcile(["apply", "--auto-approve", "--root", stage.root, stage.manifest])
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        }

        var cdb: String { stage.root + "/etc/exim4/onionrelay.cdb" }
        var map: String { stage.root + "/etc/exim4/onionrelay.txt" }

        /// The applied snippets as one Exim configuration, with host paths moved under the stage.
        func eximConfiguration() throws -> String {
            let parts = ["main/05_reconcile_onionrelay", "router/150_reconcile_onionrelay", "transport/30_reconcile_onionrelay"]
                .map { stage.read("/etc/exim4/conf.d/" + $0) ?? "" }
            return ("primary_hostname = mx.test.invalid\n" + parts[0] + "begin routers\n" + parts[1] + "begin transports\n" + parts[2])
                .replacingOccurrences(of: "/etc/exim4/", with: stage.root + "/etc/exim4/")
        }
    }

    func tool(_ argv: [String], input: Data? = nil) throws -> CommandResult {
        try ProcessRunner().run(Command(argv, standardInput: input))
    }

    @Test func tinycdbBuildsTheSameBytesAndReadsOurs() throws {
        let applied = try Applied()
        let theirs = applied.stage.path + "/tinycdb.cdb"
        #expect(try tool(["cdb", "-c", "-m", theirs, applied.map]).status == 0)
        #expect(FileManager.default.contents(atPath: theirs) == FileManager.default.contents(atPath: applied.cdb))
        #expect(try tool(["cdb", "-q", applied.cdb, "lists.example.org"]).stdoutText == Self.onionA)
        #expect(try tool(["cdb", "-q", applied.cdb, "Lists.Example.org"]).status != 0, "stored lowercased only")
        let dump = try tool(["cdb", "-d", "-m", applied.cdb]).stdoutText
        #expect(dump == "example.net \(Self.onionB)\nexample.org \(Self.onionA)\nlists.example.org \(Self.onionA)\n")
    }

    @Test func eximLooksUpOurCDB() throws {
        let applied = try Applied()
        let configuration = applied.stage.path + "/exim.conf"
        try Data(try applied.eximConfiguration().utf8).write(to: URL(fileURLWithPath: configuration))
        let check = try tool(["exim", "-C", configuration, "-bV"])
        #expect(check.status == 0, "\(check.stderrText)")
        let lookup = try tool(["exim", "-C", configuration, "-be", "${lookup{example.net}cdb{\(applied.cdb)}}"])
        #expect(lookup.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == Self.onionB)
    }

    @Test func eximRoutesMappedDomainsThroughTorAndLeavesOthers() throws {
        let applied = try Applied()
        let configuration = applied.stage.path + "/exim.conf"
        try Data(try applied.eximConfiguration().utf8).write(to: URL(fileURLWithPath: configuration))
        let dns = Process()
        dns.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        dns.arguments = ["python3", repositoryRoot + "/Tests/integration/fake_dns.py", "\(applied.dnsPort)", "127.192.0.7"]
        let ready = Pipe()
        dns.standardOutput = ready
        try dns.run()
        // SIGKILL: a child spawned from a test thread may inherit a mask that blocks SIGTERM.
        defer {
            kill(dns.processIdentifier, SIGKILL)
            dns.waitUntilExit()
        }
        _ = ready.fileHandleForReading.availableData
        let routed = try tool(["exim", "-C", configuration, "-bt", "someone@Lists.Example.org"])
        #expect(routed.status == 0, "\(routed.stdoutText)\(routed.stderrText)")
        #expect(routed.stdoutText.contains("router = onionrelays, transport = onion_relay"))
        #expect(routed.stdoutText.contains("127.192.0.7"))
        let other = try tool(["exim", "-C", configuration, "-bt", "someone@unmapped.example"])
        #expect(other.status != 0)
        #expect(!other.stdoutText.contains("onionrelays"))
    }

    @Test func torAndPerlAcceptTheGeneratedFiles() throws {
        let applied = try Applied()
        let tor = try tool(["tor", "--verify-config", "-f", applied.stage.root + "/etc/tor/torrc"])
        #expect(tor.status == 0, "\(tor.stdoutText)")
        #expect(!tor.stdoutText.contains("obsolete"))
        let perl = try tool(["perl", "-c", applied.stage.root + "/etc/exim4/onionrelay.pl"])
        #expect(perl.stderrText.contains("syntax OK"))
    }

    @Test func aBrokenTorrcStopsTheApplyBeforeAnythingChanges() throws {
        let applied = try Applied()
        try applied.stage.writeManifest("""
            kind: OnionRelay
            name: mx
            entries:
              example.org: \(Self.onionA)
            tor:
              extraConfig: "NoSuchTorOption 1\\n"
            """)
        let run = try reconcile(["apply", "--auto-approve", "--root", applied.stage.root, applied.stage.manifest])
        #expect(run.status == 1)
        #expect(run.stderr.contains("Unknown option 'NoSuchTorOption'"))
        #expect(applied.stage.read("/etc/tor/torrc")?.contains("NoSuchTorOption") == false)
        #expect(try tool(["cdb", "-q", applied.cdb, "example.net"]).stdoutText == Self.onionB, "old map kept")
    }

    @Test func mapChangesAreShownPerEntryAndConverge() throws {
        let applied = try Applied()
        try applied.stage.writeManifest("""
            kind: OnionRelay
            name: mx
            entries:
              example.org: \(Self.onionB)
              new.example.org: \(Self.onionA)
            tor:
              dnsPort: \(applied.dnsPort)
            """)
        let plan = try reconcile(["plan", "--root", applied.stage.root, applied.stage.manifest])
        #expect(plan.stdout.contains("/etc/exim4/onionrelay.cdb: entries +1 -2 ~1"))
        #expect(plan.stdout.contains("  ~ example.org: \(Self.onionA) → \(Self.onionB)"))
        #expect(!plan.stdout.contains("check the new"), "only the map changed: nothing for tor or exim to check")
        #expect(try reconcile(["apply", "--auto-approve", "--root", applied.stage.root, applied.stage.manifest]).status == 0)
        #expect(try tool(["cdb", "-q", applied.cdb, "example.org"]).stdoutText == Self.onionB)
        #expect(try reconcile(["plan", "--detailed-exitcode", "--root", applied.stage.root, applied.stage.manifest]).status == 0)
    }

    @Test func srvExportPassesNamedCheckzone() throws {
        let stage = Stage()
        try stage.writeManifest("kind: OnionRelay\nname: mx\nentries:\n  example.org: \(Self.onionA)\n  lists.example.org: \(Self.onionB)\n")
        let export = try reconcile(["export", "srv", stage.manifest])
        #expect(export.status == 0)
        let zone = stage.path + "/example.org.zone"
        let head = "$TTL 3600\n@ IN SOA ns hostmaster 1 3600 600 86400 3600\n@ IN NS ns\nns IN A 192.0.2.1\n"
        try Data((head + export.stdout).utf8).write(to: URL(fileURLWithPath: zone))
        let check = try tool(["named-checkzone", "example.org", zone])
        #expect(check.status == 0, "\(check.stdoutText)")
        #expect(check.stdoutText.hasSuffix("OK\n"))
    }

    /// Debian's stock Exim ignores conf.d: a relay planned there would converge and route nothing.
    @Test func anEximThatIgnoresConfDIsAPlanErrorNotAWarning() throws {
        let stage = Stage()
        try stage.write("/etc/exim4/update-exim4.conf.conf", "dc_eximconfig_configtype='local'\ndc_use_split_config='false'\n")
        try stage.writeManifest("kind: OnionRelay\nname: mx\nentries:\n  example.org: \(Self.onionA)\n")
        let plan = try reconcile(["plan", "--root", stage.root, stage.manifest])
        #expect(plan.status == 1)
        #expect(plan.stderr.contains("error: exim: OnionRelay/mx: Debian's Exim on this host ignores /etc/exim4/conf.d"), "\(plan.stderr)")
        #expect(plan.stderr.contains("Set dc_use_split_config='true' there and run update-exim4.conf"), "\(plan.stderr)")
        try stage.write("/etc/exim4/update-exim4.conf.conf", "dc_eximconfig_configtype='local'\ndc_use_split_config='true'\n")
        #expect(try reconcile(["plan", "--root", stage.root, stage.manifest]).status == 0)
    }
}
