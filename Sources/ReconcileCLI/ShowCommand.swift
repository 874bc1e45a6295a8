import ArgumentParser
import Foundation
import ReconcileCore

struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print a saved plan the way `plan` prints it; nothing is probed or loaded.",
        discussion: "For review of plans made elsewhere (a CI job's `plan --out`). Exit 1 when the file is not a plan."
    )

    @Argument(help: ArgumentHelp("A plan saved by `plan --out`.", valueName: "PLAN"))
    var path: String

    @OptionGroup var output: PlanOutputOptions

    func run() throws {
        let plan: Plan
        do {
            plan = try Plan.load(from: try readFile(path), path: path)
        } catch {
            Terminal.writeError(TerminalText.escapedKeepingLineFeeds("error: \(error)"))
            throw CLIExit.failure
        }
        try output.write(plan)
        if output.detailedExitcode && plan.hasChanges { throw CLIExit.changes }
    }
}
