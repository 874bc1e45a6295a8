import Foundation
import ReconcileYAML

/// Manifests read, decoded and checked: the resources, and every problem found on the way.
public struct LoadedManifests: Sendable {
    public var resources: [Resource]
    public var diagnostics: Diagnostics
    /// Source texts by path, for caret snippets.
    public var sources: [String: SourceText]
    /// Every resource declared, whichever hosts it is for (`resources` holds those of the hosts loaded for).
    public var declared: [Resource] = []
}

/// From YAML files to typed resources: parse, common keys, the kind's keys, then checks across resources.
public struct ManifestLoader: Sendable {
    public static let commonKeys = ["kind", "name", "state", "dependsOn", "hosts"]
    public let registry: ProviderRegistry
    public var limits: YAMLLimits

    public init(registry: ProviderRegistry, limits: YAMLLimits = YAMLLimits()) {
        self.registry = registry
        self.limits = limits
    }

    /// `hosts`: the hosts whose views are checked (each host's resources must agree among
    /// themselves); nil checks every resource together, as for a fleet without `hosts:` keys.
    public func load(paths: [String], hosts: [HostIdentity]? = nil) throws -> LoadedManifests {
        let files = try ManifestFiles.expand(paths)
        var inputs: [(path: String, bytes: [UInt8])] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ReconcileError.io(path: file, operation: "read", errno: EACCES)
            }
            inputs.append((file, [UInt8](data)))
        }
        return load(files: inputs, hosts: hosts)
    }

    public func load(files: [(path: String, bytes: [UInt8])], hosts: [HostIdentity]? = nil) -> LoadedManifests {
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
            for part in decode(parsed.documents, path: file.path, auxiliary: auxiliary) {
                diagnostics.append(contentsOf: part.diagnostics.items)
                switch part.decoded {
                case .resource(let resource):
                    resources.append(resource)
                    graph.append(GraphNode(resource))
                case .invalid(let meta?):
                    graph.append(GraphNode(meta: meta))
                case .invalid(nil), nil:
                    break
                }
            }
        }
        let views = HostViews(graph: graph, resources: resources, hosts: hosts)
        diagnostics.append(contentsOf: views.check(registry))
        sources.merge(auxiliary.all) { manifest, _ in manifest }
        return LoadedManifests(resources: views.selected, diagnostics: diagnostics, sources: sources, declared: resources)
    }

    /// One document's outcome: nil `decoded` for a file-scope document.
    private struct DecodedDocument: Sendable {
        var decoded: Decoded?
        var diagnostics: Diagnostics
    }

    /// Every document of one file, in order. Documents do not depend on each other (but for the
    /// file scope, read first), so they are decoded on all cores.
    private func decode(_ documents: [YAMLDocument], path: String, auxiliary: AuxiliarySources) -> [DecodedDocument] {
        var fileHosts: HostSelector?
        var parts: [DecodedDocument] = []
        var resourceDocuments: [(position: Int, document: YAMLDocument, fileHosts: HostSelector?)] = []
        for (index, document) in documents.enumerated() {
            var found = Diagnostics()
            if let scope = fileScope(document, index: index, diagnostics: &found) {
                fileHosts = scope
            } else {
                resourceDocuments.append((parts.count, document, fileHosts))
            }
            parts.append(DecodedDocument(decoded: nil, diagnostics: found))
        }
        // Decoding only reads the registry and the document; `auxiliary` takes its own lock.
        let decoded = resourceDocuments.concurrentMap(minimumCount: 256) { item in
            var found = Diagnostics()
            let outcome = decode(item.document, path: path, fileHosts: item.fileHosts, auxiliary: auxiliary, diagnostics: &found)
            return DecodedDocument(decoded: outcome, diagnostics: found)
        }
        for (item, outcome) in zip(resourceDocuments, decoded) {
            parts[item.position] = outcome
        }
        return parts
    }

    /// A first document with only `hosts:` limits every resource of its file.
    private func fileScope(_ document: YAMLDocument, index: Int, diagnostics: inout Diagnostics) -> HostSelector?? {
        let root = document.root
        guard !document.isEmpty, root.mapping != nil, root["kind"] == nil, root["hosts"] != nil else { return nil }
        let reader = ObjectReader(node: root, keyPath: "", knownKeys: ["hosts"])
        let selector = HostSelector.read(reader)
        if index != 0 {
            reader.error("hosts", "a document of only hosts: limits its whole file and must come first in it")
        }
        diagnostics.append(contentsOf: reader.allDiagnostics)
        return .some(selector)
    }

    /// A document that failed still yields its common keys when they were readable.
    private enum Decoded: Sendable {
        case resource(Resource)
        case invalid(ResourceMeta?)
    }

    private func decode(
        _ document: YAMLDocument, path: String, fileHosts: HostSelector?, auxiliary: AuxiliarySources,
        diagnostics: inout Diagnostics
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
        let hosts = [fileHosts, HostSelector.read(reader)].compactMap { $0 }
        let spec = provider.decode(
            reader, context: DecodeContext(manifestPath: path, name: name ?? "", state: state, auxiliarySources: auxiliary))
        let found = reader.allDiagnostics
        diagnostics.append(contentsOf: found)
        guard let name else { return .invalid(nil) }
        let meta = ResourceMeta(
            address: ResourceAddress(kind: kind, name: name), state: state, dependsOn: dependsOn,
            mark: root.mark, nameMark: reader.value("name")?.mark, keyMarks: Self.valueMarks(of: root), hosts: hosts)
        guard let spec, !found.contains(where: { $0.severity == .error }) else { return .invalid(meta) }
        return .resource(Resource(meta: meta, spec: spec))
    }

    /// `size` → its value's mark, `cache.size` → the nested one's.
    static func valueMarks(of node: Node, prefix: String = "") -> [String: Mark] {
        // Sized up front: this runs for every resource, and growing a dictionary rehashes it.
        var marks: [String: Mark] = Dictionary(minimumCapacity: node.mapping?.count ?? 0)
        for (key, value) in node.mapping ?? [] {
            guard let name = key.scalar else { continue }
            let path = prefix.isEmpty ? name : "\(prefix).\(name)"
            marks[path] = value.mark
            if value.mapping != nil {
                marks.merge(valueMarks(of: value, prefix: path)) { outer, _ in outer }
            } else if let items = value.sequence {
                for (index, item) in items.enumerated() { marks["\(path)[\(index)]"] = item.mark }
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
