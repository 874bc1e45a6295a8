import ReconcileYAML

/// A file whose first document is `kind: ResourceGroup`: parameters, then resources that use
/// them as `${params.NAME}`. Its resources exist only as instances, made by `kind: Use`.
/// (`kind: Group` is the Unix group kind.)
struct ResourceGroup: Sendable {
    static let kind = "ResourceGroup"
    static let keys = ["kind", "name", "parameters", "description"]
    static let parameterKeys = ["type", "default", "description"]

    enum ParameterType: String, Sendable, CaseIterable {
        case string, integer, boolean, list, map, any

        /// Whether a YAML value is of this type (a plain `3` is an integer, `"3"` a string).
        func accepts(_ node: Node) -> Bool {
            switch self {
            case .string: return node.scalar != nil && !node.isNull
            case .integer: return node.int != nil
            case .boolean: return node.bool != nil
            case .list: return node.sequence != nil
            case .map: return node.mapping != nil
            case .any: return true
            }
        }
    }

    struct Parameter: Sendable {
        let name: String
        let type: ParameterType
        let defaultValue: Node?
        let mark: Mark
    }

    let name: String
    let path: String
    let mark: Mark
    let parameters: [Parameter]
    /// The group's documents after its first: resources, and `kind: Use` of other groups.
    let documents: [YAMLDocument]

    static func isDefinition(_ documents: [YAMLDocument]) -> Bool {
        documents.first?.root["kind"]?.scalar == kind
    }

    /// Reads a group file's documents; problems go to `diagnostics`.
    static func read(_ documents: [YAMLDocument], path: String, diagnostics: inout Diagnostics) -> ResourceGroup? {
        guard let first = documents.first else { return nil }
        let reader = ObjectReader(node: first.root, keyPath: "", knownKeys: keys)
        let name = reader.string("name", required: true)
        _ = reader.string("description")
        var parameters: [Parameter] = []
        if let node = reader.value("parameters"), !node.isNull {
            if let pairs = node.mapping {
                for (key, value) in pairs {
                    guard let text = key.scalar, ValueTemplate.isValueName(text) else {
                        reader.error(at: key, keyPath: "parameters", "\"\(key.scalar ?? "?")\" is not a parameter name (letters, digits and _, not first a digit)")
                        continue
                    }
                    let spec = ObjectReader(node: value, keyPath: "parameters.\(text)", knownKeys: parameterKeys)
                    guard value.mapping != nil else {
                        reader.error(at: value, keyPath: "parameters.\(text)", "expected {type: string|integer|boolean|list|map|any, default: …}")
                        continue
                    }
                    let type = spec.choice("type", as: ParameterType.self) ?? .any
                    _ = spec.string("description")
                    let defaultValue = spec.value("default")
                    if let defaultValue, !type.accepts(defaultValue) {
                        spec.error("default", "the default is not a \(type.rawValue)")
                    }
                    diagnostics.append(contentsOf: spec.allDiagnostics)
                    parameters.append(Parameter(name: text, type: type, defaultValue: defaultValue, mark: key.mark))
                }
            } else {
                reader.error("parameters", "expected a mapping of parameter names to {type: …, default: …}")
            }
        }
        diagnostics.append(contentsOf: reader.allDiagnostics)
        guard let name else { return nil }
        return ResourceGroup(name: name, path: path, mark: first.root.mark, parameters: parameters, documents: Array(documents.dropFirst()))
    }
}
