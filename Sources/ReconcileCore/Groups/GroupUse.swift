import Foundation
import ReconcileYAML

/// `kind: Use`: one instance of a ResourceGroup. Its resources are named `NAME/RESOURCE`
/// (`File/mx1/motd`), their dependencies inside the group follow, and the Use's `hosts:` select
/// them all.
struct GroupUse: Sendable {
    static let kind = "Use"
    static let keys = ["kind", "name", "group", "with", "hosts"]

    let name: String
    /// The group file, resolved against the Use's own file.
    let groupPath: String
    let groupNode: Node
    let with: [(key: Node, value: Node)]
    let withNode: Node?
    let mark: Mark
    let scope: [HostSelector]

    static func read(_ root: Node, path: String, scope: [HostSelector], diagnostics: inout Diagnostics) -> GroupUse? {
        let reader = ObjectReader(node: root, keyPath: "", knownKeys: keys)
        let name = reader.string("name", required: true)
        if let name, name.isEmpty || name.contains(where: { $0.isNewline || $0 == "/" }) {
            reader.error("name", "a Use's name prefixes its resources' names: non-empty, one line, no \"/\"")
        }
        let group = reader.string("group", required: true)
        var with: [(key: Node, value: Node)] = []
        let withNode = reader.value("with")
        if let withNode, !withNode.isNull {
            if let pairs = withNode.mapping { with = pairs } else { reader.error("with", "expected a mapping of parameter names to values") }
        }
        let selectors = scope + [HostSelector.read(reader)].compactMap { $0 }
        diagnostics.append(contentsOf: reader.allDiagnostics)
        guard let name, let group, let groupNode = reader.value("group"),
              !reader.allDiagnostics.contains(where: { $0.severity == .error }) else { return nil }
        let resolved = DecodeContext(manifestPath: path, name: name, state: .present).resolveManifestRelative(group)
        return GroupUse(
            name: name, groupPath: DecodeContext.absolute(resolved), groupNode: groupNode, with: with,
            withNode: withNode, mark: root.mark, scope: selectors)
    }

    /// Where its resources' problems are also shown.
    var note: Diagnostic.Note { .init(mark: mark, message: "in Use \(name), an instance of \(groupPath)") }
}

/// One resource document made by a Use: the group's document with the parameters put in.
struct InstantiatedDocument: Sendable {
    let document: YAMLDocument
    /// Put before the resource's name in its address (`mx1` makes `File/mx1/motd`); its `name:`
    /// itself, which names the unit, package or account on the host, stays as written.
    let addressPrefix: String
    /// The group file: `source:` paths and errors are relative to it.
    let path: String
    let scope: [HostSelector]
    /// For every problem of the document.
    let notes: [Diagnostic.Note]
    /// For a problem at a place a parameter was put: where its value was given.
    let parameterNotes: [Mark: Diagnostic.Note]
}

/// Makes a Use's documents from its group: the parameters checked and put in, addresses
/// prefixed, dependencies inside the group rewritten; nested Uses followed, a group that uses
/// itself refused.
struct GroupInstantiation {
    /// Reads a group file by path (from the manifests given, else from disk).
    let load: (String) -> (documents: [YAMLDocument], error: String?)

