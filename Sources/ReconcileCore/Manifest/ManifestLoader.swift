import Foundation
import ReconcileYAML

/// Manifests read, decoded and checked: the resources, and every problem found on the way.
public struct LoadedManifests: Sendable {
    public var resources: [Resource]
    public var diagnostics: Diagnostics
    /// Source texts by path, for caret snippets.
    public var sources: [String: SourceText]
}

/// From YAML files to typed resources: parse, common keys, the kind's keys, then checks across resources.
public struct ManifestLoader: Sendable {
    public static let commonKeys = ["kind", "name", "state", "dependsOn"]
    public let registry: ProviderRegistry
    public var limits: YAMLLimits

    public init(registry: ProviderRegistry, limits: YAMLLimits = YAMLLimits()) {
        self.registry = registry
        self.limits = limits
    }

    public func load(paths: [String]) throws -> LoadedManifests {
        let files = try ManifestFiles.expand(paths)
        var inputs: [(path: String, bytes: [UInt8])] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ReconcileError.io(path: file, operation: "read", errno: EACCES)
            }
            inputs.append((file, [UInt8](data)))
        }
        return load(files: inputs)
    }

    public func load(files: [(path: String, bytes: [UInt8])]) -> LoadedManifests {
        var diagnostics = Diagnostics()
        var sources: [String: SourceText] = [:]
        var resources: [Resource] = []
        var graph: [GraphNode] = []
        let auxiliary = AuxiliarySources()
        for file in files {
            sources[file.path] = SourceText(path: file.path, text: String(decoding: file.bytes, as: UTF8.self))
            let parsed = YAMLLoader.load(bytes: file.bytes, path: file.path, limits: limits)
            for error in parsed.errors {
                diagnostics.error(at: error.mark, length: error.length, error.message)
            }
            if parsed.documents.isEmpty && parsed.errors.isEmpty {
                diagnostics.warning(at: Mark(file: file.path, line: 1, column: 1), "file holds no resources")
            }
            for document in parsed.documents {
                switch decode(document, path: file.path, auxiliary: auxiliary, diagnostics: &diagnostics) {
                case .resource(let resource):
                    resources.append(resource)
                    graph.append(GraphNode(resource))
                case .invalid(let meta?):
                    graph.append(GraphNode(meta: meta))
                case .invalid(nil):
                    break
                }
            }
        }
        diagnostics.append(contentsOf: GraphChecks.check(graph))
        for provider in registry.providers {
            let ofKind = resources.filter { $0.address.kind == provider.kind }
            if !ofKind.isEmpty {
                diagnostics.append(contentsOf: provider.validate(ofKind))
            }
        }
        sources.merge(auxiliary.all) { manifest, _ in manifest }
        return LoadedManifests(resources: resources, diagnostics: diagnostics, sources: sources)
    }

    /// A document that failed still yields its common keys when they were readable.
    private enum Decoded {
        case resource(Resource)
        case invalid(ResourceMeta?)
    }

    private func decode(
        _ document: YAMLDocument, path: String, auxiliary: AuxiliarySources, diagnostics: inout Diagnostics
    ) -> Decoded {
        if document.isEmpty {
            diagnostics.error(at: document.mark, "empty document: a resource needs at least \"kind\" and \"name\"")
            return .invalid(nil)
        }
        let root = document.root
        guard root.mapping != nil else {
            diagnostics.error(at: root.mark, "a resource must be a mapping with \"kind\" and \"name\", found a \(root.kindName)")
            return .invalid(nil)
        }
        guard let kindNode = root["kind"], let kind = kindNode.scalar, !kindNode.isNull else {
            diagnostics.error(at: root.mark, keyPath: "kind", "missing required key \"kind\"")
            return .invalid(nil)
        }
        guard let provider = registry.provider(for: kind) else {
            diagnostics.error(
                at: kindNode.mark, length: kind.count, keyPath: "kind",
                "unknown kind \"\(kind)\"" + Suggestion.didYouMean(kind, in: registry.kinds)
                    + " (known kinds: \(registry.kinds.joined(separator: ", ")))")
            return .invalid(nil)
        }
        let reader = ObjectReader(node: root, keyPath: "", knownKeys: Self.commonKeys + provider.keys)
        let name = reader.string("name", required: true)
        if let name, name.isEmpty || name.contains(where: { $0.isNewline }) {
            reader.error("name", "a name must be non-empty and on one line")
        }
        let state = reader.choice("state", as: ResourceState.self) ?? .present
        let dependsOn = readDependencies(reader)
        let spec = provider.decode(
            reader, context: DecodeContext(manifestPath: path, name: name ?? "", state: state, auxiliarySources: auxiliary))
        let found = reader.allDiagnostics
        diagnostics.append(contentsOf: found)
        guard let name else { return .invalid(nil) }
        let meta = ResourceMeta(
            address: ResourceAddress(kind: kind, name: name), state: state, dependsOn: dependsOn,
            mark: root.mark, nameMark: reader.value("name")?.mark, keyMarks: Self.valueMarks(of: root))
        guard let spec, !found.contains(where: { $0.severity == .error }) else { return .invalid(meta) }
        return .resource(Resource(meta: meta, spec: spec))
    }

    /// `size` → its value's mark, `cache.size` → the nested one's.
    static func valueMarks(of node: Node, prefix: String = "") -> [String: Mark] {
        var marks: [String: Mark] = [:]
        for (key, value) in node.mapping ?? [] {
            guard let name = key.scalar else { continue }
            let path = prefix.isEmpty ? name : "\(prefix).\(name)"
            marks[path] = value.mark
            if value.mapping != nil {
                marks.merge(valueMarks(of: value, prefix: path)) { outer, _ in outer }
            }
        }
        return marks
    }

    private func readDependencies(_ reader: ObjectReader) -> [DependencyReference] {
        var result: [DependencyReference] = []
        for (index, (text, node)) in (reader.stringList("dependsOn") ?? []).enumerated() {
            guard let address = ResourceAddress(parsing: text) else {
                reader.error(at: node, keyPath: "dependsOn[\(index)]", "\"\(text)\" is not a Kind/name address")
                continue
            }
            result.append(DependencyReference(address: address, mark: node.mark))
        }
        return result
    }
}
