import ReconcileYAML

/// `kind: Values`: named values for the hosts its `hosts:` selects, used as `${values.NAME}`.
/// Not a resource: it changes nothing on a host, it is read before any resource is decoded.
public struct ValuesDocument: Sendable {
    public static let kind = "Values"
    public static let keys = ["kind", "name", "hosts", "values"]

    public struct Definition: Sendable {
        public let name: String
        public let node: Node
        /// Where the name is written (the value's own mark is `node.mark`).
        public let keyMark: Mark
        /// The `Values` document's name.
        public let document: String
    }

    public let name: String
    public let mark: Mark
    /// The file's `hosts:` and the document's own: a host must match all of them.
    public let hosts: [HostSelector]
    public let definitions: [Definition]

    public func applies(to host: HostIdentity) -> Bool { hosts.allSatisfy { $0.matches(host) } }

    /// How specific its selection is: a name pattern beats labels, more labels beat fewer, and a
    /// document without `hosts:` (every host) is the least specific.
    public var specificity: Specificity {
        Specificity(
            byName: hosts.contains { !$0.names.isEmpty },
            labels: Set(hosts.flatMap { $0.labels.keys }).count)
    }

    public struct Specificity: Sendable, Hashable, Comparable, CustomStringConvertible {
        public let byName: Bool
        public let labels: Int

        public static func < (lhs: Specificity, rhs: Specificity) -> Bool {
            (lhs.byName ? 1 : 0, lhs.labels) < (rhs.byName ? 1 : 0, rhs.labels)
        }

        public var description: String {
            if byName { return "by host name" }
            return labels == 0 ? "for every host" : "by \(labels) label\(labels == 1 ? "" : "s")"
        }
    }

    /// Reads one document; problems go to `diagnostics`, nil when it cannot be used at all.
    static func read(_ root: Node, fileHosts: HostSelector?, diagnostics: inout Diagnostics) -> ValuesDocument? {
        let reader = ObjectReader(node: root, keyPath: "", knownKeys: keys)
        let name = reader.string("name", required: true)
        let hosts = [fileHosts, HostSelector.read(reader)].compactMap { $0 }
        var definitions: [Definition] = []
        if let node = reader.value("values") {
            if let pairs = node.mapping {
                for (key, value) in pairs {
                    guard let text = key.scalar, ValueTemplate.isValueName(text) else {
                        reader.error(at: key, keyPath: "values", "\"\(key.scalar ?? "?")\" is not a value name (letters, digits and _, not first a digit)")
                        continue
                    }
                    definitions.append(Definition(name: text, node: value, keyMark: key.mark, document: name ?? "?"))
                }
            } else {
                reader.error("values", "expected a mapping of value names to values, like {cacheSize: 200M}")
            }
        } else {
            reader.error("values", "missing required key \"values\"")
        }
        diagnostics.append(contentsOf: reader.allDiagnostics)
        guard let name, !reader.allDiagnostics.contains(where: { $0.severity == .error }) else { return nil }
        return ValuesDocument(name: name, mark: root.mark, hosts: hosts, definitions: definitions)
    }
}
