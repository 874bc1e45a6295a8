import Foundation
import ReconcileCore
import ReconcileYAML

/// `kind: OnionRelay`: mail for the listed domains goes to their onion MX through Tor (the "Ehlo Onion" set-up: Exim routes those domains through Tor).
public struct OnionRelaySpec: ResourceSpec {
    public struct Entry: Codable, Sendable, Equatable {
        public var domain: String
        public var onion: String

        private enum CodingKeys: String, CodingKey {
            case domain = "domain", onion = "onion"
        }
    }

    public struct Tor: Codable, Sendable, Equatable {
        public var torrc = "/etc/tor/torrc"
        public var dnsAddress = "127.0.0.1"
        public var dnsPort = 5300
        public var socksAddress = "127.0.0.1"
        public var socksPort = 9050
        public var unit = "tor@default.service"
        /// The operator's own torrc lines, kept after the generated ones.
        public var extraConfig = ""

        private enum CodingKeys: String, CodingKey {
            case torrc = "torrc", dnsAddress = "dnsAddress", dnsPort = "dnsPort", socksAddress = "socksAddress"
            case socksPort = "socksPort", unit = "unit", extraConfig = "extraConfig"
        }
    }

    /// Debian's split configuration paths by default (`dc_use_split_config='true'`).
    public struct Exim: Codable, Sendable, Equatable {
        public var mainFile = "/etc/exim4/conf.d/main/05_reconcile_onionrelay"
        public var routerFile = "/etc/exim4/conf.d/router/150_reconcile_onionrelay"
        public var transportFile = "/etc/exim4/conf.d/transport/30_reconcile_onionrelay"
        public var perlFile = "/etc/exim4/onionrelay.pl"
        public var unit = "exim4.service"
        /// Keys of Debian's update-exim4.conf.conf the relay needs (`dc_use_split_config: "true"`),
        /// edited in place; nil when the manifest leaves that file alone.
        public var settings: [String: String]?

        private enum CodingKeys: String, CodingKey {
            case mainFile = "mainFile", routerFile = "routerFile", transportFile = "transportFile"
            case perlFile = "perlFile", unit = "unit", settings = "settings"
        }
    }

    /// Sorted by domain: the order of the map file and of the cdb's records.
    public var entries: [Entry]
    public var map = "/etc/exim4/onionrelay.txt"
    public var cdb = "/etc/exim4/onionrelay.cdb"
    public var tor = Tor()
    public var exim = Exim()

    public var managedPaths: [String] {
        [map, cdb, tor.torrc, exim.mainFile, exim.routerFile, exim.transportFile, exim.perlFile]
    }

    private enum CodingKeys: String, CodingKey {
        case entries = "entries", map = "map", cdb = "cdb", tor = "tor", exim = "exim"
    }
}

extension OnionRelaySpec {
    public static let kind = "OnionRelay"
    public static let keys = ["entries", "entriesFile", "map", "cdb", "tor", "exim"]
    static let torKeys = ["torrc", "dnsAddress", "dnsPort", "socksAddress", "socksPort", "unit", "extraConfig"]
    static let eximKeys = ["mainFile", "routerFile", "transportFile", "perlFile", "unit", "settings"]

    public static func decode(_ reader: ObjectReader, context: DecodeContext) -> OnionRelaySpec? {
        var spec = OnionRelaySpec(entries: [])
        spec.map = FileSpec.readAbsolutePath(reader, key: "map", required: false) ?? spec.map
        spec.cdb = FileSpec.readAbsolutePath(reader, key: "cdb", required: false) ?? spec.cdb
        if let tor = reader.object("tor", knownKeys: torKeys) {
            spec.tor.torrc = FileSpec.readAbsolutePath(tor, key: "torrc", required: false) ?? spec.tor.torrc
            spec.tor.dnsAddress = loopback(tor, "dnsAddress") ?? spec.tor.dnsAddress
            spec.tor.dnsPort = tor.int("dnsPort", range: 1...65535) ?? spec.tor.dnsPort
            spec.tor.socksAddress = loopback(tor, "socksAddress") ?? spec.tor.socksAddress
            spec.tor.socksPort = tor.int("socksPort", range: 1...65535) ?? spec.tor.socksPort
            spec.tor.unit = tor.string("unit") ?? spec.tor.unit
            spec.tor.extraConfig = tor.string("extraConfig") ?? ""
            if TorConfig.runsMailOnionService(spec.tor.extraConfig) {
                tor.warning("extraConfig", TorConfig.onionOnMXWarning)
            }
        }
        if let exim = reader.object("exim", knownKeys: eximKeys) {
            spec.exim.mainFile = FileSpec.readAbsolutePath(exim, key: "mainFile", required: false) ?? spec.exim.mainFile
            spec.exim.routerFile = FileSpec.readAbsolutePath(exim, key: "routerFile", required: false) ?? spec.exim.routerFile
            spec.exim.transportFile = FileSpec.readAbsolutePath(exim, key: "transportFile", required: false) ?? spec.exim.transportFile
            spec.exim.perlFile = FileSpec.readAbsolutePath(exim, key: "perlFile", required: false) ?? spec.exim.perlFile
            spec.exim.unit = exim.string("unit") ?? spec.exim.unit
            spec.exim.settings = readSettings(exim)
        }
        if context.state == .present {
            var collector = EntryCollector()
            switch reader.exclusive(["entries", "entriesFile"], required: true) {
            case "entries": collector.readInline(reader)
            case "entriesFile": collector.readFile(reader, context: context)
            default: break
            }
            spec.entries = collector.sortedEntries
        }
        let paths = spec.managedPaths
        if Set(paths).count != paths.count {
            reader.error("map", "map, cdb, torrc and the Exim files must all be different paths")
        }
        return spec
    }

