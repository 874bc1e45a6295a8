import ArgumentParser
import ReconcileCore
import ReconcileProviders

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Print data derived from manifests for other systems.",
        subcommands: [ExportSRVCommand.self]
    )
}

struct ExportSRVCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "srv",
        abstract: "Print the _onion-mx._tcp SRV records of every OnionRelay map, in zone-file syntax.",
        discussion: "Paste into the zones of the mapped domains (named-checkzone accepts the lines)."
    )

    @OptionGroup var manifests: ManifestOptions
    @OptionGroup var hostOptions: HostOptions

    @Option(help: "Record TTL in seconds.") var ttl: Int = 3600
    @Option(help: "SRV priority.") var priority: Int = 0
    @Option(help: "SRV weight.") var weight: Int = 5
    @Option(help: "SMTP port of the onion MX.") var port: Int = 25

    func validate() throws {
        guard (0...65535).contains(priority), (0...65535).contains(weight), (1...65535).contains(port) else {
            throw ValidationError("priority and weight must be 0–65535 and port 1–65535")
        }
        guard ttl >= 0 else { throw ValidationError("--ttl must not be negative") }
    }

    func run() throws {
        let session = Session(options: hostOptions)
        let loaded = try session.loadManifests(manifests.paths, hosts: [try session.identity()])
        let records = SRVRecords(ttl: ttl, priority: priority, weight: weight, port: port)
        let relays = loaded.resources.compactMap { resource in
            (resource.spec as? OnionRelaySpec).map { (resource.address, $0) }
        }
        guard !relays.isEmpty else {
            Terminal.writeError("error: no OnionRelay resource in these manifests")
            throw CLIExit.failure
        }
        for (address, spec) in relays {
            Terminal.write(records.zoneLines(spec, resource: address.description))
        }
    }
}
