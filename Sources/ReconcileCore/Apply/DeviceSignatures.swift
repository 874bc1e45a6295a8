import Foundation

/// `wipefs --no-act --json` output: every signature libblkid finds, named by the device's base
/// name. Nothing printed, or an empty list, means blank.
public enum DeviceSignatures {
    public struct Signature: Decodable, Sendable, Equatable {
        public var device: String
        public var type: String?
        public var uuid: String?
        public var label: String?
    }

    private struct Report: Decodable {
        var signatures: [Signature]?
    }

    public static func argv(_ devices: [String]) -> [String] { ["wipefs", "--no-act", "--json", "--"] + devices }

    public static func parse(_ output: Data) throws -> [Signature] {
        guard output.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\n") }) else { return [] }
        return try JSONDecoder().decode(Report.self, from: output).signatures ?? []
    }
}
