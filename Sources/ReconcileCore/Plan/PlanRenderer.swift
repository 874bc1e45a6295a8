/// The plan as a person reads it in a terminal; colour only when asked for.
public struct PlanRenderer: Sendable {
    public var colour: Bool
    /// Show resources without changes too.
    public var showUnchanged: Bool

    public init(colour: Bool, showUnchanged: Bool = false) {
        self.colour = colour
        self.showUnchanged = showUnchanged
    }

    public func render(_ plan: Plan) -> String {
        var lines: [String] = []
        let origin = plan.source == .facts ? "from facts" : "live"
        lines.append(paint("Plan for host \(TerminalText.escaped(plan.host)) (\(origin), root \(TerminalText.escaped(plan.root)))", .bold))
        lines.append("")
        for change in plan.changes where change.hasChanges || showUnchanged {
            lines.append(contentsOf: render(change))
        }
        if plan.hasChanges { lines.append("") }
        lines.append(contentsOf: inventoryNotes(plan))
        lines.append(summary(plan))
        return lines.joined(separator: "\n") + "\n"
    }

    func render(_ change: Change) -> [String] {
        let style = Self.style(for: change.action)
        let symbol = change.action.symbol.padding(toLength: 3, withPad: " ", startingAt: 0)
        var header = paint("\(symbol) \(TerminalText.escaped(change.address.description))", style) + "  " + change.action.rawValue
        switch change.cause {
        case .undeclared?: header += " (no longer declared)"
        case .drift?: header += " (changed outside reconcile)"
        default: break
        }
        if change.hasChanges {
            header += "  " + paint("[\(change.risk.rawValue)]", Self.style(for: change.risk))
        }
        var lines = ["  " + header]
        for reason in change.reasons {
            lines.append("      " + TerminalText.escaped(reason))
        }
        for warning in change.warnings {
            lines.append("      " + paint("warning: \(TerminalText.escaped(warning))", .yellow))
        }
        for step in change.steps {
            lines.append("      " + paint("• ", .dim) + TerminalText.escaped(step.summary))
            for line in step.details {
                lines.append("          " + paintDiffLine(TerminalText.escaped(line)))
            }
        }
        for trigger in change.triggers {
            lines.append("      " + paint("↻ ", .dim) + "queues systemctl " + TerminalText.escaped(trigger.systemctl.arguments.joined(separator: " ")))
        }
        return lines
    }

    /// Renames, resources kept by --keep-undeclared, and what --target left out.
    func inventoryNotes(_ plan: Plan) -> [String] {
        var lines: [String] = []
        for change in plan.changes {
            guard let old = change.renamedFrom else { continue }
            lines.append("Renamed: \(TerminalText.escaped(old.description)) → \(TerminalText.escaped(change.address.description)) "
                + "(the same resource on the host: the inventory follows, nothing is removed)")
        }
        for release in plan.released ?? [] {
            lines.append("Released: \(TerminalText.escaped(release.address.description)) is no longer declared; "
                + "\(TerminalText.escaped(release.reason)): it stays on the host, the inventory lets it go")
        }
        if let kept = plan.undeclaredKept, !kept.isEmpty {
            lines.append(paint("Kept (--keep-undeclared): \(kept.count == 1 ? "1 resource no longer declared stays" : "\(kept.count) resources no longer declared stay") "
                + "on the host and in the inventory: \(Self.list(kept))", .yellow))
        }
        if let targets = plan.targets, let leftOut = plan.leftOut {
            lines.append("Targets: \(targets.map(TerminalText.escaped).joined(separator: ", ")); left out: "
                + (leftOut.isEmpty ? "nothing" : "\(leftOut.count) resource\(leftOut.count == 1 ? "" : "s") (\(Self.list(leftOut)))"))
        }
        return lines
    }

    /// At most 10 addresses, then how many more.
    static func list(_ addresses: [ResourceAddress]) -> String {
        let shown = addresses.prefix(10).map { TerminalText.escaped($0.description) }.joined(separator: ", ")
        return addresses.count > 10 ? shown + " and \(addresses.count - 10) more" : shown
    }

    func summary(_ plan: Plan) -> String {
        let summary = plan.summary
        guard plan.hasChanges else {
            let matches = summary.noop == 1 ? "1 resource matches its manifest." : "\(summary.noop) resources match their manifests."
            return paint("No changes.", .green) + " " + matches
        }
        var text = "Plan: \(summary.create) to create, \(summary.update) to update, \(summary.replace) to replace, "
            + "\(summary.delete) to delete, \(summary.noop) unchanged."
        let undeclared = plan.changes.filter { $0.hasChanges && $0.cause == .undeclared }.count
        let drifted = plan.drifted.count
        if undeclared + drifted > 0 {
            text += "\nOf these: \(drifted) changed outside reconcile (drift), \(undeclared) no longer declared."
        }
        let risks = Risk.allCases.compactMap { risk in summary.risk[risk.rawValue].map { "\($0) \(risk.rawValue)" } }
        text += "\nRisk: " + risks.joined(separator: ", ") + "."
        if summary.risk[Risk.dataLoss.rawValue] != nil {
            text += "\n" + paint("This plan contains steps that can lose data.", .red)
        }
        return text
    }

    enum Style: String {
        case bold = "1"
        case dim = "2"
        case red = "31"
        case green = "32"
        case yellow = "33"
        case magenta = "35"
        case cyan = "36"
        case plain = "0"
    }

    static func style(for action: Action) -> Style {
        switch action {
        case .create: return .green
        case .update: return .yellow
        case .replace: return .magenta
        case .delete: return .red
        case .noop: return .plain
        }
    }

    static func style(for risk: Risk) -> Style {
        switch risk {
        case .safe: return .green
        case .restart: return .cyan
        case .disruptive: return .yellow
        case .dataLoss: return .red
        }
    }

    func paint(_ text: String, _ style: Style) -> String {
        guard colour, style != .plain else { return text }
        return "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m"
    }

    func paintDiffLine(_ line: String) -> String {
        if line.hasPrefix("+++") || line.hasPrefix("---") { return paint(line, .bold) }
        if line.hasPrefix("+") { return paint(line, .green) }
        if line.hasPrefix("-") { return paint(line, .red) }
        if line.hasPrefix("@@") { return paint(line, .cyan) }
        return line
    }
}
