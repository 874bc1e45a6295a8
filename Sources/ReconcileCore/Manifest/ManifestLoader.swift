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
    /// Each host's merged `kind: Values`, in the order of the hosts loaded for.
    public var values: [HostValues] = []

    /// What a plan for `host` records of its values.
    public func valueReport(for host: HostIdentity) -> ValueReport? {
        values.first { $0.host == host }.map(ValueReport.init)
    }
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
        var parsed: [ParsedFile] = []
        for file in files {
            // A file at a time, its bytes let go once parsed: a large manifest is not held as
            // text beside its documents (its snippets read it again; see SourceText).
            let bytes = try Self.read(file)
            parsed.append(parse(bytes, path: file, source: SourceText(path: file, readFrom: bytes)))
        }
        return load(parsed: consume parsed, hosts: hosts)
    }

    /// The file's bytes, read straight into the array the parser takes (through `Data` they were
    /// held twice: a 200 MB manifest took 0.3 s to read and copy).
    static func read(_ path: String) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw ReconcileError.io(path: path, operation: "read", errno: errno) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw ReconcileError.io(path: path, operation: "stat", errno: errno) }
        // A regular file's size is known; a pipe (`<(…)`) is read until its end, 64 KiB at a time.
        let regular = info.st_mode & S_IFMT == S_IFREG
        var bytes: [UInt8] = []
        var failure: Int32 = 0
        while failure == 0 {
            let room = regular ? max(Int(info.st_size) - bytes.count, 0) + 1 : 65536
            var ended = false
            let chunk = [UInt8](unsafeUninitializedCapacity: room) { buffer, initialized in
                initialized = 0
                guard let base = buffer.baseAddress else { return }
                while initialized < room {
                    let count = Foundation.read(descriptor, base + initialized, room - initialized)
                    if count < 0 && errno == EINTR { continue }
                    if count < 0 { failure = errno; return }
                    if count == 0 { ended = true; return }
                    initialized += count
                }
            }
            // The first chunk is taken as it is, not copied.
            if bytes.isEmpty { bytes = chunk } else { bytes.append(contentsOf: chunk) }
            if ended { break }
        }
        guard failure == 0 else { throw ReconcileError.io(path: path, operation: "read", errno: failure) }
        return bytes
    }

    public func load(files: [(path: String, bytes: [UInt8])], hosts: [HostIdentity]? = nil) -> LoadedManifests {
        load(parsed: files.map { file in
            parse(file.bytes, path: file.path, source: SourceText(path: file.path, text: String(decoding: file.bytes, as: UTF8.self)))
        }, hosts: hosts)
    }

    private struct ParsedFile {
        let path: String
        let documents: [YAMLDocument]
        let errors: [YAMLError]
        let source: SourceText
    }

    private func parse(_ bytes: [UInt8], path: String, source: SourceText) -> ParsedFile {
        let parsed = YAMLLoader.load(bytes: bytes, path: path, limits: limits)
        return ParsedFile(path: path, documents: parsed.documents, errors: parsed.errors, source: source)
    }

    private func load(parsed files: consuming [ParsedFile], hosts: [HostIdentity]?) -> LoadedManifests {
        var diagnostics = Diagnostics()
        var sources: [String: SourceText] = [:]
        var resources: [Resource] = []
        var graph: [GraphNode] = []
        let auxiliary = AuxiliarySources()
        var parsedFiles: [(path: String, documents: [YAMLDocument])] = []
        for parsed in files {
            sources[parsed.path] = parsed.source
            for error in parsed.errors {
                diagnostics.error(at: error.mark, length: error.length, error.message)
            }
            if parsed.documents.isEmpty && parsed.errors.isEmpty {
                diagnostics.warning(at: Mark(file: parsed.path, line: 1, column: 1), "file holds no resources")
            }
            parsedFiles.append((parsed.path, parsed.documents))
        }
        // The documents are now held once, in `parsedFiles`, so that decoding can let them go.
        files = []
        // A file whose first document is a ResourceGroup is a group: its resources are made by Uses only.
        var manifests = parsedFiles.filter { !ResourceGroup.isDefinition($0.documents) }
        // Values first, from every file: any resource may use any of them.
        let values = hostValues(manifests, hosts: hosts, diagnostics: &diagnostics)
        func add(_ parts: [DecodedDocument]) {
            for part in parts {
                diagnostics.append(contentsOf: part.diagnostics.items)
                for decoded in part.decoded {
                    switch decoded {
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
        }
        // Without a Use, nothing reads a manifest's documents once its resources are decoded:
        // each is let go as soon as it is (a 200 MB manifest's nodes were held beside the
        // resources made of them, the peak of a large plan's memory).
        let releasing = documents(ofKind: GroupUse.kind, in: manifests).isEmpty
        if releasing { parsedFiles.removeAll { !ResourceGroup.isDefinition($0.documents) } }
        for index in manifests.indices {
            let documents = manifests[index].documents
            if releasing { manifests[index].documents = [] }
            add(decode(consume documents, path: manifests[index].path, values: values, auxiliary: auxiliary))
        }
        let instances = instantiateUses(manifests, parsed: parsedFiles, sources: &sources, diagnostics: &diagnostics)
        add(instances.concurrentMap(minimumCount: 256) { instance in
            var part = decodeForHosts(
                instance.document, path: instance.path, scope: instance.scope, values: values, auxiliary: auxiliary,
                addressPrefix: instance.addressPrefix)
            part.diagnostics = Diagnostics(part.diagnostics.items.map { diagnostic in
                instance.notes.reduce(diagnostic.adding(note: diagnostic.mark.flatMap { instance.parameterNotes[$0] })) { $0.adding(note: $1) }
            })
            return part
        })
        let views = HostViews(graph: graph, resources: resources, hosts: hosts)
        diagnostics.append(contentsOf: views.check(registry))
        sources.merge(auxiliary.all) { manifest, _ in manifest }
        return LoadedManifests(
            resources: views.selected, diagnostics: diagnostics, sources: sources, declared: resources,
            values: values.map(\.values))
    }

    /// Every `kind: Use` of the manifests, made into its group's documents. Group files are those
    /// given, or read from disk (and then shown in snippets too).
    private func instantiateUses(
        _ manifests: [(path: String, documents: [YAMLDocument])], parsed: [(path: String, documents: [YAMLDocument])],
        sources: inout [String: SourceText], diagnostics: inout Diagnostics
    ) -> [InstantiatedDocument] {
        var uses: [GroupUse] = []
        for (path, document, fileHosts) in documents(ofKind: GroupUse.kind, in: manifests) {
            var found = Diagnostics()
            if let use = GroupUse.read(document.root, path: path, scope: [fileHosts].compactMap { $0 }, diagnostics: &found) {
                uses.append(use)
            }
            diagnostics.append(contentsOf: found.items)
        }
        guard !uses.isEmpty else { return [] }
        var byPath = Dictionary(parsed.map { (DecodeContext.absolute($0.path), $0.documents) }, uniquingKeysWith: { first, _ in first })
        var read: [String: SourceText] = [:]
        let instantiation = GroupInstantiation(load: { path in
            if let documents = byPath[path] { return (documents, nil) }
            guard let data = FileManager.default.contents(atPath: path) else { return ([], "no such readable file") }
            let bytes = [UInt8](data)
            let parsedGroup = YAMLLoader.load(bytes: bytes, path: path, limits: limits)
            if let error = parsedGroup.errors.first { return ([], "\(error.mark): \(error.message)") }
            read[path] = SourceText(path: path, text: String(decoding: bytes, as: UTF8.self))
            byPath[path] = parsedGroup.documents
            return (parsedGroup.documents, nil)
        })
        var instances: [InstantiatedDocument] = []
        var found = Diagnostics()
        for use in uses {
            instances += instantiation.instantiate(use, diagnostics: &found)
        }
        // A group's own problems (a bad parameter declaration) are found once per Use: told once.
        var seen = Set<Diagnostic>()
        diagnostics.append(contentsOf: found.items.filter { seen.insert($0).inserted })
        sources.merge(read) { given, _ in given }
        return instances
    }

    /// Each host's merged values; nil `hosts` (checking without a host) sees only the values
    /// for every host, and references to host.name or labels are then errors.
    private func hostValues(
        _ files: [(path: String, documents: [YAMLDocument])], hosts: [HostIdentity]?, diagnostics: inout Diagnostics
    ) -> [(values: HostValues, diagnostics: [Diagnostic])] {
        var documents: [ValuesDocument] = []
        for (_, document, fileHosts) in self.documents(ofKind: ValuesDocument.kind, in: files) {
            var found = Diagnostics()
            if let values = ValuesDocument.read(document.root, fileHosts: fileHosts, diagnostics: &found) {
                documents.append(values)
            }
            diagnostics.append(contentsOf: found.items)
        }
        var merged: [(values: HostValues, diagnostics: [Diagnostic])] = []
        var hostsOf: [Diagnostic: [String]] = [:]
        var order: [Diagnostic] = []
        for host in hosts ?? [HostIdentity(name: "", labels: [:])] {
            let (values, found) = HostValues.merge(documents, for: host)
            merged.append((values, found))
            for diagnostic in found {
                if hostsOf[diagnostic] == nil { order.append(diagnostic) }
                hostsOf[diagnostic, default: []].append(host.name)
            }
        }
        diagnostics.append(contentsOf: order)
        return merged
    }

    /// The documents of one loader-level kind (Values, Use) in every file, each with its file's
    /// `hosts:` (the file-scope document's problems are reported when the file is decoded).
    private func documents(
        ofKind kind: String, in files: [(path: String, documents: [YAMLDocument])]
    ) -> [(path: String, document: YAMLDocument, fileHosts: HostSelector?)] {
        var found: [(path: String, document: YAMLDocument, fileHosts: HostSelector?)] = []
        for file in files {
            var fileHosts: HostSelector?
            for (index, document) in file.documents.enumerated() {
                var ignored = Diagnostics()
                if let scope = fileScope(document, index: index, diagnostics: &ignored) {
                    fileHosts = scope
                } else if document.root["kind"]?.scalar == kind {
                    found.append((file.path, document, fileHosts))
                }
            }
        }
        return found
    }

    static func isValues(_ document: YAMLDocument) -> Bool {
        document.root["kind"]?.scalar == ValuesDocument.kind
    }

    /// One document's outcome: nothing for a file-scope or Values document, one resource per host
    /// for a document with `${…}` references.
    private struct DecodedDocument: Sendable {
        var decoded: [Decoded]
        var diagnostics: Diagnostics
    }

    /// Every document of one file, in order. Documents do not depend on each other (but for the
    /// file scope, read first), so they are decoded on all cores.
    private func decode(
        _ documents: consuming [YAMLDocument], path: String, values: [(values: HostValues, diagnostics: [Diagnostic])],
        auxiliary: AuxiliarySources
    ) -> [DecodedDocument] {
        var fileHosts: HostSelector?
        var parts: [DecodedDocument] = []
        var resourceDocuments: [(position: Int, document: YAMLDocument?, scope: [HostSelector])] = []
        for (index, document) in documents.enumerated() {
            var found = Diagnostics()
            if let scope = fileScope(document, index: index, diagnostics: &found) {
                fileHosts = scope
            } else if !Self.isValues(document) && document.root["kind"]?.scalar != GroupUse.kind {
                resourceDocuments.append((parts.count, document, [fileHosts].compactMap { $0 }))
            }
            parts.append(DecodedDocument(decoded: [], diagnostics: found))
        }
        documents = []
        // A chunk at a time, each chunk's documents let go once decoded (unless the caller keeps
        // them). Decoding only reads the registry and the document; `auxiliary` takes its own lock.
        for start in stride(from: 0, to: resourceDocuments.count, by: Self.decodingChunk) {
            let range = start..<min(start + Self.decodingChunk, resourceDocuments.count)
            let chunk = resourceDocuments[range].compactMap { item in item.document.map { (item.position, $0, item.scope) } }
            for index in range { resourceDocuments[index].document = nil }
            let decoded = chunk.concurrentMap(minimumCount: 256) { item in
                decodeForHosts(item.1, path: path, scope: item.2, values: values, auxiliary: auxiliary)
            }
            for (item, outcome) in zip(chunk, decoded) {
                parts[item.0] = outcome
            }
        }
        return parts
    }

    /// Documents decoded together: enough for both cores, few enough that their nodes go soon.
    static let decodingChunk = 4096

    /// A document without references is decoded once, for every host. One with references is
    /// resolved and decoded for each host it selects, and each result is that host's alone; a
    /// problem only some hosts have names them.
    private func decodeForHosts(
        _ document: YAMLDocument, path: String, scope: [HostSelector], values: [(values: HostValues, diagnostics: [Diagnostic])],
        auxiliary: AuxiliarySources, addressPrefix: String? = nil
    ) -> DecodedDocument {
        var found = Diagnostics()
        guard !document.isEmpty, document.root.containsTemplate else {
            let outcome = decode(
                document.root, document: document, path: path, scope: scope, auxiliary: auxiliary, diagnostics: &found,
                addressPrefix: addressPrefix)
            return DecodedDocument(decoded: [outcome], diagnostics: found)
        }
        let selectors = scope + [HostSelector.read(ObjectReader(node: document.root, keyPath: "", knownKeys: []))].compactMap { $0 }
        let selected = values.filter { entry in selectors.allSatisfy { $0.matches(entry.values.host) } }
        var outcomes: [Decoded] = []
        var hostsOf: [Diagnostic: [String]] = [:]
        var order: [Diagnostic] = []
        for entry in selected {
            var problems: [Diagnostic] = []
            var notes: [Mark: Diagnostic.Note] = [:]
            let host = entry.values.host
            let root = entry.values.resolver.resolve(document.root, keyPath: "", problems: &problems, notes: &notes)
            var decodedDiagnostics = Diagnostics()
            var outcome = Decoded.invalid(nil)
            if problems.isEmpty {
                outcome = decode(
                    root, document: document, path: path, scope: scope, auxiliary: auxiliary, diagnostics: &decodedDiagnostics,
                    resolvedFor: host.name.isEmpty ? nil : host.name, addressPrefix: addressPrefix)
            }
            outcomes.append(outcome)
            for diagnostic in problems + decodedDiagnostics.items.map({ $0.adding(note: $0.mark.flatMap { notes[$0] }) }) {
                if hostsOf[diagnostic] == nil { order.append(diagnostic) }
                hostsOf[diagnostic, default: []].append(host.name)
            }
        }
        for diagnostic in order {
            let names = hostsOf[diagnostic] ?? []
            // Said when only some hosts have it, unless the message names its one host already.
            let some = selected.count > 1 && names.count < selected.count && !(names.count == 1 && diagnostic.message.contains(names[0]))
            found.append(some ? diagnostic.appendingToMessage(" (for host\(names.count == 1 ? "" : "s") \(names.joined(separator: ", ")))") : diagnostic)
        }
        return DecodedDocument(decoded: outcomes, diagnostics: found)
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
        _ root: Node, document: YAMLDocument, path: String, scope: [HostSelector], auxiliary: AuxiliarySources,
        diagnostics: inout Diagnostics, resolvedFor: String? = nil, addressPrefix: String? = nil
    ) -> Decoded {
        if document.isEmpty {
            diagnostics.error(at: document.mark, "empty document: a resource needs at least \"kind\" and \"name\"")
            return .invalid(nil)
        }
        guard root.mapping != nil else {
            diagnostics.error(at: root.mark, "a resource must be a mapping with \"kind\" and \"name\", found a \(root.kindName)")
            return .invalid(nil)
        }
        guard let kindNode = root["kind"], let kind = kindNode.scalar, !kindNode.isNull else {
            diagnostics.error(at: root.mark, keyPath: "kind", "missing required key \"kind\"")
            return .invalid(nil)
        }
        if kind == ResourceGroup.kind {
            diagnostics.error(
                at: kindNode.mark, keyPath: "kind",
                "a ResourceGroup is its file's first document: the file is then a group, whose resources `kind: Use` makes")
            return .invalid(nil)
        }
        guard let provider = registry.provider(for: kind) else {
            let kinds = registry.kinds + [ValuesDocument.kind, GroupUse.kind]
            diagnostics.error(
                at: kindNode.mark, length: kind.count, keyPath: "kind",
                "unknown kind \"\(kind)\"" + Suggestion.didYouMean(kind, in: kinds)
                    + " (known kinds: \(kinds.joined(separator: ", ")))")
            return .invalid(nil)
        }
        let reader = ObjectReader(node: root, keyPath: "", knownKeys: Self.commonKeys + provider.keys)
        let name = reader.string("name", required: true)
        if let name, name.isEmpty || name.contains(where: { $0.isNewline }) {
            reader.error("name", "a name must be non-empty and on one line")
        }
        let state = reader.choice("state", as: ResourceState.self) ?? .present
        let dependsOn = readDependencies(reader)
        let hosts = scope + [HostSelector.read(reader)].compactMap { $0 }
        let spec = provider.decode(
            reader, context: DecodeContext(manifestPath: path, name: name ?? "", state: state, auxiliarySources: auxiliary))
        let found = reader.allDiagnostics
        diagnostics.append(contentsOf: found)
        guard let name else { return .invalid(nil) }
        let meta = ResourceMeta(
            address: ResourceAddress(kind: kind, name: addressPrefix.map { "\($0)/\(name)" } ?? name), state: state, dependsOn: dependsOn,
            mark: root.mark, nameMark: reader.value("name")?.mark, keyMarks: Self.valueMarks(of: root), hosts: hosts,
            resolvedFor: resolvedFor)
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
