import ReconcileCore

/// Manifest decoding and validation of every kind: common keys, each kind's keys, checks
/// across resources and hosts, and the rendered diagnostics with their snippets.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let loader = ManifestLoader(registry: FuzzInput.registry)
    let hosts = [HostIdentity(name: "mx1.example.org", labels: ["role": "mx"]), HostIdentity(name: "ci1", labels: [:])]
    let loaded = loader.load(files: [(path: "fuzz.yaml", bytes: FuzzInput.bytes(data, size))], hosts: hosts)
    _ = DiagnosticRenderer(sources: loaded.sources).render(loaded.diagnostics.sorted)
    // What a saved plan records of each resource, and reading it back.
    for resource in loaded.resources {
        guard let json = try? DesiredState(resource.spec).json() else { continue }
        _ = try? FuzzInput.registry.provider(for: resource.address.kind)?.decodeSpec(json)
    }
    return 0
}