    /// Tor's DNS and SOCKS ports must not be reachable from outside.
    private static func loopback(_ reader: ObjectReader, _ key: String) -> String? {
        guard let address = reader.string(key) else { return nil }
        guard address.hasPrefix("127.") || address == "::1" else {
            reader.error(key, "must be a loopback address (127.0.0.0/8 or ::1), found \"\(address)\"")
            return nil
        }
        return address
    }
}

/// Reads entries, inline or from a file, checking each and keeping where each came from,
/// so duplicates and conflicts name both places.
struct EntryCollector {
    private var seen: [String: (onion: String, mark: Mark)] = [:]
    private var entries: [OnionRelaySpec.Entry] = []

    var sortedEntries: [OnionRelaySpec.Entry] {
        entries.sorted { $0.domain.utf8.lexicographicallyPrecedes($1.domain.utf8) }
    }

    mutating func readInline(_ reader: ObjectReader) {
        guard let node = reader.value("entries") else { return }
        guard let pairs = node.mapping else {
            reader.error("entries", "expected a mapping of mail domain: onion address")
            return
        }
        for (key, value) in pairs {
            guard let domain = key.scalar, let onion = value.scalar else {
                reader.error(at: value, keyPath: "entries", "expected mail domain: onion address")
                continue
            }
            add(domain: domain, domainMark: key.mark, onion: onion, onionMark: value.mark,
                keyPath: "entries.\(domain)", report: reader.report)
        }
    }

    /// `domain onion` a line; blank lines and `#` comments are skipped.
    mutating func readFile(_ reader: ObjectReader, context: DecodeContext) {
        guard let given = reader.string("entriesFile") else { return }
        let path = context.resolveManifestRelative(given)
        guard let data = FileManager.default.contents(atPath: path) else {
            reader.error("entriesFile", "cannot read \(path)")
            return
        }
        guard let text = String(validatingUTF8Data: data) else {
            reader.error("entriesFile", "\(path) is not UTF-8 text")
            return
        }
        context.auxiliarySources.add(SourceText(path: path, text: text))
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let lineNumber = index + 1
            let indent = line.count - trimmed.count
            let fields = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" })
            let domainMark = Mark(file: path, line: lineNumber, column: indent + 1)
            guard fields.count == 2 else {
                reader.report(.error(
                    at: domainMark, length: trimmed.count, keyPath: "entriesFile",
                    "expected \"domain onion-address\", found \(fields.count) field\(fields.count == 1 ? "" : "s")"))
                continue
            }
            let onionColumn = (trimmed.range(of: fields[1]).map { trimmed.distance(from: trimmed.startIndex, to: $0.lowerBound) } ?? 0)
                + indent + 1
            add(domain: String(fields[0]), domainMark: domainMark, onion: String(fields[1]),
                onionMark: Mark(file: path, line: lineNumber, column: onionColumn),
                keyPath: "entriesFile", report: reader.report)
        }
    }

    private mutating func add(
        domain rawDomain: String, domainMark: Mark, onion rawOnion: String, onionMark: Mark, keyPath: String,
        report: (Diagnostic) -> Void
    ) {
        let domain: String
        switch MailDomain.normalise(rawDomain) {
        case .success(let normalised): domain = normalised
        case .failure(let problem):
            report(.error(at: domainMark, length: rawDomain.count, keyPath: keyPath, "\"\(rawDomain)\": \(problem)"))
            return
        }
        let onion: OnionAddress
        do {
            onion = try OnionAddress(parsing: rawOnion)
        } catch {
            report(.error(at: onionMark, length: rawOnion.count, keyPath: keyPath, "\"\(rawOnion)\": \(error)"))
            return
        }
        if let earlier = seen[domain] {
            let note = Diagnostic.Note(mark: earlier.mark, message: "\(domain) first mapped here")
            let message = earlier.onion == onion.host
                ? "\(domain) is listed twice"
                : "\(domain) is mapped to two onion addresses (\(earlier.onion) and \(onion.host))"
            report(.error(at: domainMark, length: rawDomain.count, keyPath: keyPath, message, notes: [note]))
            return
        }
        seen[domain] = (onion.host, domainMark)
        entries.append(.init(domain: domain, onion: onion.host))
    }
}

