import ReconcileYAML

/// The values one host sees: of every `kind: Values` document that selects it, the most specific
/// definition of each name (see `ValuesDocument.specificity`), with references inside values
/// resolved. Two equally specific documents that set one name differently are an error.
public struct HostValues: Sendable {
    public let host: HostIdentity
    /// The winning definition of each name.
    public let definitions: [String: ValuesDocument.Definition]
    /// Each value with its own references resolved; names whose value could not be resolved are absent.
    public let resolved: [String: Node]

    public static func merge(_ documents: [ValuesDocument], for host: HostIdentity) -> (HostValues, [Diagnostic]) {
        var winners: [String: (definition: ValuesDocument.Definition, specificity: ValuesDocument.Specificity)] = [:]
        var diagnostics: [Diagnostic] = []
        for document in documents where document.applies(to: host) {
            let specificity = document.specificity
            for definition in document.definitions {
                guard let current = winners[definition.name] else {
                    winners[definition.name] = (definition, specificity)
                    continue
                }
                if specificity > current.specificity {
                    winners[definition.name] = (definition, specificity)
                } else if specificity == current.specificity && !definition.node.sameContent(as: current.definition.node) {
                    diagnostics.append(.error(
                        at: definition.node.mark, keyPath: "values.\(definition.name)",
                        "values.\(definition.name) is set differently for host \(host.name) by two Values documents selected "
                            + "equally specifically (\(specificity)): \(current.definition.document) and \(definition.document); "
                            + "set it once, or select one of them more specifically (a host name beats labels, more labels beat fewer)",
                        notes: [.init(mark: current.definition.node.mark, message: "the other value, in \(current.definition.document)")]))
                }
            }
        }
        let resolution = ValueResolution(host: host, definitions: winners.mapValues(\.definition))
        for name in resolution.definitions.keys.sorted() {
            _ = resolution.value(name)
        }
        diagnostics.append(contentsOf: resolution.diagnostics)
        return (HostValues(host: host, definitions: resolution.definitions, resolved: resolution.resolved), diagnostics)
    }

    /// A resolver of documents' references for this host.
    var resolver: NodeResolver {
        NodeResolver(host: host, definitions: definitions, lookUp: { [resolved] name in resolved[name] })
    }
}

/// Resolves the values' own references, each value once, naming cycles.
private final class ValueResolution {
    let host: HostIdentity
    let definitions: [String: ValuesDocument.Definition]
    var resolved: [String: Node] = [:]
    var failed: Set<String> = []
    var resolving: [String] = []
    var diagnostics: [Diagnostic] = []

    init(host: HostIdentity, definitions: [String: ValuesDocument.Definition]) {
        self.host = host
        self.definitions = definitions
    }

    func value(_ name: String) -> Node? {
        if let done = resolved[name] { return done }
        guard !failed.contains(name), let definition = definitions[name] else { return nil }
        if let start = resolving.firstIndex(of: name) {
            let cycle = resolving[start...] + [name]
            diagnostics.append(.error(
                at: definition.node.mark, keyPath: "values.\(name)",
                "values refer to each other in a cycle: " + cycle.map { "values.\($0)" }.joined(separator: " → ")))
            failed.insert(name)
            return nil
        }
        resolving.append(name)
        defer { resolving.removeLast() }
        var problems: [Diagnostic] = []
        var notes: [Mark: Diagnostic.Note] = [:]
        let resolver = NodeResolver(host: host, definitions: definitions, lookUp: { [unowned self] in self.value($0) })
        let node = resolver.resolve(definition.node, keyPath: "values.\(name)", problems: &problems, notes: &notes)
        guard problems.isEmpty else {
            diagnostics.append(contentsOf: problems)
            failed.insert(name)
            return nil
        }
        resolved[name] = node
        return node
    }
}
