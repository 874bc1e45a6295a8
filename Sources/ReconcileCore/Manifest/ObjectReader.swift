import ReconcileYAML

/// Reads one YAML mapping into typed values, recording a diagnostic for every problem
/// instead of stopping at the first, so `validate` can report them all at once.
public final class ObjectReader {
    public let node: Node
    public let keyPath: String
    public let knownKeys: [String]
    public private(set) var diagnostics: Diagnostics
    private let entries: [String: (key: Node, value: Node)]
    private var children: [ObjectReader] = []
    /// Unknown keys and where their diagnostic is, so a nested mapping that knows one can say so.
    private var unknownKeys: [(key: String, diagnostic: Int)] = []

    /// Reports unknown keys right away, with a suggestion when one is close.
    public init(node: Node, keyPath: String, knownKeys: [String]) {
        self.node = node
        self.keyPath = keyPath
        self.knownKeys = knownKeys
        self.diagnostics = Diagnostics()
        let pairs = node.mapping ?? []
        var entries: [String: (key: Node, value: Node)] = Dictionary(minimumCapacity: pairs.count)
        for pair in pairs {
            guard let key = pair.key.scalar else { continue }
            entries[key] = pair
            if !knownKeys.contains(key) {
                unknownKeys.append((key, diagnostics.items.count))
                diagnostics.error(
                    at: pair.key.mark, length: key.count, keyPath: Self.join(keyPath, key),
                    "unknown key" + Suggestion.didYouMean(key, in: knownKeys))
            }
        }
        self.entries = entries
        if node.mapping == nil {
            diagnostics.error(at: node.mark, keyPath: keyPath, "expected a mapping, found a \(node.kindName)")
        }
    }

    /// Every diagnostic of this reader and the nested ones it handed out.
    public var allDiagnostics: [Diagnostic] {
        diagnostics.items + children.flatMap(\.allDiagnostics)
    }

    public func path(_ key: String) -> String { Self.join(keyPath, key) }

    static func join(_ prefix: String, _ key: String) -> String {
        prefix.isEmpty ? key : "\(prefix).\(key)"
    }

    public func has(_ key: String) -> Bool { entries[key] != nil }
    public func value(_ key: String) -> Node? { entries[key]?.value }
    public func keyNode(_ key: String) -> Node? { entries[key]?.key }

    public func error(_ key: String, _ message: String, notes: [Diagnostic.Note] = []) {
        let target = entries[key]?.value ?? node
        diagnostics.error(at: target.mark, length: Self.underline(target), keyPath: path(key), message, notes: notes)
    }

    public func error(at node: Node, keyPath: String, _ message: String) {
        diagnostics.error(at: node.mark, length: Self.underline(node), keyPath: keyPath, message)
    }

    /// For problems located elsewhere, such as a line of a file the resource names.
    public func report(_ diagnostic: Diagnostic) {
        diagnostics.append(diagnostic)
    }

    public func warning(_ key: String, _ message: String) {
        let target = entries[key]?.value ?? node
        diagnostics.warning(at: target.mark, length: Self.underline(target), keyPath: path(key), message)
    }

    /// A key that must be there.
    public func requireKey(_ key: String) -> Node? {
        guard let value = entries[key]?.value, !value.isNull else {
            diagnostics.error(at: node.mark, keyPath: path(key), "missing required key \"\(key)\"")
            return nil
        }
        return value
    }

    public func string(_ key: String, required: Bool = false) -> String? {
        guard let value = required ? requireKey(key) : entries[key]?.value else { return nil }
        if value.isNull && !required { return nil }
        guard let text = value.scalar else {
            error(key, "expected a string, found a \(value.kindName)")
            return nil
        }
        return text
    }

    public func bool(_ key: String) -> Bool? {
        guard let value = entries[key]?.value, !value.isNull else { return nil }
        guard let flag = value.bool else {
            error(key, "expected true or false, found \(Self.describe(value))")
            return nil
        }
        return flag
    }

