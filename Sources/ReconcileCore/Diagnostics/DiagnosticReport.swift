import Foundation
import ReconcileJSON
import ReconcileYAML

/// Diagnostics for programs: `validate --format json` (schemas/validate.schema.json) and GitLab's
/// Code Quality report (`--format gitlab`), which merge requests show inline.
public enum DiagnosticReport {
    /// One diagnostic with its place spelled out; the suggestion is split off the message.
    public struct Entry: Encodable, Sendable, Equatable {
        public var file: String?
        public var line: Int?
        public var column: Int?
        public var endLine: Int?
        public var endColumn: Int?
        public var keyPath: String
        public var severity: String
        public var message: String
        public var suggestion: String?
        public var notes: [Note]

        public struct Note: Encodable, Sendable, Equatable {
            public var file: String
            public var line: Int
            public var column: Int
            public var message: String
        }

        public init(_ diagnostic: Diagnostic) {
            file = diagnostic.mark?.file
            line = diagnostic.mark?.line
            column = diagnostic.mark?.column
            endLine = diagnostic.mark?.line
            endColumn = diagnostic.mark.map { $0.column + diagnostic.length - 1 }
            keyPath = diagnostic.keyPath
            severity = diagnostic.severity.rawValue
            let split = Self.splitSuggestion(diagnostic.message)
            message = split.message
            suggestion = split.suggestion
            notes = diagnostic.notes.map { Note(file: $0.mark.file, line: $0.mark.line, column: $0.mark.column, message: $0.message) }
        }

        /// `…; did you mean "X"?` → ("…", "X").
        static func splitSuggestion(_ message: String) -> (message: String, suggestion: String?) {
            guard let range = message.range(of: "; did you mean ", options: .backwards), message.hasSuffix("?") else { return (message, nil) }
            var suggestion = String(message[range.upperBound...].dropLast())
            if suggestion.count >= 2, suggestion.hasPrefix("\""), suggestion.hasSuffix("\"") {
                suggestion = String(suggestion.dropFirst().dropLast())
            }
            return (String(message[..<range.lowerBound]), suggestion)
        }
    }

    public struct Document: Encodable, Sendable {
        public var formatVersion = 1
        public var valid: Bool
        public var hosts: [String]
        public var resources: Int
        public var errors: Int
        public var warnings: Int
        public var diagnostics: [Entry]
    }

    public static func json(_ diagnostics: [Diagnostic], hosts: [String], resources: Int) throws -> Data {
        let entries = diagnostics.map(Entry.init)
        let errors = entries.filter { $0.severity == Diagnostic.Severity.error.rawValue }.count
        let document = Document(
            valid: errors == 0, hosts: hosts, resources: resources, errors: errors, warnings: entries.count - errors, diagnostics: entries)
        return try CanonicalJSON.encode(document, pretty: true)
    }

    /// GitLab's Code Quality format: a list of issues with a description, a check name, a
    /// fingerprint stable across runs (the same problem keeps its identity), severity and location.
    public static func gitlab(_ diagnostics: [Diagnostic]) throws -> Data {
        struct Issue: Encodable {
            struct Location: Encodable {
                struct Lines: Encodable { var begin: Int }
                var path: String
                var lines: Lines
            }
            var description: String
            var check_name: String
            var fingerprint: String
            var severity: String
            var location: Location
        }
        let issues = diagnostics.map { diagnostic -> Issue in
            let path = diagnostic.mark?.file ?? ""
            let description = (diagnostic.keyPath.isEmpty ? "" : "\(diagnostic.keyPath): ") + diagnostic.message
            return Issue(
                description: description, check_name: "reconcile-\(diagnostic.severity.rawValue)",
                fingerprint: Fingerprint.sha256(Data("\(path)\u{0}\(diagnostic.keyPath)\u{0}\(diagnostic.message)".utf8)),
                severity: diagnostic.severity == .error ? "major" : "minor",
                location: .init(path: path, lines: .init(begin: diagnostic.mark?.line ?? 1)))
        }
        return try CanonicalJSON.encode(issues, pretty: true)
    }
}
