import ArgumentParser
import Foundation
import ReconcileCore
import ReconcileJSON

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List the applies that changed this host, or show one with its steps.",
        discussion: """
            Each apply that changed something is recorded in STATE/history: start and end, result (complete, \
            failed at a step, interrupted), counts by action and risk, the manifests' git commit, and who ran \
            it (the user, SUDO_USER, GITLAB_USER_LOGIN, CI_JOB_URL). `history ID` adds its steps from the journal.
            """
    )

    @Argument(help: ArgumentHelp("Show this apply (an id from the list) with its steps.", valueName: "ID"))
    var id: String?

    @OptionGroup var hostOptions: HostOptions

    @Flag(name: .long, help: "Print JSON (schemas/history.schema.json).")
    var json = false

    @Option(name: .long, help: ArgumentHelp("List at most this many applies, newest first.", valueName: "N"))
    var limit: Int = 20

    func validate() throws {
        guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
    }

    struct Listing: Encodable {
        let formatVersion = 1
        let applies: [ApplyRecord]
    }

    struct Detail: Encodable {
        let formatVersion = 1
        let apply: ApplyRecord
        let journal: [Journal.Entry]
    }

    func run() throws {
        let session = Session(options: hostOptions)
        let state = hostOptions.stateDirectory
        try orFail(session) {
            guard let id else {
                let records = try ApplyHistory.list(state, limit: limit)
                if json { return try print(Listing(applies: records)) }
                Terminal.write(records.isEmpty ? "No applies recorded in \(TerminalText.escaped(state.path))/history.\n" : Self.table(records))
                return
            }
            guard let record = try ApplyHistory.load(state, id: id) else {
                let known = (try? ApplyHistory.list(state, limit: ApplyHistory.keep).map(\.id)) ?? []
                throw ReconcileError.notAllowed(
                    "no apply \(id) in \(state.path)/history" + Suggestion.didYouMean(id, in: known) + " (`reconcile history` lists them)")
            }
            let journal = Journal.entries(state, apply: record.id, from: record.journalOffset)
            if json { return try print(Detail(apply: record, journal: journal)) }
            Terminal.write(Self.detail(record, journal: journal))
        }
    }

    private func print(_ value: some Encodable) throws {
        Terminal.write(String(decoding: try CanonicalJSON.encode(value, pretty: true), as: UTF8.self) + "\n")
    }

    static func table(_ records: [ApplyRecord]) -> String {
        let rows = records.map { record in
            [record.id, record.startedAt, result(record), counts(record.summary), TerminalText.escaped(record.origin.description),
             record.origin.git.map { String($0.commit.prefix(12)) + ($0.branch.map { " (\(TerminalText.escaped($0)))" } ?? "") } ?? "-"]
        }
        let header = ["APPLY", "STARTED", "RESULT", "CHANGES", "BY", "COMMIT"]
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        return ([header] + rows).map { row in
            row.enumerated().map { $0.offset == row.count - 1 ? $0.element : $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }

    static func result(_ record: ApplyRecord) -> String {
        switch record.result {
        case .failed: return "failed" + (record.failure.map { " at \(TerminalText.escaped($0.address?.description ?? $0.step))" } ?? "")
        case .interrupted: return "interrupted" + (record.stepsDone.map { " after step \($0) of \(record.steps)" } ?? "")
        default: return record.result.rawValue
        }
    }

    static func counts(_ summary: Plan.Summary) -> String {
        let actions = [("create", summary.create), ("update", summary.update), ("replace", summary.replace), ("delete", summary.delete)]
            .filter { $0.1 > 0 }.map { "\($0.1) \($0.0)" }
        let risks = Risk.allCases.compactMap { risk in summary.risk[risk.rawValue].map { "\($0) \(risk.rawValue)" } }
        return actions.joined(separator: ", ") + (risks.isEmpty ? "" : "; " + risks.joined(separator: ", "))
    }

    static func detail(_ record: ApplyRecord, journal: [Journal.Entry]) -> String {
        var lines = [
            "Apply \(record.id) on \(TerminalText.escaped(record.host)) (root \(TerminalText.escaped(record.root)))",
            "  started:  \(record.startedAt)",
            "  ended:    \(record.endedAt ?? "-")",
            "  result:   \(result(record))",
            "  changes:  \(counts(record.summary)) (\(record.steps) steps)",
            "  by:       \(TerminalText.escaped(record.origin.description))",
        ]
        if let manifests = record.origin.manifests {
            lines.append("  from:     \(manifests.map(TerminalText.escaped).joined(separator: " "))")
        }
        if let saved = record.origin.savedPlan { lines.append("  from:     saved plan \(TerminalText.escaped(saved))") }
        if let git = record.origin.git {
            lines.append("  commit:   \(git.commit)\(git.branch.map { " (\(TerminalText.escaped($0)))" } ?? "") in \(TerminalText.escaped(git.workTree))")
        }
        if let targets = record.targets { lines.append("  targets:  \(targets.map(TerminalText.escaped).joined(separator: ", "))") }
        if let failure = record.failure {
            lines.append("  failure:  \(TerminalText.escaped(failure.address?.description ?? "-")): \(TerminalText.escaped(failure.step)): "
                + TerminalText.escaped(failure.message))
        }
        if let notAttempted = record.notAttempted {
            lines.append("  not attempted: \(notAttempted.map { TerminalText.escaped($0.description) }.joined(separator: ", "))")
        }
        lines.append("")
        lines.append("Journal:")
        for entry in journal {
            var line = "  \(entry.time)  \(entry.event)"
            if let address = entry.address { line += "  \(TerminalText.escaped(address))" }
            if let step = entry.step { line += ": \(TerminalText.escaped(step))" }
            if let detail = entry.detail { line += " (\(TerminalText.escaped(detail)))" }
            lines.append(line)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
