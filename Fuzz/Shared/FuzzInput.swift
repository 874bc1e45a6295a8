import Foundation
import ReconcileCore
import ReconcileProviders

/// Shared by every harness: the input as bytes, and the registry the CLI uses.
enum FuzzInput {
    static func bytes(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
        Array(UnsafeBufferPointer(start: data, count: size))
    }

    static let registry = Providers.registry

    /// Decodes every resource's facts with its kind's provider, as `plan --facts` would.
    static func observations(_ document: FactsDocument) {
        for (address, json) in document.resources.sorted(by: { $0.key < $1.key }) {
            let kind = String(address.prefix { $0 != "/" })
            guard let provider = registry.provider(for: kind), let observation = try? provider.observation(from: json) else { continue }
            _ = try? observation.json()
        }
    }
}
