import Foundation
import ReconcileJSON

/// What `reconcile facts` writes and `plan --facts` reads: the probed state per resource, stable JSON.
public struct FactsDocument: Codable, Sendable, Equatable {
    public static let currentFormatVersion = 1

    public var formatVersion: Int
    /// The reconcile that probed them (`--version`); nil in facts from before it was recorded.
    public var reconcileVersion: String?
    public var host: String
    public var root: String
    public var probedAt: String
    /// The host's labels when it was probed: with its name, they decide which resources are its.
    public var labels: [String: String]
    /// Observed facts by resource address (`File/motd`), in each provider's own shape.
    public var resources: [String: JSONValue]
    /// What reconcile last applied on the host (`STATE/inventory.jsonl`), so plans from these facts
    /// remove what is no longer declared and tell drift too; nil when nothing was applied yet.
    public var inventory: Inventory?

    public init(
        host: String, root: String, probedAt: Date, labels: [String: String] = [:], resources: [String: JSONValue],
        reconcileVersion: String? = ReconcileVersion.current, inventory: Inventory? = nil
    ) {
        self.formatVersion = Self.currentFormatVersion
        self.reconcileVersion = reconcileVersion
        self.host = host
        self.labels = labels
        self.root = root
        self.probedAt = ISO8601DateFormatter().string(from: probedAt)
        self.resources = resources
        self.inventory = inventory
    }

    private enum CodingKeys: String, CodingKey { case formatVersion, reconcileVersion, host, root, probedAt, labels, resources, inventory }

    /// Facts written before labels (or the version) were recorded have none.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        formatVersion = try container.decode(Int.self, forKey: .formatVersion)
        reconcileVersion = try container.decodeIfPresent(String.self, forKey: .reconcileVersion)
        host = try container.decode(String.self, forKey: .host)
        root = try container.decode(String.self, forKey: .root)
        probedAt = try container.decode(String.self, forKey: .probedAt)
        labels = try container.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
        resources = try container.decode([String: JSONValue].self, forKey: .resources)
        inventory = try container.decodeIfPresent(Inventory.self, forKey: .inventory)
    }

    public var identity: HostIdentity { HostIdentity(name: host, labels: labels) }

    public static func load(from data: Data, path: String) throws -> FactsDocument {
        let document: FactsDocument
        let tree = FastJSON.parse(data)
        // Before decoding: a newer major version's facts may not decode, and this says why.
        if case .object(let members)? = tree, case .string(let version)? = members["reconcileVersion"],
           let refusal = ReconcileVersion.refusal(of: "facts", writtenBy: version) {
            throw ReconcileError.invalidFactsFile(path: path, reason: refusal)
        }
        if let tree, let fast = FastJSON.decode(FactsDocument.self, from: tree) {
            // Debug builds (the tests) check every document against Foundation's reading.
            assert((try? JSONDecoder().decode(FactsDocument.self, from: data)) == fast, "FastJSON and JSONDecoder disagree on \(path)")
            document = fast
        } else {
            do {
                document = try JSONDecoder().decode(FactsDocument.self, from: data)
            } catch {
                throw ReconcileError.invalidFactsFile(path: path, reason: "\(error)")
            }
        }
        guard document.formatVersion == currentFormatVersion else {
            throw ReconcileError.invalidFactsFile(
                path: path, reason: "facts format version \(document.formatVersion) is not supported")
        }
        return document
    }
}
