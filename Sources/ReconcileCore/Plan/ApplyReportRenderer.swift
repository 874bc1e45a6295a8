/// The end-of-apply report: done, failed (with the command's own words), and not attempted.
public enum ApplyReportRenderer {
    public static func render(_ report: ApplyReport) -> String {
        var lines: [String] = []
        if report.succeeded {
            lines.append("Apply complete: \(report.completed.count) resource\(report.completed.count == 1 ? "" : "s") changed.")
        } else {
            lines.append("Apply FAILED.")
        }
        if !report.completed.isEmpty && !report.succeeded {
            lines.append("Done:")
            lines.append(contentsOf: report.completed.map { "  ✓ \(TerminalText.escaped($0.description))" })
        }
        if let failure = report.failure {
            lines.append("Failed:")
            lines.append("  ✗ " + TerminalText.escaped("\(failure.address.map { "\($0): " } ?? "")\(failure.step)"))
            lines.append(contentsOf: failure.message.split(separator: "\n").map { "      " + TerminalText.escaped(String($0)) })
        }
        if !report.notAttempted.isEmpty {
            lines.append("Not attempted:")
            lines.append(contentsOf: report.notAttempted.map { "  · \(TerminalText.escaped($0.description))" })
        }
        if !report.triggersRun.isEmpty {
            lines.append("Restarts and reloads run:")
            lines.append(contentsOf: report.triggersRun.map { "  ↻ \(TerminalText.escaped($0))" })
        }
        for failure in report.triggerFailures {
            lines.append("  ✗ " + TerminalText.escaped("\(failure.step): \(failure.message)"))
        }
        if let reason = report.inventoryNotRecorded {
            lines.append("The inventory could not record this apply (the host changed as shown): " + TerminalText.escaped(reason))
        }
        if !report.backupsPruned.isEmpty {
            lines.append("Old backups removed (backup policy): \(report.backupsPruned.joined(separator: ", "))")
        }
        for failure in report.backupsNotPruned {
            lines.append("  could not remove old backups \(failure)")
        }
        if !report.succeeded {
            lines.append("Run `reconcile plan` to see what is left; it plans only what is still to do.")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
