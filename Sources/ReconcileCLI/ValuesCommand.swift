import ArgumentParser
import Foundation
import ReconcileCore
import ReconcileJSON

struct ValuesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "values",
        abstract: "Print the values a host sees (kind: Values, merged), with where each comes from.",
        discussion: """
            For this host (--host, --label, ROOT/etc/reconcile/labels), or every host of --facts. Of the Values \
            documents that select a host, the most specific sets each name: a host name beats labels, more \
            labels beat fewer, documents without hosts: come last; two equally specific ones that disagree are an error.
            """
    )

    @OptionGroup var manifests: ManifestOptions
    @OptionGroup var hostOptions: HostOptions

    @Option(name: .long, help: ArgumentHelp("The hosts of these facts files or folders instead (repeatable).", valueName: "PATH"))
    var facts: [String] = []

    @Flag(name: .long, help: "Print JSON: one object per host, each value with its document and file:line:column.")
    var json = false

    func run() throws {
        let session = Session(options: hostOptions)
        let hosts = try orFail(session) {
            facts.isEmpty ? [try hostOptions.identity(files: session.files)] : try FactsFiles.load(facts).map(\.document.identity)
        }
        let loaded = try session.loadManifests(manifests.paths, hosts: hosts)
        let reports = loaded.values.map(ValueReport.init)
        if json {
            Terminal.write(String(decoding: try CanonicalJSON.encode(["hosts": reports], pretty: true), as: UTF8.self) + "\n")
            return
        }
        Terminal.write(reports.map(Self.render).joined(separator: "\n"))
    }

    static func render(_ report: ValueReport) -> String {
        let labels = report.labels.isEmpty ? "no labels" : report.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
        var lines = ["Values for host \(TerminalText.escaped(report.host)) (\(TerminalText.escaped(labels))):"]
        if report.values.isEmpty { lines.append("  none: no Values document selects it") }
        let width = report.values.keys.map(\.count).max() ?? 0
        for name in report.values.keys.sorted() {
            guard let value = report.values[name] else { continue }
            let text = String(decoding: (try? CanonicalJSON.encodeCompact(value.value)) ?? Data(), as: UTF8.self)
            lines.append("  \(name.padding(toLength: width, withPad: " ", startingAt: 0)) = \(TerminalText.escaped(text))  "
                + "(\(TerminalText.escaped(value.document)), \(TerminalText.escaped(value.source)))")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
