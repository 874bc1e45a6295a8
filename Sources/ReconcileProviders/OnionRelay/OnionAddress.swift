import Crypto
import Foundation

/// A v3 onion address (`<56 base32 chars>.onion`): 32-byte key, 2-byte checksum, version 3,
/// checksum = SHA3-256(".onion checksum" || key || version)[0..<2] (rend-spec-v3).
public struct OnionAddress: Sendable, Hashable, CustomStringConvertible {
    public let host: String

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case notOnion
        case version2
        case badLength(Int)
        case badCharacters
        /// Key and checksum agree, only the version byte (the last character) is off: a typo there.
        case wrongLastCharacter(Character)
        case badChecksum

        public var description: String {
            switch self {
            case .notOnion: return "an onion address ends in .onion"
            case .version2:
                return "this is a v2 onion address (16 characters); v2 onion services stopped working in October 2021: use the service's v3 address (56 characters)"
            case .badLength(let count): return "a v3 onion address has 56 base32 characters before .onion, this has \(count)"
            case .badCharacters: return "a v3 onion address uses only base32 characters a–z and 2–7"
            case .wrongLastCharacter(let found):
                return "not a valid v3 onion address: it ends in \"\(found)\" where every v3 address ends in \"d\" (a typo?)"
            case .badChecksum: return "not a valid v3 onion address: its checksum does not match (a typo?)"
            }
        }
    }

    /// Accepts any case; keeps the lowercase form that tor prints.
    public init(parsing text: String) throws {
        let lowered = text.lowercased()
        guard lowered.hasSuffix(".onion") else { throw Problem.notOnion }
        let label = String(lowered.dropLast(".onion".count))
        if label.count == 16 { throw Problem.version2 }
        guard label.count == 56 else { throw Problem.badLength(label.count) }
        guard let bytes = Self.base32Decode(label), bytes.count == 35 else { throw Problem.badCharacters }
        // The checksum covers the key and version 3, so a typo anywhere shows as a mismatch; one
        // in the last character changes only the version byte (its low 5 bits) and leaves the
        // checksum matching, which tells that typo apart ("version 4" would mislead).
        var digestInput = Data(".onion checksum".utf8)
        digestInput.append(contentsOf: bytes[0..<32])
        digestInput.append(Self.version)
        let digest = Array(SHA3_256.hash(data: digestInput))
        let checksumMatches = digest[0] == bytes[32] && digest[1] == bytes[33]
        if bytes[34] != Self.version, checksumMatches, let last = label.last { throw Problem.wrongLastCharacter(last) }
        guard checksumMatches, bytes[34] == Self.version else { throw Problem.badChecksum }
        host = lowered
    }

    public var description: String { host }

    /// The address's last byte: 3 for every v3 address, which is why they all end in "d".
    static let version: UInt8 = 3

    static func base32Decode(_ text: String) -> [UInt8]? {
        var buffer: UInt32 = 0
        var bits = 0
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count * 5 / 8)
        for character in text.utf8 {
            let value: UInt32
            switch character {
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(character - UInt8(ascii: "a"))
            case UInt8(ascii: "2")...UInt8(ascii: "7"): value = UInt32(character - UInt8(ascii: "2") + 26)
            default: return nil
            }
            buffer = (buffer << 5) | value
            bits += 5
            if bits >= 8 {
                bits -= 8
                output.append(UInt8((buffer >> UInt32(bits)) & 0xff))
            }
        }
        return output
    }
}
