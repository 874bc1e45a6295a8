import Foundation

/// Sizes as LVM takes them: a number with an optional binary unit (K, M, G, T, P; either case),
/// or plain bytes. Kept in bytes, and passed to LVM in bytes (`-L 1073741824b`), so nothing rounds.
public struct ByteSize: Codable, Sendable, Hashable, Comparable, CustomStringConvertible {
    public let bytes: UInt64

    public init(bytes: UInt64) {
        self.bytes = bytes
    }

    /// `{"bytes": N}` in plans and facts.
    private enum CodingKeys: String, CodingKey {
        case bytes = "bytes"
    }

    static let units: [Character: UInt64] = [
        "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50,
    ]

    /// "100G", "1.5T", "512M", "1073741824"; nil for anything else, including fractions of a byte.
    public init?(parsing text: String) {
        var number = text.trimmingCharacters(in: .whitespaces)
        var multiplier: UInt64 = 1
        if let last = number.last, let unit = Self.units[Character(last.lowercased())] {
            multiplier = unit
            number.removeLast()
        }
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              number.filter({ $0 == "." }).count <= 1, let value = Decimal(string: number) else { return nil }
        let total = value * Decimal(multiplier)
        var rounded = Decimal()
        var copy = total
        NSDecimalRound(&rounded, &copy, 0, .plain)
        guard rounded == total, total > 0, total <= Decimal(UInt64.max) else { return nil }
        self.bytes = NSDecimalNumber(decimal: total).uint64Value
    }

    /// lvm2's largest LV on a 64-bit kernel; bigger sizes are refused where the manifest says them.
    public static let lvmLimit = ByteSize(bytes: 1 << 63)

    public var lvmArgument: String { "\(bytes)b" }

    /// The largest binary unit that divides exactly, for messages ("1300 GiB", "4 MiB").
    public var description: String {
        for (suffix, unit) in [("EiB", UInt64(1) << 60), ("PiB", 1 << 50), ("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        where bytes >= unit && bytes % unit == 0 {
            return "\(bytes / unit) \(suffix)"
        }
        return "\(bytes) bytes"
    }

    public static func < (lhs: ByteSize, rhs: ByteSize) -> Bool { lhs.bytes < rhs.bytes }
}
