import Foundation

/// What `reconcile facts` writes and `plan --facts` reads: the probed state per resource, stable JSON.
public struct FactsDocument: Codable, Sendable, Equatable {
    public static let currentFormatVersion = 1

    public var formatVersion: Int
    public var host: String
    public var root: String
    public var probedAt: String
    /// Observed facts by resource address (`File/motd`), in each provider's own shape.
    public var resources: [String: JSONValue]

    public init(host: String, root: String, probedAt: Date, resources: [String: JSONValue]) {
        self.formatVersion = Self.currentFormatVersion
        self.host = host
        self.root = root
        self.probedAt = ISO8601DateFormatter().string(from: probedAt)
        self.resources = resources
    }

    public static func load(from data: Data, path: String) throws -> FactsDocument {
        let document: FactsDocument
        do {
            document = try JSONDecoder().decode(FactsDocument.self, from: data)
        } catch {
            throw ReconcileError.invalidFactsFile(path: path, reason: "\(error)")
        }
        guard document.formatVersion == currentFormatVersion else {
            throw ReconcileError.invalidFactsFile(
                path: path, reason: "facts format version \(document.formatVersion) is not supported")
        }
        return document
    }
}