    public func int(_ key: String, range: ClosedRange<Int>? = nil) -> Int? {
        guard let value = entries[key]?.value, !value.isNull else { return nil }
        guard let number = value.int else {
            error(key, "expected an integer, found \(Self.describe(value))")
            return nil
        }
        if let range, !range.contains(number) {
            error(key, "must be between \(range.lowerBound) and \(range.upperBound), found \(number)")
            return nil
        }
        return number
    }

    /// One of a fixed set of words, with a suggestion for near misses.
    public func choice<Value: RawRepresentable & CaseIterable>(_ key: String, as type: Value.Type) -> Value?
    where Value.RawValue == String {
        guard let text = string(key) else { return nil }
        if let value = Value(rawValue: text) { return value }
        let allowed = Value.allCases.map(\.rawValue)
        error(key, "\"\(text)\" is not one of \(allowed.map { "\"\($0)\"" }.joined(separator: ", "))"
            + Suggestion.didYouMean(text, in: allowed))
        return nil
    }

    /// A list of scalars, each with its mark for later errors.
    public func stringList(_ key: String) -> [(String, Node)]? {
        guard let value = entries[key]?.value, !value.isNull else { return nil }
        guard let items = value.sequence else {
            error(key, "expected a list, found a \(value.kindName)")
            return nil
        }
        var result: [(String, Node)] = []
        for (index, item) in items.enumerated() {
            guard let text = item.scalar else {
                error(at: item, keyPath: "\(path(key))[\(index)]", "expected a string, found a \(item.kindName)")
                continue
            }
            result.append((text, item))
        }
        return result
    }

    /// A nested mapping, read by its own reader whose diagnostics roll up into this one.
    public func object(_ key: String, knownKeys: [String]) -> ObjectReader? {
        // A key of the nested mapping found here lost its indentation: say where it belongs.
        for unknown in unknownKeys where knownKeys.contains(unknown.key) {
            diagnostics.amend(unknown.diagnostic, with: "; \(unknown.key) belongs under \(key): (indent it there)")
        }
        guard let value = entries[key]?.value, !value.isNull else { return nil }
        let child = ObjectReader(node: value, keyPath: path(key), knownKeys: knownKeys)
        children.append(child)
        return value.mapping == nil ? nil : child
    }

    /// Insists that at most one (or exactly one, when `required`) of the keys is given.
    @discardableResult
    public func exclusive(_ keys: [String], required: Bool) -> String? {
        let given = keys.filter { entries[$0].map { !$0.value.isNull } ?? false }
        if given.count > 1 {
            error(given[1], "\"\(given[0])\" and \"\(given[1])\" cannot both be given")
            return nil
        }
        if given.isEmpty && required, let first = keys.first {
            diagnostics.error(
                at: node.mark, keyPath: path(first),
                "one of \(keys.map { "\"\($0)\"" }.joined(separator: ", ")) is required")
        }
        return given.first
    }

    static func describe(_ node: Node) -> String {
        node.scalar.map { "\"\($0)\"" } ?? "a \(node.kindName)"
    }

    static func underline(_ node: Node) -> Int {
        guard let text = node.scalar, node.mark.line == node.endMark.line else { return 1 }
        return max(1, min(text.count, node.endMark.column - node.mark.column))
    }
}

extension ObjectReader {
    /// Whole seconds, or a number with s, m, h or d.
    public func duration(_ key: String) -> Int? {
        guard let node = value(key), !node.isNull else { return nil }
        if let seconds = node.int {
            guard seconds >= 1 else {
                error(key, "must be at least 1 second, found \(seconds)")
                return nil
            }
            return seconds
        }
        guard let text = string(key) else { return nil }
        let units = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        guard let suffix = text.last, let factor = units[String(suffix)], let value = Int(text.dropLast()), value >= 1,
              value <= Int(Int32.max) / factor else {
            error(key, "expected seconds or a duration like \"90s\", \"30m\", \"2h\" or \"1d\", found \"\(text)\"")
            return nil
        }
        return value * factor
    }
}
