import ArgumentParser
import Foundation
import ReconcileCore

struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Sum up saved plans of many hosts: changes by action and risk per host, data-loss steps by name.",
        discussion: "PATHS are plan files (`plan --out`) or folders of them. Exit 1 when a plan cannot be read."
    )

    @Argument(help: ArgumentHelp("Plan files, or folders of *.json plans (summary.json is skipped).", valueName: "PATHS"))
    var paths: [String]

    @Flag(name: .long, help: "Print the summary as JSON (schemas/summary.schema.json).")
    var json = false

    @Flag(name: .long, help: "Exit 2 when any host has changes (0 when none do).")
    var detailedExitcode = false

    func run() throws {
        var summary = FleetSummary()
        do {
            for file in try planFiles() {
                summary.add(try Plan.load(from: try readFile(file), path: file), savedAt: file)
            }
        } catch {
            Terminal.writeError(TerminalText.escapedKeepingLineFeeds("error: \(error)"))
            throw CLIExit.failure
        }
        Terminal.write(json ? String(decoding: try summary.jsonData(), as: UTF8.self) + "\n" : summary.render())
        if detailedExitcode && summary.hasChanges { throw CLIExit.changes }
    }

    private func planFiles() throws -> [String] {
        try paths.flatMap { path -> [String] in
            guard FactsFiles.isDirectory(path) else { return [path] }
            return try FactsFiles.jsonFiles(in: path, skipping: ["summary.json"])
        }
    }
}
