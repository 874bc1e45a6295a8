import Foundation
import ReconcileCore

/// `plan --facts`, both ways round: a JSON input is facts, planned against the bundled example's
/// manifests (RECONCILE_FUZZ_MANIFESTS, default manifests/example); anything else is a
/// manifest, planned against mx1's facts from there. The plan is then shown and summarised.
enum Example {
    static let folder = ProcessInfo.processInfo.environment["RECONCILE_FUZZ_MANIFESTS"] ?? "manifests/example"
    static let loaded: LoadedManifests? = try? ManifestLoader(registry: FuzzInput.registry).load(paths: [folder])
    static let facts: FactsDocument? = {
        let path = "\(folder)/facts/mx1.example.org.json"
        return FileManager.default.contents(atPath: path).flatMap { try? FactsDocument.load(from: $0, path: path) }
    }()
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = FuzzInput.bytes(data, size)
    let isJSON = bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) } == UInt8(ascii: "{")
    let loaded: LoadedManifests?
    let document: FactsDocument?
    if isJSON {
        loaded = Example.loaded
        document = try? FactsDocument.load(from: Data(bytes), path: "fuzz.json")
    } else {
        let manifests = ManifestLoader(registry: FuzzInput.registry).load(files: [(path: "fuzz.yaml", bytes: bytes)])
        loaded = manifests.diagnostics.hasErrors ? nil : manifests
        document = Example.facts
    }
    guard let loaded, let document else { return 0 }
    let resources = loaded.declared.filter { $0.meta.applies(to: document.identity) }
    do {
        let plan = try Planner(registry: FuzzInput.registry, version: "fuzz").plan(
            resources, from: .file(document, path: "fuzz.json"), root: HostRoot(document.root), hostName: document.host,
            labels: document.labels)
        _ = PlanRenderer(colour: false, showUnchanged: true).render(plan)
        _ = try? plan.jsonData()
        var summary = FleetSummary()
        summary.add(plan)
        _ = summary.render()
    } catch {
        _ = "\(error)"
    }
    return 0
}
