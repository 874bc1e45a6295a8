import Foundation
import ReconcileJSON

/// The bytes a plan document carries (files' content, configurations checked before they are
/// written), each once, by sha256. In the document every `Data` value, wherever it sits (a File's
/// desired content, the step that writes it, a check of it), is the reference `sha256:HEX`, and
/// `contents` maps HEX to the bytes: a string of the text when they are UTF-8 (readable, and a
/// quarter smaller than base64), else `{"base64": …}`. Format 1 stored a File's content three times (desired, step and
/// diff), twice of them in base64.
public struct PlanContents: Sendable, Equatable {
    public static let referencePrefix = "sha256:"

    /// Hex sha256 → bytes.
    public internal(set) var blobs: [String: Data]

    public init(blobs: [String: Data] = [:]) {
        self.blobs = blobs
    }

    public static func reference(toHex hex: String) -> String { referencePrefix + hex }

    /// The hex digest a `sha256:HEX` reference names; nil for anything else.
    public static func hex(ofReference reference: String) -> String? {
        guard reference.hasPrefix(referencePrefix) else { return nil }
        let hex = reference.utf8.dropFirst(referencePrefix.utf8.count)
        guard hex.count == 64, hex.allSatisfy({ Fingerprint.hexDigits.contains($0) }) else { return nil }
        return String(decoding: hex, as: UTF8.self)
    }

    /// One entry as written: the text, or `{"base64": …}` for bytes that are not UTF-8.
    enum Blob: Codable {
        case text(String)
        case base64(String)

        private enum CodingKeys: String, CodingKey {
            case base64 = "base64"
        }

        init(_ data: Data) {
            self = String(validatingUTF8Data: data).map(Blob.text) ?? .base64(data.base64EncodedString())
        }

        init(from decoder: Decoder) throws {
            if let text = try? decoder.singleValueContainer().decode(String.self) {
                self = .text(text)
            } else {
                self = .base64(try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .base64))
            }
        }

        func encode(to encoder: Encoder) throws {
            switch self {
            case .text(let text):
                var container = encoder.singleValueContainer()
                try container.encode(text)
            case .base64(let base64):
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(base64, forKey: .base64)
            }
        }

        func data() -> Data? {
            switch self {
            case .text(let text): return Data(text.utf8)
            case .base64(let base64): return Data(base64Encoded: base64)
            }
        }
    }

    /// A typed value (a spec from a saved plan's desired state) whose `Data` are references here.
    public func decode<T: Decodable>(_ type: T.Type, from json: JSONValue) throws -> T {
        let resolver = Resolver()
        resolver.contents = self
        let decoder = JSONDecoder()
        decoder.dataDecodingStrategy = .custom { try resolver.data($0) }
        let value = try decoder.decode(type, from: CanonicalJSON.encode(json))
        if let missing = resolver.missing.first {
            throw PlanContentsError(place: missing.codingPath.map(\.stringValue).joined(separator: "."), problem: missing.problem)
        }
        return value
    }
}

extension PlanContents {
    static let resolverKey = CodingUserInfoKey(rawValue: "reconcile.plan.contents")

    /// The decoder of plan documents: `Data` are references resolved from the document's own `contents`.
    static func decoder() -> JSONDecoder {
        let resolver = Resolver()
        let decoder = JSONDecoder()
        if let key = resolverKey { decoder.userInfo[key] = resolver }
        decoder.dataDecodingStrategy = .custom { try resolver.data($0) }
        return decoder
    }

    /// The `contents` object as written; checked against the names by `Resolver.check`.
    init(decoding container: KeyedDecodingContainer<Plan.ContentsKey>, forKey key: Plan.ContentsKey) throws {
        let entries: [String: Blob]
        do {
            entries = try container.decodeIfPresent([String: Blob].self, forKey: key) ?? [:]
        } catch {
            throw PlanContentsError(place: "plan.contents", problem: "must map sha256 digests to text or {\"base64\": …} (\(error))")
        }
        var blobs: [String: Data] = Dictionary(minimumCapacity: entries.count)
        for (hex, blob) in entries {
            let place = "plan.contents[\"\(hex.prefix(80))\"]"
            guard Self.hex(ofReference: Self.reference(toHex: hex)) == hex else {
                throw PlanContentsError(place: place, problem: "is not named by a sha256 (64 lowercase hex digits)")
            }
            guard let data = blob.data() else {
                throw PlanContentsError(place: place, problem: "holds base64 that does not decode")
            }
            blobs[hex] = data
        }
        self.init(blobs: blobs)
    }

    /// The `Data` decoding of a plan document: `sha256:HEX` looked up in `contents`. A reference
    /// to nothing, or a value that is no reference, decodes as empty and is kept in `missing`, so
    /// that `check` can name the resource and step once the document is read.
    final class Resolver: @unchecked Sendable {
        private let lock = NSLock()
        private var table = PlanContents()
        private var unresolved: [(codingPath: [any CodingKey], problem: String)] = []

        var contents: PlanContents {
            get { lock.withLock { table } }
            set { lock.withLock { table = newValue } }
        }

        var missing: [(codingPath: [any CodingKey], problem: String)] { lock.withLock { unresolved } }

