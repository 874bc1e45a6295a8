import Foundation
import ReconcileYAML

/// Renders diagnostics with the offending line and a caret, as compilers do.
public struct DiagnosticRenderer: Sendable {
    public var sources: [String: SourceText]
    public var colour: Bool

    public init(sources: [String: SourceText], colour: Bool = false) {
        self.sources = sources
        self.colour = colour
    }

    public func render(_ diagnostic: Diagnostic) -> String {
        var lines = [styledHeadline(diagnostic)]
        if let mark = diagnostic.mark, let source = sources[mark.file] {
            lines.append(source.snippet(at: mark, length: diagnostic.length))
        }
        for note in diagnostic.notes {
            lines.append(TerminalText.escaped("\(note.mark): note: \(note.message)"))
            if let source = sources[note.mark.file] {
                lines.append(source.snippet(at: note.mark))
            }
        }
        return lines.joined(separator: "\n")
    }

    public func render(_ diagnostics: [Diagnostic]) -> String {
        let body = diagnostics.map(render).joined(separator: "\n")
        let errors = diagnostics.filter { $0.severity == .error }.count
        let warnings = diagnostics.count - errors
        guard !diagnostics.isEmpty else { return "" }
        return body + "\n" + Self.count(errors: errors, warnings: warnings) + "\n"
    }

    static func count(errors: Int, warnings: Int) -> String {
        func plural(_ n: Int, _ word: String) -> String { "\(n) \(word)\(n == 1 ? "" : "s")" }
        return "\(plural(errors, "error")), \(plural(warnings, "warning"))"
    }

    private func styledHeadline(_ diagnostic: Diagnostic) -> String {
        let headline = TerminalText.escapedKeepingLineFeeds(diagnostic.headline)
        guard colour else { return headline }
        let code = diagnostic.severity == .error ? "\u{1B}[1;31m" : "\u{1B}[1;33m"
        return "\u{1B}[1m" + headline.replacingFirst(
            "\(diagnostic.severity.rawValue):", with: "\(code)\(diagnostic.severity.rawValue):\u{1B}[0;1m"
        ) + "\u{1B}[0m"
    }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
