import Crypto
import Foundation

/// `sha256:` of canonical JSON; equal facts give equal fingerprints across runs and hosts.
public enum Fingerprint {
    public static func of(_ json: JSONValue) throws -> String {
        "sha256:" + hex(SHA256.hash(data: try CanonicalJSON.encode(json)))
    }

    public static func sha256(_ data: Data) -> String {
        hex(SHA256.hash(data: data))
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        for byte in digest {
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
