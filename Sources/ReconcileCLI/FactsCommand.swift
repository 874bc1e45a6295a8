import ArgumentParser
import Foundation
import ReconcileCore
import ReconcileJSON

struct FactsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "facts",
        abstract: "Probe the host for the manifests' resources and print the facts as JSON.",
        discussion: """
            Stable JSON (sorted keys, versioned): commit it or keep it as a CI artifact, then `plan --facts FILE` \
            anywhere. The facts carry the host's inventory (what reconcile last applied), and the facts of \
            inventory resources no longer declared, so plans from them remove those and name drift.
            """
    )

    @OptionGroup var manifests: ManifestOptions
    @OptionGroup var hostOptions: HostOptions

    @Option(name: .long, help: ArgumentHelp("Write the facts here instead of standard output.", valueName: "FILE"))
    var out: String?

    func run() throws {
        let session = Session(options: hostOptions)
        let identity = try session.identity()
        let loaded = try session.loadManifests(manifests.paths, hosts: [identity])
        let inventory = try session.inventory()
        let data: Data
        do {
            let facts = try session.planner.facts(loaded.resources, host: session.host, identity: identity, inventory: inventory)
            data = try CanonicalJSON.encode(facts, pretty: true) + Data("\n".utf8)
        } catch {
            throw session.fail(error)
        }
        if let out {
            try session.save(data, to: out)
        } else {
            Terminal.write(String(decoding: data, as: UTF8.self))
        }
    }
}
