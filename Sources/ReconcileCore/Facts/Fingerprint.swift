import Crypto
import Foundation
import ReconcileJSON

/// `sha256:` of canonical JSON; equal facts give equal fingerprints across runs and hosts.
public enum Fingerprint {
    public static func of(_ json: JSONValue) throws -> String {
        "sha256:" + hex(SHA256.hash(data: try CanonicalJSON.encode(json)))
    }

    public static func sha256(_ data: Data) -> String {
        hex(SHA256.hash(data: data))
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Called three times per probed file: one allocation, no intermediate array.
    static func hex(_ digest: SHA256.Digest) -> String {
        digest.withUnsafeBytes { bytes in
            String(unsafeUninitializedCapacity: bytes.count * 2) { output in
                for (index, byte) in bytes.enumerated() {
                    output[2 * index] = hexDigits[Int(byte >> 4)]
                    output[2 * index + 1] = hexDigits[Int(byte & 0x0f)]
                }
                return bytes.count * 2
            }
        }
    }
}
