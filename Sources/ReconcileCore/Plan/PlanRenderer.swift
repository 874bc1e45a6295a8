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
        var text = ""
        render(plan) { text += $0 }
        return text
    }

    /// The same text a change at a time: a plan of thousands of new files is hundreds of
    /// megabytes of diff, never held whole.
    public func render(_ plan: Plan, to output: (String) throws -> Void) rethrows {
        let origin = plan.source == .facts ? "from facts" : "live"
        try output(paint("Plan for host \(TerminalText.escaped(plan.host)) (\(origin), root \(TerminalText.escaped(plan.root)))", .bold) + "\n\n")
        let shown = showUnchanged ? plan.changes : plan.changes.filter(\.hasChanges)
        // Each change's text on all cores (a new file's diff is derived from its content), a
        // chunk at a time so that only a chunk's text is held, written in order.
        for start in stride(from: 0, to: shown.count, by: Self.chunk) {
            let texts = Array(shown[start..<min(start + Self.chunk, shown.count)]).concurrentMap(minimumCount: 64) { change in
                render(change)
            }
            for text in texts { try output(text) }
        }
        var closing: [String] = plan.hasChanges ? [""] : []
        closing.append(contentsOf: inventoryNotes(plan))
        closing.append(summary(plan))
        try output(Self.lines(closing))
    }

    /// Changes rendered together: enough to keep both cores busy, few enough to hold.
    static let chunk = 512

    private static func lines(_ lines: [String]) -> String {
        lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }

    /// One change's lines, each ending in a line feed; appended to one string (a new file's diff
    /// is a line per line of content: no array of them, no joining).
    func render(_ change: Change) -> String {
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
        var text = ""
        func line(_ indent: String, _ content: String) {
            text += indent
            text += content
            text += "\n"
        }
        line("  ", header)
        for reason in change.reasons {
            line("      ", TerminalText.escaped(reason))
        }
        for warning in change.warnings {
            line("      ", paint("warning: \(TerminalText.escaped(warning))", .yellow))
        }
        for step in change.steps {
            line("      ", paint("• ", .dim) + TerminalText.escaped(step.summary))
            if case .writeFile(let write) = step, let additions = write.additions {
                appendDiff(additions, to: &text)
                continue
            }
            let details = step.details
            text.reserveCapacity(text.utf8.count + details.reduce(0) { $0 + $1.utf8.count + 11 })
            for detail in details {
                line("          ", paintDiffLine(TerminalText.escaped(detail)))
            }
        }
        for trigger in change.triggers {
            line("      ", paint("↻ ", .dim) + "queues systemctl " + TerminalText.escaped(trigger.systemctl.arguments.joined(separator: " ")))
        }
        return text
    }

    /// A new file's diff, the lines `details` would give, without a String per line (most of
    /// rendering a plan of 50,000 new files): a line of printable ASCII, nearly every line of a
    /// configuration file, is copied as bytes when there is no colour; any other line is escaped
    /// and painted as `details` are.
    private func appendDiff(_ additions: UnifiedDiff.Additions, to text: inout String) {
        guard additions.lineCount > 0 else { return }
        let indent = "          "
        func detail(_ line: String) -> String { indent + paintDiffLine(TerminalText.escaped(line)) + "\n" }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(additions.added.utf8.count + additions.lineCount * (indent.utf8.count + 2) + 256)
        for header in additions.header { bytes.append(contentsOf: detail(header).utf8) }
        var added = additions.added
        added.withUTF8 { content in
            var start = 0
            while true {
                var end = start
                while end < content.count && content[end] != UInt8(ascii: "\n") { end += 1 }
                let line = UnsafeBufferPointer(rebasing: content[start..<end])
                if !colour && line.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) {
                    bytes.append(contentsOf: indent.utf8)
                    bytes.append(UInt8(ascii: "+"))
                    bytes.append(contentsOf: line)
                    bytes.append(UInt8(ascii: "\n"))
                } else {
                    bytes.append(contentsOf: detail("+" + String(decoding: line, as: UTF8.self)).utf8)
                }
                guard end < content.count else { break }
                start = end + 1
            }
        }
        if let trailer = additions.trailer { bytes.append(contentsOf: detail(trailer).utf8) }
        text += String(decoding: bytes, as: UTF8.self)
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
