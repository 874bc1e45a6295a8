import ArgumentParser
import Foundation
import ReconcileCore

/// `reconcile`: declarative state reconciliation for Linux hosts.
public struct ReconcileCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Make a Linux host match its YAML manifests: probe, plan, apply.",
        discussion: """
            Manifests declare resources (File, SystemdUnit, ...). `plan` probes the host and prints what \
            would change, with reasons and risk; `apply` carries the plan out. Every run probes afresh, \
            so an interrupted apply is finished by the next one.

            Exit statuses: 0 success (no changes with --detailed-exitcode), 1 error, 2 changes \
            (with --detailed-exitcode), 3 changes some of which are drift (plan --drift-exitcode).
            Shell completion: reconcile --generate-completion-script bash|zsh|fish
            """,
        version: ReconcileVersion.current,
        subcommands: [
            ValidateCommand.self, PlanCommand.self, ApplyCommand.self, FactsCommand.self, CaptureCommand.self,
            ExportCommand.self, SummaryCommand.self, ShowCommand.self, HistoryCommand.self, ForgetCommand.self, ValuesCommand.self, ExplainCommand.self,
        ]
    )

    public init() {}

    /// `reconcile plna …`: ArgumentParser would say "2 unexpected arguments"; name the command meant.
    static func unknownCommand(_ arguments: [String]) -> String? {
        guard let first = arguments.first, !first.hasPrefix("-"), !first.contains("/"), !first.contains(".") else { return nil }
        let names = configuration.subcommands.compactMap { $0.configuration.commandName } + ["help"]
        guard !names.contains(first) else { return nil }
        return "unknown command \"\(TerminalText.escaped(first))\"" + Suggestion.didYouMean(first, in: names)
            + " (commands: \(names.joined(separator: ", ")))"
    }

    /// The entry point the executable calls; maps our exit statuses through ArgumentParser.
    public static func run(arguments: [String]? = nil) -> Never {
        // A closed pipe (`reconcile plan | head`) must not kill an apply half-way.
        signal(SIGPIPE, SIG_IGN)
        let given = arguments ?? Array(CommandLine.arguments.dropFirst())
        if given.first == "---completion" { ShellCompletion.answer(given) }
        if let unknown = unknownCommand(given) {
            Terminal.writeError("error: \(unknown)")
            Foundation.exit(64)
        }
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            Foundation.exit(0)
        } catch let error as ExitCodeError {
            Foundation.exit(error.status)
        } catch {
            exit(withError: error)
        }
    }
}