    func instantiate(
        _ use: GroupUse, prefix: String? = nil, notes: [Diagnostic.Note] = [], stack: [String] = [], diagnostics: inout Diagnostics
    ) -> [InstantiatedDocument] {
        let prefix = prefix ?? use.name
        if stack.contains(use.groupPath) {
            diagnostics.append(.error(
                at: use.groupNode.mark, keyPath: "group",
                "the group \(use.groupPath) uses itself: " + (stack + [use.groupPath]).joined(separator: " → "), notes: notes))
            return []
        }
        let loaded = load(use.groupPath)
        if let error = loaded.error {
            diagnostics.append(.error(at: use.groupNode.mark, keyPath: "group", "cannot read the group \(use.groupPath): \(error)", notes: notes))
            return []
        }
        guard ResourceGroup.isDefinition(loaded.documents) else {
            diagnostics.append(.error(
                at: use.groupNode.mark, keyPath: "group",
                "\(use.groupPath) is not a group: its first document must be kind: \(ResourceGroup.kind)", notes: notes))
            return []
        }
        guard let group = ResourceGroup.read(loaded.documents, path: use.groupPath, diagnostics: &diagnostics),
              let params = parameters(of: use, in: group, notes: notes, diagnostics: &diagnostics) else { return [] }
        let notes = notes + [use.note]
        let groupAddresses = Set(group.documents.compactMap { document -> String? in
            guard let kind = document.root["kind"]?.scalar, let name = document.root["name"]?.scalar else { return nil }
            return "\(kind)/\(name)"
        })
        var result: [InstantiatedDocument] = []
        for document in group.documents where !document.isEmpty {
            var problems: [Diagnostic] = []
            var parameterNotes: [Mark: Diagnostic.Note] = [:]
            let root = ParameterSubstitution(params: params, group: group, prefix: prefix, groupAddresses: groupAddresses)
                .transform(document.root, problems: &problems, notes: &parameterNotes)
            diagnostics.append(contentsOf: problems.map { problem in notes.reduce(problem) { $0.adding(note: $1) } })
            guard problems.isEmpty else { continue }
            let made = YAMLDocument(root: root, isEmpty: false, mark: document.mark, index: document.index)
            if root["kind"]?.scalar == GroupUse.kind {
                if let nested = GroupUse.read(root, path: group.path, scope: use.scope, diagnostics: &diagnostics) {
                    result += instantiate(
                        nested, prefix: "\(prefix)/\(nested.name)", notes: notes, stack: stack + [use.groupPath], diagnostics: &diagnostics)
                }
                continue
            }
            result.append(InstantiatedDocument(
                document: made, addressPrefix: prefix, path: group.path, scope: use.scope, notes: notes, parameterNotes: parameterNotes))
        }
        return result
    }

    /// Each parameter's value: from `with:`, else its default; every mismatch reported at both places.
    private func parameters(
        of use: GroupUse, in group: ResourceGroup, notes: [Diagnostic.Note], diagnostics: inout Diagnostics
    ) -> [String: Node]? {
        var values: [String: Node] = [:]
        var ok = true
        let declared = Dictionary(group.parameters.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for (key, value) in use.with {
            let name = key.scalar ?? "?"
            guard let parameter = declared[name] else {
                diagnostics.append(.error(
                    at: key.mark, keyPath: "with.\(name)",
                    "the group \(group.name) has no parameter \(name)" + Suggestion.didYouMean(name, in: group.parameters.map(\.name))
                        + " (its parameters: \(group.parameters.map(\.name).joined(separator: ", ")))",
                    notes: notes + [.init(mark: group.mark, message: "the group \(group.name)")]))
                ok = false
                continue
            }
            guard parameter.type.accepts(value) || value.containsTemplate else {
                diagnostics.append(.error(
                    at: value.mark, keyPath: "with.\(name)", "\(name) must be a \(parameter.type.rawValue), found a \(value.kindName)",
                    notes: notes + [.init(mark: parameter.mark, message: "\(name) is declared here, a \(parameter.type.rawValue)")]))
                ok = false
                continue
            }
            values[name] = value
        }
        for parameter in group.parameters where values[parameter.name] == nil && !use.with.contains(where: { $0.key.scalar == parameter.name }) {
            guard let defaultValue = parameter.defaultValue else {
                diagnostics.append(.error(
                    at: use.withNode?.mark ?? use.mark, keyPath: "with",
                    "the group \(group.name) needs \(parameter.name) (a \(parameter.type.rawValue)), which has no default",
                    notes: notes + [.init(mark: parameter.mark, message: "\(parameter.name) is declared here")]))
                ok = false
                continue
            }
            values[parameter.name] = defaultValue
        }
        return ok ? values : nil
    }
}

/// `${params.NAME}` put in; dependencies inside the group rewritten to the instance's addresses.
/// Other references (`${values.…}`, `${host.…}`) and `$${` are left for the host's resolution.
private struct ParameterSubstitution {
    let params: [String: Node]
    let group: ResourceGroup
    let prefix: String
    /// `Kind/name` of the group's own resources.
    let groupAddresses: Set<String>