extension OnionRelaySpec {
    /// `settings:` as a map of debconf keys to strings (`"true"`, not `true`: the file holds text).
    static func readSettings(_ exim: ObjectReader) -> [String: String]? {
        guard let node = exim.value("settings"), !node.isNull else { return nil }
        guard let pairs = node.mapping else {
            exim.error("settings", "expected a mapping of dc_… keys to values, found a \(node.kindName)")
            return nil
        }
        var settings: [String: String] = [:]
        let keyPath = exim.path("settings")
        for (keyNode, valueNode) in pairs {
            guard let key = keyNode.scalar else { continue }
            if let problem = DebianEximSettings.keyProblem(key) {
                exim.error(at: keyNode, keyPath: keyPath, "\(TerminalText.quoted(key)): \(problem)")
                continue
            }
            guard let value = valueNode.scalar else {
                exim.error(at: valueNode, keyPath: "\(keyPath).\(key)", "expected a string, found a \(valueNode.kindName)")
                continue
            }
            if let problem = DebianEximSettings.valueProblem(value) {
                exim.error(at: valueNode, keyPath: "\(keyPath).\(key)", problem)
                continue
            }
            settings[key] = value
        }
        if settings["dc_use_split_config"].map({ $0 != "true" }) == true {
            exim.error("settings", "dc_use_split_config must be \"true\": the relay's router and transport are conf.d snippets")
        }
        return settings.isEmpty ? nil : settings
    }

    public func problems(name: String, state: ResourceState) -> [String] {
        var problems = SpecProblems()
        problems.paths([
            "map": map, "cdb": cdb, "tor.torrc": tor.torrc, "exim.mainFile": exim.mainFile, "exim.routerFile": exim.routerFile,
            "exim.transportFile": exim.transportFile, "exim.perlFile": exim.perlFile,
        ])
        problems.check(Set(managedPaths).count == managedPaths.count, "map", "map, cdb, torrc and the Exim files must all be different paths")
        problems.port("tor.dnsPort", tor.dnsPort)
        problems.port("tor.socksPort", tor.socksPort)
        for (key, address) in [("tor.dnsAddress", tor.dnsAddress), ("tor.socksAddress", tor.socksAddress)] {
            problems.check(address.hasPrefix("127.") || address == "::1", key, "must be a loopback address")
        }
        for (key, unit) in [("tor.unit", tor.unit), ("exim.unit", exim.unit)] {
            problems.check(UnitSpec.isUnitFileName(unit), key, "\(TerminalText.quoted(unit)) is not a unit name")
        }
        for (key, value) in (exim.settings ?? [:]).sorted(by: { $0.key < $1.key }) {
            if let problem = DebianEximSettings.keyProblem(key) { problems.check(false, "exim.settings", problem) }
            if let problem = DebianEximSettings.valueProblem(value) { problems.check(false, "exim.settings.\(key)", problem) }
        }
        for (index, entry) in entries.enumerated() {
            problems.check((try? MailDomain.normalise(entry.domain).get()) == entry.domain, "entries[\(index)].domain", "not a lowercase mail domain")
            problems.check((try? OnionAddress(parsing: entry.onion))?.host == entry.onion, "entries[\(index)].onion", "not a v3 onion address")
        }
        problems.check(
            zip(entries, entries.dropFirst()).allSatisfy { $0.domain.utf8.lexicographicallyPrecedes($1.domain.utf8) },
            "entries", "must be sorted by domain, each once")
        return problems.items
    }
}

extension OnionRelaySpec {
    public var hostIdentity: String { "onion relay map \(map)" }

    /// Removal deletes the managed paths; the map's entries are not needed for that.
    public var removalSpec: OnionRelaySpec {
        var spec = self
        spec.entries = []
        return spec
    }
}
