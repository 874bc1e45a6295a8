import Foundation
import ReconcileCore

/// The facts decoder: the document, then every resource's facts through its kind's provider.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let document = try? FactsDocument.load(from: Data(bytes: data, count: size), path: "fuzz.json") else { return 0 }
    _ = document.identity
    FuzzInput.observations(document)
    return 0
}
