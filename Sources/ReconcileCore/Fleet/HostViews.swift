/// The resources each host sees, and the checks across resources run once per host view: two
/// Files with one path are fine when no host gets both.
struct HostViews {
    let graph: [GraphNode]
    let resources: [Resource]
    /// nil: one view of everything.
    let hosts: [HostIdentity]?

    /// The resources of at least one of the hosts, in declaration order.
    var selected: [Resource] {
        guard let hosts else { return resources }
        let isSelected = { (resource: Resource) in hosts.contains { resource.meta.applies(to: $0) } }
        // All of them, usually: then the array as it is, not a copy of every resource.
        return resources.allSatisfy(isSelected) ? resources : resources.filter(isSelected)
    }

    /// Each problem once; one that only some hosts have says which.
    func check(_ registry: ProviderRegistry) -> [Diagnostic] {
        guard let hosts else { return Self.checks(graph, resources, host: nil, declared: [:], registry) }
        // Usually every resource is every host's: then each view is the whole graph, taken as
        // it is (no copies), and no dependency can be declared for other hosts only.
        let everyResourceEverywhere = graph.allSatisfy { node in hosts.allSatisfy { node.meta.applies(to: $0) } }
        let declared = everyResourceEverywhere
            ? [:] : Dictionary(graph.map { ($0.address, $0.meta) }, uniquingKeysWith: { first, _ in first })
        var order: [Diagnostic] = []
        var hostsOf: [Diagnostic: [String]] = [:]
        for host in hosts {
            let view = everyResourceEverywhere ? graph : graph.filter { $0.meta.applies(to: host) }
            let viewResources = everyResourceEverywhere ? resources : resources.filter { $0.meta.applies(to: host) }
            for diagnostic in Self.checks(view, viewResources, host: host, declared: declared, registry) {
                if hostsOf[diagnostic] == nil { order.append(diagnostic) }
                hostsOf[diagnostic, default: []].append(host.name)
            }
        }
        return order.map { diagnostic in
            let names = hostsOf[diagnostic] ?? []
            guard hosts.count > 1, names.count < hosts.count else { return diagnostic }
            let which = names.count == 1 ? "on host \(names[0])" : "on hosts \(names.joined(separator: ", "))"
            return Diagnostic(
                diagnostic.severity, at: diagnostic.mark, length: diagnostic.length, keyPath: diagnostic.keyPath,
                "\(diagnostic.message) (\(which))", notes: diagnostic.notes)
        }
    }

    private static func checks(
        _ graph: [GraphNode], _ resources: [Resource], host: HostIdentity?, declared: [ResourceAddress: ResourceMeta],
        _ registry: ProviderRegistry
    ) -> [Diagnostic] {
        var diagnostics = GraphChecks.check(graph, host: host, declared: declared)
        let byKind = Dictionary(grouping: resources, by: \.address.kind)
        for provider in registry.providers {
            if let ofKind = byKind[provider.kind], !ofKind.isEmpty {
                diagnostics += provider.validate(ofKind)
            }
        }
        return diagnostics
    }
}
