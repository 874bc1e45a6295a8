/// The torrc the relay needs: Tor resolves onion names to automapped addresses on its DNS port,
/// and carries the SMTP connection on its SOCKS port.
enum TorConfig {
    static func render(_ spec: OnionRelaySpec, resource: String) -> String {
        var text = """
            # Managed by reconcile (\(resource)); local edits are overwritten. Own lines go in tor.extraConfig.
            # Tor answers DNS for .onion names with automapped addresses Exim can route to.
            AutomapHostsOnResolve 1
            DNSPort \(spec.tor.dnsAddress):\(spec.tor.dnsPort)
            SocksPort \(spec.tor.socksAddress):\(spec.tor.socksPort)

            """
        if !spec.tor.extraConfig.isEmpty {
            text += "\n# tor.extraConfig\n" + spec.tor.extraConfig
            if !text.hasSuffix("\n") { text += "\n" }
        }
        return text
    }

    static let onionOnMXWarning = """
        this host runs an onion service for SMTP that forwards to 127.0.0.1:25: its connections reach the MX from \
        127.0.0.1, which mail servers trust; run it on another machine, or forward to another port or to 127.0.0.2
        """

    /// `HiddenServicePort 25` with no target, or a target on localhost port 25.
    static func runsMailOnionService(_ torrc: String) -> Bool {
        torrc.split(separator: "\n").contains { line in
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2, fields[0].lowercased() == "hiddenserviceport", fields[1] == "25" else { return false }
            guard fields.count >= 3 else { return true }
            let target = fields[2].lowercased()
            return target == "25" || target == "127.0.0.1:25" || target == "localhost:25" || target == "[::1]:25"
        }
    }

    /// Lines of a torrc that configure an onion service: dropping them loses that service.
    static func onionServiceLines(_ torrc: String) -> [String] {
        torrc.split(separator: "\n").map(String.init).filter {
            $0.trimmingCharacters(in: .whitespaces).lowercased().hasPrefix("hiddenservice")
        }
    }
}