    func transform(_ root: Node, problems: inout [Diagnostic], notes: inout [Mark: Diagnostic.Note]) -> Node {
        guard case .mapping(let pairs) = root.value else { return substitute(root, problems: &problems, notes: &notes) }
        let rewritten = pairs.map { pair -> (key: Node, value: Node) in
            let value = substitute(pair.value, problems: &problems, notes: &notes)
            return ["dependsOn", "restartOn"].contains(pair.key.scalar) ? (pair.key, rewriteAddresses(value)) : (pair.key, value)
        }
        return Node(value: .mapping(rewritten), mark: root.mark, endMark: root.endMark, tag: root.tag)
    }

    private func rewriteAddresses(_ node: Node) -> Node {
        guard let items = node.sequence else { return node }
        let rewritten = items.map { item -> Node in
            guard let text = item.scalar, groupAddresses.contains(text), let slash = text.firstIndex(of: "/") else { return item }
            let address = "\(text[..<slash])/\(prefix)/\(text[text.index(after: slash)...])"
            return Node(value: .scalar(address, .doubleQuoted), mark: item.mark, endMark: item.endMark)
        }
        return Node(value: .sequence(rewritten), mark: node.mark, endMark: node.endMark, tag: node.tag)
    }

    private func substitute(_ node: Node, problems: inout [Diagnostic], notes: inout [Mark: Diagnostic.Note]) -> Node {
        switch node.value {
        case .scalar(let text, let style):
            guard text.contains("${params.") else { return node }
            return replace(text, style: style, in: node, problems: &problems, notes: &notes)
        case .sequence(let items):
            return Node(
                value: .sequence(items.map { substitute($0, problems: &problems, notes: &notes) }), mark: node.mark, endMark: node.endMark,
                tag: node.tag)
        case .mapping(let pairs):
            return Node(
                value: .mapping(pairs.map { ($0.key, substitute($0.value, problems: &problems, notes: &notes)) }), mark: node.mark,
                endMark: node.endMark, tag: node.tag)
        }
    }

    /// `${params.X}` alone takes the value's node; inside text, its scalar text.
    private func replace(
        _ text: String, style: ScalarStyle, in node: Node, problems: inout [Diagnostic], notes: inout [Mark: Diagnostic.Note]
    ) -> Node {
        var output = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${params.") {
            let before = rest[..<start.lowerBound]
            // `$${params.x}` is a literal, kept for the host's resolution to unescape.
            if before.hasSuffix("$") {
                output += rest[..<start.upperBound]
                rest = rest[start.upperBound...]
                continue
            }
            guard let close = rest[start.upperBound...].firstIndex(of: "}") else { break }
            let name = String(rest[start.upperBound..<close])
            guard let value = params[name] else {
                problems.append(.error(
                    at: node.mark, "${params.\(name)}: the group \(group.name) has no parameter \(name)"
                        + Suggestion.didYouMean(name, in: Array(params.keys))))
                return node
            }
            notes[node.mark] = .init(mark: value.mark, message: "params.\(name) is given here")
            if before.isEmpty && rest[rest.index(after: close)...].isEmpty && output.isEmpty {
                return Node(value: value.value, mark: node.mark, endMark: node.endMark, tag: value.tag)
            }
            guard let scalar = value.scalar else {
                problems.append(.error(
                    at: node.mark, "${params.\(name)} is a \(value.kindName): only a scalar can be part of a longer string"))
                return node
            }
            output += before + scalar
            rest = rest[rest.index(after: close)...]
        }
        output += rest
        return Node(value: .scalar(output, style), mark: node.mark, endMark: node.endMark, tag: node.tag)
    }
}
