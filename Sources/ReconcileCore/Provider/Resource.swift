import ReconcileYAML

/// A dependency as written, with where it was written for error messages.
public struct DependencyReference: Sendable {
    public let address: ResourceAddress
    public let mark: Mark?

    public init(address: ResourceAddress, mark: Mark?) {
        self.address = address
        self.mark = mark
    }
}

/// The keys every kind shares.
///
/// Its fields live in one immutable box: resources are copied many times over while checking,
/// grouping and probing (10,000 of them per pass), and a copy is then one retain instead of one
/// per string, array and dictionary held.
public struct ResourceMeta: Sendable {
    private final class Storage: Sendable {
        let address: ResourceAddress
        let state: ResourceState
        let dependsOn: [DependencyReference]
        let mark: Mark?
        let nameMark: Mark?
        let keyMarks: [String: Mark]
        let hosts: [HostSelector]
        let resolvedFor: String?

        init(
            address: ResourceAddress, state: ResourceState, dependsOn: [DependencyReference], mark: Mark?,
            nameMark: Mark?, keyMarks: [String: Mark], hosts: [HostSelector], resolvedFor: String?
        ) {
            self.address = address
            self.state = state
            self.dependsOn = dependsOn
            self.mark = mark
            self.nameMark = nameMark
            self.keyMarks = keyMarks
            self.hosts = hosts
            self.resolvedFor = resolvedFor
        }
    }

    private var storage: Storage

    public var address: ResourceAddress { storage.address }
    public var state: ResourceState { storage.state }
    public var dependsOn: [DependencyReference] {
        get { storage.dependsOn }
        set {
            storage = Storage(
                address: address, state: state, dependsOn: newValue, mark: mark, nameMark: nameMark, keyMarks: keyMarks,
                hosts: hosts, resolvedFor: resolvedFor)
        }
    }
    /// Where the document starts; the anchor for resource-level errors.
    public var mark: Mark? { storage.mark }
    /// Where the `name:` value is, for duplicate-name errors.
    public var nameMark: Mark? { storage.nameMark }
    /// Where each value is (`size`, `cache.device`), so problems found while planning name the line.
    public var keyMarks: [String: Mark] { storage.keyMarks }
    /// The file's `hosts:` and the resource's own: a host must match all of them.
    public var hosts: [HostSelector] { storage.hosts }
    /// The host whose values its `${…}` references were resolved with: it is that host's alone.
    public var resolvedFor: String? { storage.resolvedFor }

    public init(
        address: ResourceAddress, state: ResourceState = .present, dependsOn: [DependencyReference] = [],
        mark: Mark? = nil, nameMark: Mark? = nil, keyMarks: [String: Mark] = [:], hosts: [HostSelector] = [],
        resolvedFor: String? = nil
    ) {
        storage = Storage(
            address: address, state: state, dependsOn: dependsOn, mark: mark, nameMark: nameMark, keyMarks: keyMarks,
            hosts: hosts, resolvedFor: resolvedFor)
    }

    public func applies(to host: HostIdentity) -> Bool {
        (resolvedFor == nil || resolvedFor == host.name) && hosts.allSatisfy { $0.matches(host) }
    }

    /// The most specific mark known for a key path, falling back to its parents, then the document.
    public func mark(for keyPath: String) -> Mark? {
        var path = keyPath
        while !path.isEmpty {
            if let found = keyMarks[path] { return found }
            guard let dot = path.lastIndex(of: ".") else { break }
            path = String(path[..<dot])
        }
        return mark
    }
}

/// What a provider's typed spec must offer the engine.
public protocol ResourceSpec: Codable, Sendable, Equatable {
    /// The manifest's `kind:` for this spec: a kind's name, keys and decoding live with its type.
    static var kind: String { get }
    /// Keys this kind accepts besides `kind`, `name`, `state`, `dependsOn` and `hosts`.
    static var keys: [String] { get }
    /// Reads the kind's keys; problems go to the reader's diagnostics.
    static func decode(_ reader: ObjectReader, context: DecodeContext) -> Self?
    /// Other resources this one needs first, beyond `dependsOn` (for example a unit's `restartOn`).
    var implicitDependencies: [ResourceAddress] { get }
    /// Where each implicit dependency is written (`restartOn[0]`), for error locations.
    var implicitDependencyKeyPaths: [String] { get }
    /// What the resource is on the host (`file /etc/motd`, `unit tor.service`): the inventory
    /// tells a renamed resource (same identity, new address) from a removal and a creation.
    var hostIdentity: String { get }
    /// What the inventory keeps to remove the resource once it is no longer declared: the spec
    /// without what only its presence needs (a File's content, a unit's text), so the inventory
    /// stays small whatever the resources hold.
    var removalSpec: Self { get }
    /// False for kinds that never remove what they made (a Filesystem would take its data).
    var isRemovable: Bool { get }
    /// What the manifest decoder would have refused in this spec, as `key: problem`: a spec read
    /// back from a saved plan was not decoded from a manifest, so it is checked again here.
    func problems(name: String, state: ResourceState) -> [String]
}

extension ResourceSpec {
    /// `problems(name:state:)` for a resource known by its address: an instance of a group is
    /// `USE/NAME` (`Package/mx1/tor`), its spec names `NAME`, so the name after each `/` is tried
    /// too before the address's own problems are reported.
    public func problems(addressName: String, state: ResourceState) -> [String] {
        let problems = problems(name: addressName, state: state)
        var name = Substring(addressName)
        while !problems.isEmpty, let slash = name.firstIndex(of: "/") {
            name = name[name.index(after: slash)...]
            if self.problems(name: String(name), state: state).isEmpty { return [] }
        }
        return problems
    }

    public var removalSpec: Self { self }
    public var isRemovable: Bool { true }
    public var implicitDependencies: [ResourceAddress] { [] }
    public var implicitDependencyKeyPaths: [String] { [] }
}

/// A declared resource with its typed spec.
public struct Declared<Spec: ResourceSpec>: Sendable {
    public let meta: ResourceMeta
    public let spec: Spec

    public init(meta: ResourceMeta, spec: Spec) {
        self.meta = meta
        self.spec = spec
    }

    public var address: ResourceAddress { meta.address }
}

/// A declared resource whose spec type only its provider knows.
public struct Resource: Sendable {
    public let meta: ResourceMeta
    public let spec: any ResourceSpec

    public init(meta: ResourceMeta, spec: any ResourceSpec) {
        self.meta = meta
        self.spec = spec
    }

    public var address: ResourceAddress { meta.address }

    /// Cheaper than `!dependencies.isEmpty`: no array is built.
    public var hasDependencies: Bool {
        !meta.dependsOn.isEmpty || !spec.implicitDependencies.isEmpty
    }

    /// Explicit `dependsOn` plus what the spec implies, without repeats.
    public var dependencies: [ResourceAddress] {
        var seen = Set<ResourceAddress>()
        return (meta.dependsOn.map(\.address) + spec.implicitDependencies).filter { seen.insert($0).inserted }
    }
}
