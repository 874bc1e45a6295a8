/// Orders resources so dependencies come first; removals run the other way round,
/// so a resource is removed before what it depended on. Ties keep manifest order.
public enum ExecutionOrder {
    public static func sort(_ resources: [Resource]) -> [Resource] {
        // Nothing depends on anything (thousands of plain files): manifest order, first of each address.
        if !resources.contains(where: \.hasDependencies) {
            var seen = Set<ResourceAddress>()
            return resources.filter { seen.insert($0.address).inserted }
        }
        let byAddress = Dictionary(resources.map { ($0.address, $0) }, uniquingKeysWith: { first, _ in first })
        // predecessors[x] = what must run before x
        var predecessors: [ResourceAddress: [ResourceAddress]] = [:]
        for resource in resources {
            for dependency in resource.dependencies {
                guard let target = byAddress[dependency] else { continue }
                if resource.meta.state == .absent && target.meta.state == .absent {
                    predecessors[target.address, default: []].append(resource.address)
                } else {
                    predecessors[resource.address, default: []].append(target.address)
                }
            }
        }
        var placed = Set<ResourceAddress>()
        var visiting = Set<ResourceAddress>()
        var ordered: [Resource] = []

        func place(_ address: ResourceAddress) {
            guard !placed.contains(address), visiting.insert(address).inserted else { return }
            for before in predecessors[address] ?? [] {
                place(before)
            }
            visiting.remove(address)
            placed.insert(address)
            if let resource = byAddress[address] { ordered.append(resource) }
        }

        for resource in resources {
            place(resource.address)
        }
        return ordered
    }
}
