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
        lines.append(summary(plan))
        return lines.joined(separator: "\n") + "\n"
    }

    func render(_ change: Change) -> [String] {
        let style = Self.style(for: change.action)
        let symbol = change.action.symbol.padding(toLength: 3, withPad: " ", startingAt: 0)
        var header = paint("\(symbol) \(TerminalText.escaped(change.address.description))", style) + "  " + change.action.rawValue
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

    func summary(_ plan: Plan) -> String {
        let summary = plan.summary
        guard plan.hasChanges else {
            let matches = summary.noop == 1 ? "1 resource matches its manifest." : "\(summary.noop) resources match their manifests."
            return paint("No changes.", .green) + " " + matches
        }
        var text = "Plan: \(summary.create) to create, \(summary.update) to update, \(summary.replace) to replace, "
            + "\(summary.delete) to delete, \(summary.noop) unchanged."
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
