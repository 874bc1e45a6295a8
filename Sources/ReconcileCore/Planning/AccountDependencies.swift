/// A spec that creates accounts (a User, a Group): resources owned by them are ordered after it,
/// and planned knowing the account is on its way.
public protocol ProvidesAccounts {
    var providedUsers: [String] { get }
    var providedGroups: [String] { get }
}

extension ProvidesAccounts {
    public var providedUsers: [String] { [] }
    public var providedGroups: [String] { [] }
}

/// A spec that names accounts (an owner, a group, a service's user).
public protocol UsesAccounts {
    var usedUsers: [String] { get }
    var usedGroups: [String] { get }
}

extension UsesAccounts {
    public var usedUsers: [String] { [] }
    public var usedGroups: [String] { [] }
}

/// Accounts that the changes planned before a resource create: its owner may be missing on
/// the host today and still be valid.
public struct PendingAccounts: Sendable, Equatable {
    public var users: Set<String> = []
    public var groups: Set<String> = []

    public init(users: Set<String> = [], groups: Set<String> = []) {
        self.users = users
        self.groups = groups
    }

    public static let none = PendingAccounts()
}

/// Adds a dependency from every resource that names an account to the resource that creates it.
enum AccountDependencies {
    static func add(_ resources: [Resource]) -> [Resource] {
        var users: [String: ResourceAddress] = [:]
        var groups: [String: ResourceAddress] = [:]
        for resource in resources where resource.meta.state == .present {
            guard let provider = resource.spec as? any ProvidesAccounts else { continue }
            for name in provider.providedUsers where users[name] == nil { users[name] = resource.address }
            for name in provider.providedGroups where groups[name] == nil { groups[name] = resource.address }
        }
        guard !users.isEmpty || !groups.isEmpty else { return resources }
        return resources.map { resource in
            guard let user = resource.spec as? any UsesAccounts else { return resource }
            let existing = Set(resource.dependencies)
            var added: [DependencyReference] = []
            let creators = user.usedUsers.compactMap { users[$0] } + user.usedGroups.compactMap { groups[$0] }
            for creator in creators where creator != resource.address && !existing.contains(creator)
                && !added.contains(where: { $0.address == creator })
            {
                added.append(DependencyReference(address: creator, mark: nil))
            }
            guard !added.isEmpty else { return resource }
            var meta = resource.meta
            meta.dependsOn += added
            return Resource(meta: meta, spec: resource.spec)
        }
    }

    /// What the changing dependencies of one resource create.
    static func pending(from changing: Set<ResourceAddress>, in byAddress: [ResourceAddress: Resource]) -> PendingAccounts {
        var pending = PendingAccounts()
        for address in changing {
            guard let resource = byAddress[address], resource.meta.state == .present,
                let provider = resource.spec as? any ProvidesAccounts
            else { continue }
            pending.users.formUnion(provider.providedUsers)
            pending.groups.formUnion(provider.providedGroups)
        }
        return pending
    }
}
