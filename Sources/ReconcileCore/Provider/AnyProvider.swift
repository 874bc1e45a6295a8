import Foundation
import ReconcileJSON

/// Observed facts of one resource: the typed value for planning, and its canonical JSON,
/// encoded once, for the fingerprint and (only when asked) for facts files.
public struct Observation: Sendable {
    public let value: any Sendable
    public let canonical: Data
    public let fingerprint: String

    public init(value: any Sendable & Encodable) throws {
        self.value = value
        self.canonical = try CanonicalJSON.encodeCompact(AnyEncodable(value))
        self.fingerprint = "sha256:" + Fingerprint.sha256(canonical)
    }

    public func json() throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: canonical)
    }
}

/// A provider with its types erased, so the registry can hold every kind side by side.
public struct AnyProvider: Sendable {
    public let kind: String
    public let keys: [String]
    private let box: any ErasedProvider

    public init<P: ResourceProvider>(_ provider: P) {
        self.kind = P.kind
        self.keys = P.keys
        self.box = ProviderBox(provider: provider)
    }

    public func decode(_ reader: ObjectReader, context: DecodeContext) -> (any ResourceSpec)? {
        box.decode(reader, context: context)
    }

    /// `contents`: the table of the saved plan the spec comes from, whose `Data` are references
    /// into it; nil for specs written with their bytes (the inventory's).
    public func decodeSpec(_ json: JSONValue, contents: PlanContents? = nil) throws -> any ResourceSpec {
        try box.decodeSpec(json, contents: contents)
    }

    public func validate(_ resources: [Resource]) -> [Diagnostic] {
        box.validate(resources)
    }

    public func probe(_ resources: [Resource], host: HostContext) throws -> [Observation] {
        try box.probe(resources, host: host)
    }

    public func observation(from json: JSONValue) throws -> Observation {
        try box.observation(from: json)
    }

    public func plan(_ resource: Resource, observed: Observation, context: PlanContext) throws -> ResourcePlan {
        try box.plan(resource, observed: observed, context: context)
    }
}

private protocol ErasedProvider: Sendable {
    func decode(_ reader: ObjectReader, context: DecodeContext) -> (any ResourceSpec)?
    func decodeSpec(_ json: JSONValue, contents: PlanContents?) throws -> any ResourceSpec
    func validate(_ resources: [Resource]) -> [Diagnostic]
    func probe(_ resources: [Resource], host: HostContext) throws -> [Observation]
    func observation(from json: JSONValue) throws -> Observation
    func plan(_ resource: Resource, observed: Observation, context: PlanContext) throws -> ResourcePlan
}

private struct ProviderBox<P: ResourceProvider>: ErasedProvider {
    let provider: P

    func decode(_ reader: ObjectReader, context: DecodeContext) -> (any ResourceSpec)? {
        provider.decode(reader, context: context)
    }

    func decodeSpec(_ json: JSONValue, contents: PlanContents?) throws -> any ResourceSpec {
        guard let contents else { return try CanonicalJSON.decode(P.Spec.self, from: json) }
        return try contents.decode(P.Spec.self, from: json)
    }

    func validate(_ resources: [Resource]) -> [Diagnostic] {
        provider.validate(typed(resources))
    }

    func probe(_ resources: [Resource], host: HostContext) throws -> [Observation] {
        let observed = try provider.probe(typed(resources), host: host)
        guard observed.count == resources.count else {
            throw ReconcileError.probeFailed(
                kind: P.kind, reason: "provider returned \(observed.count) observations for \(resources.count) resources")
        }
        return try observed.concurrentMap { try Observation(value: $0) }
    }

    func observation(from json: JSONValue) throws -> Observation {
        guard let fast = FastJSON.decode(P.Observed.self, from: json) else {
            return try Observation(value: CanonicalJSON.decode(P.Observed.self, from: json))
        }
        assert((try? CanonicalJSON.decode(P.Observed.self, from: json)) == fast, "FastJSON and JSONDecoder disagree on \(P.kind) facts")
        return try Observation(value: fast)
    }

    func plan(_ resource: Resource, observed: Observation, context: PlanContext) throws -> ResourcePlan {
        guard let spec = resource.spec as? P.Spec, let value = observed.value as? P.Observed else {
            throw ReconcileError.probeFailed(kind: P.kind, reason: "\(resource.address) has facts of another kind")
        }
        return try provider.plan(Declared(meta: resource.meta, spec: spec), observed: value, context: context)
    }

    /// The registry routes resources by kind, so every spec here is `P.Spec`.
    private func typed(_ resources: [Resource]) -> [Declared<P.Spec>] {
        // A loop rather than compactMap's closure: generic code looks up type metadata per call.
        var typed: [Declared<P.Spec>] = []
        typed.reserveCapacity(resources.count)
        for resource in resources {
            if let spec = resource.spec as? P.Spec { typed.append(Declared(meta: resource.meta, spec: spec)) }
        }
        return typed
    }
}

/// Every kind this build knows, by name.
public struct ProviderRegistry: Sendable {
    public let providers: [AnyProvider]
    private let byKind: [String: AnyProvider]

    public init(_ providers: [AnyProvider]) {
        self.providers = providers
        self.byKind = Dictionary(providers.map { ($0.kind, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func provider(for kind: String) -> AnyProvider? { byKind[kind] }
    public var kinds: [String] { providers.map(\.kind) }
}
