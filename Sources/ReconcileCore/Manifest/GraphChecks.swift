/// A resource as the graph sees it; also made for documents whose spec had errors,
/// so their `dependsOn` and names are still checked.
public struct GraphNode: Sendable {
    public let meta: ResourceMeta
    public let dependencies: [ResourceAddress]
    public let implicitDependencies: [ResourceAddress]
    public let implicitDependencyKeyPaths: [String]

    public init(_ resource: Resource) {
        self.meta = resource.meta
        self.dependencies = resource.dependencies
        self.implicitDependencies = resource.spec.implicitDependencies
        self.implicitDependencyKeyPaths = resource.spec.implicitDependencyKeyPaths
    }

    public init(meta: ResourceMeta) {
        self.meta = meta
        self.dependencies = meta.dependsOn.map(\.address)
        self.implicitDependencies = []
        self.implicitDependencyKeyPaths = []
    }

    public var address: ResourceAddress { meta.address }
}

/// Checks across resources: unique addresses, existing dependencies, no cycles.
public enum GraphChecks {
    /// `declared` holds every resource of the manifests when `resources` is one host's view, so a
    /// dependency declared for other hosts only is named as such.
    public static func check(
        _ resources: [GraphNode], host: HostIdentity? = nil, declared: [ResourceAddress: ResourceMeta] = [:]
    ) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        var firstByAddress: [ResourceAddress: GraphNode] = Dictionary(minimumCapacity: resources.count)
        for resource in resources {
            if let first = firstByAddress[resource.address] {
                diagnostics.append(.error(
                    at: resource.meta.nameMark ?? resource.meta.mark, length: resource.address.name.count,
                    keyPath: "name", "duplicate resource \(resource.address)",
                    notes: (first.meta.nameMark ?? first.meta.mark).map { [.init(mark: $0, message: "first declared here")] } ?? []))
            } else {
                firstByAddress[resource.address] = resource
            }
        }
        for resource in resources {
            for (index, dependency) in resource.meta.dependsOn.enumerated() where firstByAddress[dependency.address] == nil {
                if let host, let elsewhere = declared[dependency.address] {
                    diagnostics.append(.error(
                        at: dependency.mark, length: dependency.address.description.count, keyPath: "dependsOn[\(index)]",
                        "\(dependency.address) does not apply to host \(host) (its hosts: "
                            + elsewhere.hosts.map(\.description).joined(separator: " and ") + "), but this resource does"))
                    continue
                }
                let known = firstByAddress.keys.filter { $0.kind == dependency.address.kind }.map(\.description)
                diagnostics.append(.error(
                    at: dependency.mark, length: dependency.address.description.count, keyPath: "dependsOn[\(index)]",
                    "no resource \(dependency.address) is declared" + Suggestion.didYouMean(dependency.address.description, in: known)))
            }
            for (index, dependency) in resource.implicitDependencies.enumerated() where firstByAddress[dependency] == nil {
                let keyPath = resource.implicitDependencyKeyPaths.indices.contains(index) ? resource.implicitDependencyKeyPaths[index] : ""
                let mark = resource.meta.keyMarks[keyPath]
                let known = firstByAddress.keys.filter { $0.kind == dependency.kind }.map(\.description)
                diagnostics.append(.error(
                    at: mark ?? resource.meta.mark, length: mark == nil ? 1 : dependency.description.count, keyPath: keyPath,
                    "no resource \(dependency) is declared" + Suggestion.didYouMean(dependency.description, in: known)))
            }
        }
        diagnostics.append(contentsOf: cycles(in: resources, known: firstByAddress))
        return diagnostics
    }

    /// Each cycle once, named in full (`A → B → A`), reported at the first member's declaration.
    static func cycles(in resources: [GraphNode], known: [ResourceAddress: GraphNode]) -> [Diagnostic] {
        // No edges, no cycles: thousands of plain files need no walk.
        guard resources.contains(where: { !$0.dependencies.isEmpty }) else { return [] }
        enum Colour { case white, grey, black }
        var colour: [ResourceAddress: Colour] = [:]
        var stack: [ResourceAddress] = []
        var diagnostics: [Diagnostic] = []
        var reported = Set<Set<ResourceAddress>>()

        func visit(_ address: ResourceAddress) {
            colour[address] = .grey
            stack.append(address)
            for next in known[address]?.dependencies ?? [] where known[next] != nil {
                switch colour[next, default: .white] {
                case .white:
                    visit(next)
                case .grey:
                    guard let start = stack.firstIndex(of: next) else { continue }
                    let cycle = Array(stack[start...])
                    if reported.insert(Set(cycle)).inserted, let resource = known[next] {
                        let path = (cycle + [next]).map(\.description).joined(separator: " → ")
                        diagnostics.append(.error(
                            at: resource.meta.mark, keyPath: "dependsOn", "dependency cycle: \(path)",
                            notes: cycle.dropFirst().compactMap { member in
                                known[member]?.meta.mark.map { .init(mark: $0, message: "\(member) is part of the cycle") }
                            }))
                    }
                case .black:
                    continue
                }
            }
            stack.removeLast()
            colour[address] = .black
        }

        for resource in resources where colour[resource.address, default: .white] == .white {
            visit(resource.address)
        }
        return diagnostics
    }
}
