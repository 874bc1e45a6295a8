import ReconcileYAML

/// Replaces `${…}` references in a YAML tree for one host. A scalar that is one reference becomes
/// the value's node (a number, a list, a map) at the reference's place; references inside longer
/// strings are replaced by their text. Unchanged subtrees are returned as they are.
struct NodeResolver {
    let host: HostIdentity
    let definitions: [String: ValuesDocument.Definition]
    /// A value, resolved; nil when it has no definition or could not be resolved (then reported there).
    let lookUp: (String) -> Node?

    /// `notes`: for each place a value was put, where that value is defined, so a kind's error
    /// about it shows both.
    func resolve(_ node: Node, keyPath: String, problems: inout [Diagnostic], notes: inout [Mark: Diagnostic.Note]) -> Node {
        switch node.value {
        case .scalar(let text, let style):
            guard let (template, malformed) = ValueTemplate.parse(text) else { return node }
            for problem in malformed {
                problems.append(.error(at: shifted(node.mark, by: problem.column, style: style), keyPath: keyPath, problem.message))
            }
            let resolved = substitute(template, in: node, style: style, keyPath: keyPath, problems: &problems, notes: &notes)
            return malformed.isEmpty ? resolved : node
        case .sequence(let items):
            var changed = false
            let resolved = items.enumerated().map { index, item -> Node in
                let new = resolve(item, keyPath: "\(keyPath)[\(index)]", problems: &problems, notes: &notes)
                if new !== item { changed = true }
                return new
            }
            return changed ? Node(value: .sequence(resolved), mark: node.mark, endMark: node.endMark, tag: node.tag) : node
        case .mapping(let pairs):
            var changed = false
            let resolved = pairs.map { pair -> (key: Node, value: Node) in
                let name = pair.key.scalar ?? "?"
                let new = resolve(pair.value, keyPath: keyPath.isEmpty ? name : "\(keyPath).\(name)", problems: &problems, notes: &notes)
                if new !== pair.value { changed = true }
                return (pair.key, new)
            }
            return changed ? Node(value: .mapping(resolved), mark: node.mark, endMark: node.endMark, tag: node.tag) : node
        }
    }

    private func substitute(
        _ template: ValueTemplate, in node: Node, style: ScalarStyle, keyPath: String, problems: inout [Diagnostic],
        notes: inout [Mark: Diagnostic.Note]
    ) -> Node {
        if let reference = template.singleReference {
            guard let value = value(of: reference, at: node, column: 0, style: style, keyPath: keyPath, problems: &problems) else { return node }
            if case .value(let name) = reference, let definition = definitions[name] {
                notes[node.mark] = .init(mark: definition.node.mark, message: "values.\(name) is defined here (in \(definition.document))")
            }
            // The value itself, typed as written where it is defined, placed where it is used.
            return Node(value: value.value, mark: node.mark, endMark: node.endMark, tag: value.tag)
        }
        var text = ""
        var ok = true
        for part in template.parts {
            switch part {
            case .text(let literal):
                text += literal
            case .reference(let reference, let column):
                guard let value = value(of: reference, at: node, column: column, style: style, keyPath: keyPath, problems: &problems) else {
                    ok = false
                    continue
                }
                guard let scalar = value.scalar else {
                    problems.append(.error(
                        at: shifted(node.mark, by: column, style: style), keyPath: keyPath,
                        "\(reference) is a \(value.kindName): only a scalar can be part of a longer string (use it alone as the whole value)"))
                    ok = false
                    continue
                }
                if case .value(let name) = reference, let definition = definitions[name] {
                    notes[node.mark] = .init(mark: definition.node.mark, message: "values.\(name) is defined here (in \(definition.document))")
                }
                text += scalar
            }
        }
        guard ok else { return node }
        return Node(value: .scalar(text, style), mark: node.mark, endMark: node.endMark, tag: node.tag)
    }

    private func value(
        of reference: ValueReference, at node: Node, column: Int, style: ScalarStyle, keyPath: String, problems: inout [Diagnostic]
    ) -> Node? {
        let mark = shifted(node.mark, by: column, style: style)
        if host.name.isEmpty, reference.valueName == nil {
            problems.append(.error(at: mark, keyPath: keyPath, "\(reference) needs a host, and this check is for none (give --host, or --facts)"))
            return nil
        }
        switch reference {
        case .hostName:
            return Node(value: .scalar(host.name, .doubleQuoted), mark: node.mark, endMark: node.endMark)
        case .label(let key):
            guard let label = host.labels[key] else {
                let labels = host.labels.isEmpty ? "it has none" : "its labels: " + host.labels.keys.sorted().joined(separator: ", ")
                problems.append(.error(
                    at: mark, keyPath: keyPath,
                    "host \(host.name) has no label \(key) (\(labels))"))
                return nil
            }
            return Node(value: .scalar(label, .doubleQuoted), mark: node.mark, endMark: node.endMark)
        case .value(let name):
            if let value = lookUp(name) { return value }
            if definitions[name] == nil {
                let known = definitions.keys.sorted()
                problems.append(.error(
                    at: mark, keyPath: keyPath,
                    "values.\(name) is not defined for host \(host.name)"
                        + (known.isEmpty ? " (no Values document selects it)" : " (defined: \(known.joined(separator: ", ")))")
                        + Suggestion.didYouMean(name, in: known)))
            }
            // Defined but unresolvable: reported at its definition already.
            return nil
        }
    }

    /// The mark of a reference inside a scalar: on its line, past the opening quote if any.
    private func shifted(_ mark: Mark, by column: Int, style: ScalarStyle) -> Mark {
        let quote = (style == .singleQuoted || style == .doubleQuoted) ? 1 : 0
        guard style != .literal && style != .folded else { return mark }
        return Mark(file: mark.file, line: mark.line, column: mark.column + quote + column)
    }
}

extension ValueReference {
    var valueName: String? {
        if case .value(let name) = self { return name }
        return nil
    }
}

extension Node {
    /// Whether any scalar in the tree holds `${` (a reference, or an escaped `$${`).
    var containsTemplate: Bool {
        switch value {
        case .scalar(let text, _): return text.containsTemplateOpening
        case .sequence(let items): return items.contains { $0.containsTemplate }
        case .mapping(let pairs): return pairs.contains { $0.key.containsTemplate || $0.value.containsTemplate }
        }
    }

    /// Same text, kind and shape: two definitions of one value that agree are not a conflict.
    func sameContent(as other: Node) -> Bool {
        guard tag == other.tag else { return false }
        switch (value, other.value) {
        case (.scalar(let left, let leftStyle), .scalar(let right, let rightStyle)):
            return left == right && (leftStyle == .plain) == (rightStyle == .plain)
        case (.sequence(let left), .sequence(let right)):
            return left.count == right.count && zip(left, right).allSatisfy { $0.sameContent(as: $1) }
        case (.mapping(let left), .mapping(let right)):
            return left.count == right.count
                && zip(left, right).allSatisfy { $0.key.sameContent(as: $1.key) && $0.value.sameContent(as: $1.value) }
        default:
            return false
        }
    }
}