        func data(_ decoder: any Decoder) throws -> Data {
            let reference = try decoder.singleValueContainer().decode(String.self)
            return lock.withLock {
                guard let hex = PlanContents.hex(ofReference: reference) else {
                    unresolved.append((decoder.codingPath, "is \(JSONValue.string(reference).shortDescription), not a sha256: reference into the plan's contents"))
                    return Data()
                }
                guard let data = table.blobs[hex] else {
                    unresolved.append((decoder.codingPath, "names content \(reference) that the plan's contents do not hold (edited?)"))
                    return Data()
                }
                return data
            }
        }

        /// Refuses a reference to nothing and content that is not what its name says (an edited
        /// blob must not pass for the one the plan was made with), naming who uses it.
        func check(_ plan: Plan) throws {
            if let first = missing.first {
                throw PlanContentsError(place: Self.place(of: first.codingPath, in: plan), problem: first.problem)
            }
            let blobs = contents.blobs.sorted { $0.key < $1.key }
            let digests = blobs.concurrentMap(minimumCount: 64) { Fingerprint.sha256($0.value) }
            for (blob, digest) in zip(blobs, digests) where blob.key != digest {
                let users = Self.users(of: blob.key, data: blob.value, in: plan)
                throw PlanContentsError(
                    place: "plan.contents[\"\(blob.key)\"]",
                    problem: "holds content whose sha256 is \(digest), not the one it is filed under (edited?)"
                        + (users.isEmpty ? "; nothing refers to it" : "; it is the content of " + users.joined(separator: ", ")))
            }
        }

        /// `plan.changes[3].steps[0].content (resource File/motd, step: write /etc/motd)`.
        static func place(of codingPath: [any CodingKey], in plan: Plan) -> String {
            let path = "plan" + codingPath.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }.joined()
            let indices = codingPath.compactMap(\.intValue)
            guard codingPath.first?.stringValue == Plan.CodingKeys.changes.stringValue, let index = indices.first,
                  plan.changes.indices.contains(index) else { return path }
            let change = plan.changes[index]
            let step = indices.dropFirst().first.flatMap { change.steps.indices.contains($0) ? change.steps[$0].summary : nil }
            return "\(path) (resource \(change.address)" + (step.map { ", step: \($0)" } ?? "") + ")"
        }

        /// The resources whose desired state or steps refer to one content, for a refusal.
        static func users(of hex: String, data: Data, in plan: Plan) -> [String] {
            let reference = PlanContents.reference(toHex: hex)
            var users: [String] = []
            for change in plan.changes {
                if (try? change.desired.json())?.contains(string: reference) == true {
                    users.append("\(change.address) (desired state)")
                }
                for step in change.steps {
                    switch step {
                    case .writeFile(let write) where !write.sensitive && write.content == data:
                        users.append("\(change.address) (\(step.summary))")
                    case .check(let check) where check.content == data:
                        users.append("\(change.address) (\(step.summary))")
                    default:
                        continue
                    }
                }
            }
            return users
        }
    }

    /// The `Data` encoding of a plan document: each value becomes its reference, and is kept
    /// (shared, not copied) to be written once in `contents`.
    final class Collector: @unchecked Sendable {
        private let lock = NSLock()
        private var contents: PlanContents
        /// Digests by the address and length of buffers already hashed: a File's desired content
        /// and its write share one buffer, hashed once. The buffer is kept here with its digest,
        /// so nothing else can be allocated at that address meanwhile; small `Data` is stored
        /// inline, without a stable address, and is not cached.
        private var digests: [BufferKey: (hex: String, buffer: Data)] = [:]

        private struct BufferKey: Hashable {
            let address: UInt
            let count: Int
        }

        init(startingWith contents: PlanContents) {
            self.contents = contents
        }

        func encode(_ data: Data, _ encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(reference(to: data))
        }

        func reference(to data: Data) -> String {
            PlanContents.reference(toHex: hex(of: data))
        }

        private func hex(of data: Data) -> String {
            let key = data.count >= 64 ? data.withUnsafeBytes { bytes in
                bytes.baseAddress.map { BufferKey(address: UInt(bitPattern: $0), count: bytes.count) }
            } : nil
            if let key, let known = lock.withLock({ digests[key]?.hex }) { return known }
            let hex = Fingerprint.sha256(data)
            lock.withLock {
                if contents.blobs[hex] == nil { contents.blobs[hex] = data }
                if let key { digests[key] = (hex, data) }
            }
            return hex
        }

        var collected: PlanContents { lock.withLock { contents } }
    }
}

/// A saved plan's content table, or a reference into it, that cannot be trusted.
public struct PlanContentsError: Error, CustomStringConvertible {
    public let place: String
    public let problem: String

    public var description: String { "\(place) \(problem)" }
}

extension JSONValue {
    /// Whether `string` is this value or any value inside it.
    func contains(string: String) -> Bool {
        switch self {
        case .string(let value): return value == string
        case .array(let values): return values.contains { $0.contains(string: string) }
        case .object(let values): return values.values.contains { $0.contains(string: string) }
        case .null, .bool, .number: return false
        }
    }
}
