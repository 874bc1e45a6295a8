import Foundation

/// Who a plan is for: the host's name and its labels (from `--label`, the host's labels file,
/// or its facts).
public struct HostIdentity: Sendable, Hashable, Codable, CustomStringConvertible {
    public var name: String
    public var labels: [String: String]

    public init(name: String, labels: [String: String] = [:]) {
        self.name = name
        self.labels = labels
    }

    public var description: String { name }
}

/// `hosts:` on a resource or at the top of a file: name patterns (any may match) and labels (all
/// must match). An empty selector matches every host.
public struct HostSelector: Sendable, Equatable, Codable {
    /// Shell globs (`mx*.example.org`), matched against the whole name.
    public var names: [String]
    public var labels: [String: String]

    public init(names: [String] = [], labels: [String: String] = [:]) {
        self.names = names
        self.labels = labels
    }

    public func matches(_ host: HostIdentity) -> Bool {
        let nameMatches = names.isEmpty || names.contains { fnmatch($0, host.name, 0) == 0 }
        return nameMatches && labels.allSatisfy { host.labels[$0.key] == $0.value }
    }

    public var description: String {
        var parts: [String] = []
        if !names.isEmpty { parts.append("names " + names.joined(separator: ", ")) }
        if !labels.isEmpty {
            parts.append("labels " + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", "))
        }
        return parts.isEmpty ? "every host" : parts.joined(separator: "; ")
    }

    static let keys = ["names", "labels"]
    /// Label keys and values as `--label KEY=VALUE` and the labels file write them.
    static func isValidLabelKey(_ key: String) -> Bool {
        guard let first = key.first, first.isLetter else { return false }
        return key.count <= 63 && key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-/".contains($0)) }
    }

    /// `hosts: [glob, …]` or `hosts: {names: [...], labels: {k: v}}`.
    static func read(_ reader: ObjectReader) -> HostSelector? {
        guard let node = reader.value("hosts"), !node.isNull else { return nil }
        if node.sequence != nil {
            return HostSelector(names: readNames(reader, "hosts"))
        }
        guard let object = reader.object("hosts", knownKeys: keys) else {
            reader.error("hosts", "expected a list of host name patterns or {names: [...], labels: {key: value}}")
            return nil
        }
        var selector = HostSelector(names: readNames(object, "names"))
        if let labels = object.value("labels"), !labels.isNull {
            guard let pairs = labels.mapping else {
                object.error("labels", "expected a mapping of label keys to values, like {role: mx}")
                return selector
            }
            for (key, value) in pairs {
                guard let name = key.scalar, isValidLabelKey(name) else {
                    object.error(at: key, keyPath: "hosts.labels", "\"\(key.scalar ?? "?")\" is not a label key (letters, digits, . _ - /)")
                    continue
                }
                guard let text = value.scalar, !value.isNull else {
                    object.error(at: value, keyPath: "hosts.labels.\(name)", "a label value is a string")
                    continue
                }
                selector.labels[name] = text
            }
        }
        if !object.has("names") && !object.has("labels") {
            reader.error("hosts", "give names:, labels: or both")
        }
        return selector
    }

    private static func readNames(_ reader: ObjectReader, _ key: String) -> [String] {
        var names: [String] = []
        for (index, (pattern, node)) in (reader.stringList(key) ?? []).enumerated() {
            guard !pattern.isEmpty, !pattern.contains(where: { $0.isWhitespace || $0 == "/" }) else {
                reader.error(at: node, keyPath: "\(reader.path(key))[\(index)]", "\"\(pattern)\" is not a host name pattern")
                continue
            }
            names.append(pattern)
        }
        return names
    }
}
