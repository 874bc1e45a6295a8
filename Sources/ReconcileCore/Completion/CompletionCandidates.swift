import Foundation

/// What shell completion offers: resource addresses, resource names of one kind, kinds and their
/// keys, read from the manifests named on the command line, the host's inventory and the JSON
/// Schemas. It runs on every TAB, as whoever pressed it, so it only reads, stays within a budget,
/// and answers nothing rather than an error: a broken manifest or an unreadable state folder
/// means fewer candidates, never a message in the middle of the operator's command line.
/// Only addresses, names and keys come out; a declaration's values (secrets among them) never do.
public struct CompletionCandidates: Sendable {
    /// Directory entries the manifest walk may look at: a TAB in a large tree ($HOME, /) gives up
    /// on the manifests instead of hanging.
    public static let defaultWalkBudget = 20_000

    public let registry: ProviderRegistry
    public var walkBudget: Int

    public init(registry: ProviderRegistry, walkBudget: Int = Self.defaultWalkBudget) {
        self.registry = registry
        self.walkBudget = walkBudget
    }

    /// Addresses the manifests declare (for any host) and the inventory in `state` records (what
    /// removals and `forget` act on), starting with `prefix`, sorted.
    public func addresses(manifests: [String], state: StateDirectory?, prefix: String) -> [String] {
        var found = Set(declared(manifests).map(\.address.description))
        if let state, let inventory = try? Inventory.load(state) {
            found.formUnion(inventory.addresses)
        }
        return Self.matching(found, prefix: prefix)
    }

    /// Names of the resources of `kind` the manifests declare, starting with `prefix`, sorted.
    public func names(ofKind kind: String, manifests: [String], prefix: String) -> [String] {
        Self.matching(declared(manifests).filter { $0.address.kind == kind }.map(\.address.name), prefix: prefix)
    }

    /// The kinds `explain` takes: the schemas' list (with Values, ResourceGroup and Use), or this
    /// build's providers when no schemas are installed.
    public func kinds(schemaFolder: String?, prefix: String) -> [String] {
        let kinds = schemaFolder.flatMap { try? KindDocumentation.kinds(in: $0) } ?? registry.kinds
        return Self.matching(kinds, prefix: prefix)
    }

    /// A kind's keys as `explain KIND KEY` takes them (nested ones with dots); the kind in any case.
    public static func keys(ofKind kind: String, schemaFolder: String?, prefix: String) -> [String] {
        guard let schemaFolder, let kinds = try? KindDocumentation.kinds(in: schemaFolder),
              let name = kinds.first(where: { $0.lowercased() == kind.lowercased() }),
              let documentation = try? KindDocumentation(kind: name, folder: schemaFolder) else { return [] }
        return matching(documentation.keys.map(\.path), prefix: prefix)
    }

    /// Every resource the manifests declare, for any host; none when they cannot be read within
    /// the budget. A saved plan (`apply plan.json`) is not a manifest.
    private func declared(_ paths: [String]) -> [Resource] {
        let manifests = paths.filter { !$0.hasSuffix(".json") }
        guard !manifests.isEmpty, let files = try? ManifestFiles.expand(manifests, entryBudget: walkBudget),
              let loaded = try? ManifestLoader(registry: registry).load(paths: files) else { return [] }
        return loaded.declared
    }

    private static func matching(_ candidates: some Sequence<String>, prefix: String) -> [String] {
        Set(candidates.filter { $0.hasPrefix(prefix) }).sorted()
    }
}
