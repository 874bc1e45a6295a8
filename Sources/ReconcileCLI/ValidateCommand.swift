import ArgumentParser
import Foundation
import ReconcileCore

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check manifests without touching the host.",
        discussion: """
            Reports every problem at once as file:line:column: error: key.path: message. Exits 1 on any error. \
            Checks across resources (one path per File, dependencies) run per host: this one by default, \
            or every host of --facts (files or folders of `reconcile facts` output), naming the hosts a problem has.
            """
    )

    @OptionGroup var manifests: ManifestOptions
    @OptionGroup var hostOptions: HostOptions

    @Option(name: .long, help: ArgumentHelp("Check the view of every host in these facts files or folders (repeatable).", valueName: "PATH"))
    var facts: [String] = []

    @Option(name: .long, help: ArgumentHelp(
        "text (default), json (schemas/validate.schema.json) or gitlab (GitLab's Code Quality report), on stdout.",
        valueName: "FORMAT"))
    var format: ReportFormat = .text

    enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json, gitlab
    }

    func run() throws {
        let session = Session(options: hostOptions)
        let hosts: [HostIdentity]
        do {
            hosts = facts.isEmpty ? [try hostOptions.identity(files: session.files)] : try FactsFiles.load(facts).map(\.document.identity)
        } catch {
            throw session.fail(error)
        }
        guard format == .text else { return try report(session: session, hosts: hosts) }
        let loaded = try session.loadManifests(manifests.paths, hosts: hosts)
        let files = Set(loaded.declared.compactMap { $0.meta.mark?.file }).count
        let declared = Set(loaded.declared.map(\.address)).count
        let names = hosts.map(\.name).joined(separator: ", ")
        Terminal.write("\(declared) resources in \(files) files: valid for \(hosts.count == 1 ? "host" : "\(hosts.count) hosts:") \(names).\n")
        let unselected = declared - Set(loaded.resources.map(\.address)).count
        if unselected > 0 {
            Terminal.write("\(unselected) of them \(hosts.count == 1 ? "do not apply to this host" : "apply to none of these hosts")"
                + (facts.isEmpty ? "; check other hosts' views with --facts DIR.\n" : ".\n"))
        }
    }

    /// Every diagnostic on stdout in a machine format; exit 1 when any is an error.
    private func report(session: Session, hosts: [HostIdentity]) throws {
        let loaded = try session.loadManifests(manifests.paths, hosts: hosts, report: false)
        let diagnostics = loaded.diagnostics.sorted
        let data = format == .gitlab
            ? try DiagnosticReport.gitlab(diagnostics)
            : try DiagnosticReport.json(diagnostics, hosts: hosts.map(\.name), resources: Set(loaded.declared.map(\.address)).count)
        Terminal.write(String(decoding: data, as: UTF8.self) + "\n")
        if loaded.diagnostics.hasErrors { throw CLIExit.failure }
    }
}
