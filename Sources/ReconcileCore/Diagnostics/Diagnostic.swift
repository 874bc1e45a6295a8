import ReconcileYAML

/// A problem found in manifests, facts or while planning; always carries where and what.
public struct Diagnostic: Sendable, Hashable {
    public enum Severity: String, Sendable, Hashable, Codable {
        case error
        case warning
    }

    /// A second location that explains the first ("first defined here").
    public struct Note: Sendable, Hashable {
        public let mark: Mark
        public let message: String
        public init(mark: Mark, message: String) {
            self.mark = mark
            self.message = message
        }
    }

    public let severity: Severity
    public let mark: Mark?
    /// Characters to underline at `mark`.
    public let length: Int
    /// `cache.mode`, `dependsOn[1]`; empty for problems with a whole file or document.
    public let keyPath: String
    public let message: String
    public let notes: [Note]

    public init(
        _ severity: Severity, at mark: Mark?, length: Int = 1, keyPath: String = "",
        _ message: String, notes: [Note] = []
    ) {
        self.severity = severity
        self.mark = mark
        self.length = max(1, length)
        self.keyPath = keyPath
        self.message = message
        self.notes = notes
    }

    public static func error(
        at mark: Mark?, length: Int = 1, keyPath: String = "", _ message: String, notes: [Note] = []
    ) -> Diagnostic {
        Diagnostic(.error, at: mark, length: length, keyPath: keyPath, message, notes: notes)
    }

    public static func warning(
        at mark: Mark?, length: Int = 1, keyPath: String = "", _ message: String, notes: [Note] = []
    ) -> Diagnostic {
        Diagnostic(.warning, at: mark, length: length, keyPath: keyPath, message, notes: notes)
    }

    /// `path:line:col: error: key.path: message`, the first line of the rendered form.
    public var headline: String {
        let location = mark.map { "\($0): " } ?? ""
        let key = keyPath.isEmpty ? "" : "\(keyPath): "
        return "\(location)\(severity.rawValue): \(key)\(message)"
    }
}

/// Collects diagnostics so that every problem is reported at once.
public struct Diagnostics: Sendable {
    public private(set) var items: [Diagnostic] = []

    public init(_ items: [Diagnostic] = []) {
        self.items = items
    }

    public mutating func append(_ diagnostic: Diagnostic) {
        items.append(diagnostic)
    }

    public mutating func append(contentsOf other: [Diagnostic]) {
        items.append(contentsOf: other)
    }

    public mutating func error(
        at mark: Mark?, length: Int = 1, keyPath: String = "", _ message: String, notes: [Diagnostic.Note] = []
    ) {
        items.append(.error(at: mark, length: length, keyPath: keyPath, message, notes: notes))
    }

    /// Adds to the message of the diagnostic at `index` (a hint found after it was reported).
    public mutating func amend(_ index: Int, with suffix: String) {
        guard items.indices.contains(index) else { return }
        let old = items[index]
        items[index] = Diagnostic(old.severity, at: old.mark, length: old.length, keyPath: old.keyPath, old.message + suffix, notes: old.notes)
    }

    public mutating func warning(at mark: Mark?, length: Int = 1, keyPath: String = "", _ message: String) {
        items.append(.warning(at: mark, length: length, keyPath: keyPath, message))
    }

    public var hasErrors: Bool { items.contains { $0.severity == .error } }
    public var errors: [Diagnostic] { items.filter { $0.severity == .error } }
    public var warnings: [Diagnostic] { items.filter { $0.severity == .warning } }

    /// In file order, so output reads top to bottom.
    public var sorted: [Diagnostic] {
        items.enumerated().sorted { lhs, rhs in
            switch (lhs.element.mark, rhs.element.mark) {
            case let (left?, right?) where left != right: return left < right
            case (nil, _?): return false
            case (_?, nil): return true
            default: return lhs.offset < rhs.offset
            }
        }.map(\.element)
    }
}

/// Raised when manifests cannot be turned into a plan; carries every diagnostic.
public struct DiagnosticsError: Error, Sendable {
    public let diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics
    }
}

extension Diagnostic {
    /// The same problem with one more note (nil: unchanged).
    func adding(note: Note?) -> Diagnostic {
        guard let note, !notes.contains(note) else { return self }
        return Diagnostic(severity, at: mark, length: length, keyPath: keyPath, message, notes: notes + [note])
    }

    func appendingToMessage(_ text: String) -> Diagnostic {
        Diagnostic(severity, at: mark, length: length, keyPath: keyPath, message + text, notes: notes)
    }
}
