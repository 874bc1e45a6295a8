import ArgumentParser
import ReconcileCore

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check manifests without touching the host.",
        discussion: "Reports every problem at once as file:line:column: error: key.path: message. Exits 1 on any error."
    )

    @OptionGroup var manifests: ManifestOptions
    @OptionGroup var hostOptions: HostOptions

    func run() throws {
        let loaded = try Session(options: hostOptions).loadManifests(manifests.paths)
        let files = Set(loaded.resources.compactMap { $0.meta.mark?.file }).count
        Terminal.write("\(loaded.resources.count) resources in \(files) files: valid.\n")
    }
}
