import Foundation
import ReconcileJSON

/// `STATE/inventory.jsonl`: every resource reconcile manages on the host, as last applied. What
/// is here but in no manifest is removed by the next plan; a resource whose host state moved
/// while its declaration did not is named drift.
///
/// On disk, JSON Lines: `{"formatVersion":1}`, then one `{"address":…,"entry":{…}}` a resource,
/// sorted. A plan reads every address (each line's start) but decodes only the entries it needs,
/// those of changes and removals, so a no-op plan of 10,000 resources stays as fast as before;
/// an apply writes unchanged lines back as they were read.
public struct Inventory: Codable, Sendable, Equatable {
    public static let currentFormatVersion = 1

    public struct Entry: Codable, Sendable, Equatable {
        public var kind: String
        /// What it is on the host: `file /etc/tor/torrc`, `unit capture-web-relay.service`.
        public var identity: String
        /// The declaration last applied, as its kind needs it to remove the resource (a File's
        /// content and a unit's text left out; secrets only ever by reference).
        public var desired: DesiredState
        /// `sha256:` of the whole declaration in canonical JSON: whether the manifest changed since.
        public var desiredHash: String
        /// Of the other inventory entries, those it depended on: removals run the other way round.
        public var dependsOn: [ResourceAddress]
        public var appliedAt: String
        public var applyID: String
        /// False when that apply failed while changing it: its next change is not drift.
        public var complete: Bool
        /// The resource was already on the host when reconcile first applied it (not created by it).
        public var adopted: Bool

        public var lastApply: LastApply { LastApply(apply: applyID, at: appliedAt) }

        private enum CodingKeys: String, CodingKey {
            case kind = "kind", identity = "identity", desired = "desired", desiredHash = "desiredHash", dependsOn = "dependsOn"
            case appliedAt = "appliedAt", applyID = "applyID", complete = "complete", adopted = "adopted"
        }
    }

    /// An entry, or its line as read, decoded when asked for.
    private enum Stored: Sendable {
        case entry(Entry)
        /// A slice of the file as read (every line shares its one buffer), with the two fields an
        /// apply checks for each of its no-ops, read from the line's start.
        case line(ArraySlice<UInt8>, complete: Bool, desiredHash: String)
    }

    /// One line: the fields an apply needs for every resource first, at fixed places, then the rest.
    private struct Line: Codable {
        var address: String
        var complete: Bool
        var desiredHash: String
        var entry: Body

        struct Body: Codable {
            var kind: String
            var identity: String
            var desired: DesiredState
            var dependsOn: [ResourceAddress]
            var appliedAt: String
            var applyID: String
            var adopted: Bool

            private enum CodingKeys: String, CodingKey {
                case kind = "kind", identity = "identity", desired = "desired", dependsOn = "dependsOn", appliedAt = "appliedAt"
                case applyID = "applyID", adopted = "adopted"
            }
        }

        /// `prefix(of:)` reads the first three by these names, at the start of a line where sorted keys put them.
        private enum CodingKeys: String, CodingKey {
            case address = "address", complete = "complete", desiredHash = "desiredHash", entry = "entry"
        }

        init(address: String, entry: Entry) {
            self.address = address
            complete = entry.complete
            desiredHash = entry.desiredHash
            self.entry = Body(
                kind: entry.kind, identity: entry.identity, desired: entry.desired, dependsOn: entry.dependsOn,
                appliedAt: entry.appliedAt, applyID: entry.applyID, adopted: entry.adopted)
        }

        var full: Entry {
            Entry(
                kind: entry.kind, identity: entry.identity, desired: entry.desired, desiredHash: desiredHash,
                dependsOn: entry.dependsOn, appliedAt: entry.appliedAt, applyID: entry.applyID, complete: complete,
                adopted: entry.adopted)
        }
    }

    private struct Header: Codable {
        var formatVersion: Int

        private enum CodingKeys: String, CodingKey {
            case formatVersion = "formatVersion"
        }
    }

    private var stored: [String: Stored]
    /// Where it was read from, for errors about a damaged line.
    private var path: String
    /// Whether an entry was set or dropped since it was read (cheaper than comparing every entry).
    public private(set) var isModified = false

    public init(entries: [String: Entry] = [:]) {
        stored = entries.mapValues { .entry($0) }
        path = "inventory"
    }

    public static let empty = Inventory()

    public var isEmpty: Bool { stored.isEmpty }
    public var count: Int { stored.count }
    /// Every address, sorted.
    public var addresses: [String] { stored.keys.sorted() }

    public func contains(_ address: String) -> Bool { stored[address] != nil }

    public func entry(_ address: ResourceAddress) throws -> Entry? { try entry(named: address.description) }

    public func entry(named address: String) throws -> Entry? {
        switch stored[address] {
        case nil: return nil
        case .entry(let entry)?: return entry
        case .line(let bytes, _, _)?: return try Self.decodeLine(Data(bytes), path: path).full
        }
    }

    /// Whether the entry is complete and has this declaration hash, without decoding it.
    func isComplete(_ address: String, desiredHash: String) -> Bool {
        switch stored[address] {
        case nil: return false
        case .entry(let entry)?: return entry.complete && entry.desiredHash == desiredHash
        case .line(_, let complete, let hash)?: return complete && hash == desiredHash
        }
    }

    public mutating func set(_ address: String, _ entry: Entry?) {
        guard entry != nil || stored[address] != nil else { return }
        stored[address] = entry.map { .entry($0) }
        isModified = true
    }

    /// `address` as `other` has it (or not at all), its line kept as read.
    mutating func restore(_ address: String, from other: Inventory) {
        stored[address] = other.stored[address]
        isModified = true
    }

    /// Every entry decoded; a damaged line is an error.
    public func entries() throws -> [String: Entry] {
        var result: [String: Entry] = [:]
        for address in stored.keys {
            result[address] = try entry(named: address)
        }
        return result
    }

    public static func == (lhs: Inventory, rhs: Inventory) -> Bool {
        guard lhs.stored.count == rhs.stored.count else { return false }
        return (try? lhs.entries()) == (try? rhs.entries())
    }

    // Inside facts: `{"formatVersion":1,"resources":{ADDRESS: ENTRY}}`.
    private enum CodingKeys: String, CodingKey { case formatVersion = "formatVersion", resources = "resources" }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let version = try container.decode(Int.self, forKey: .formatVersion)
        guard version == Self.currentFormatVersion else {
            throw DecodingError.dataCorruptedError(
                forKey: .formatVersion, in: container, debugDescription: "inventory format version \(version) is not supported")
        }
        self.init(entries: try container.decode([String: Entry].self, forKey: .resources))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.currentFormatVersion, forKey: .formatVersion)
        try container.encode(try entries(), forKey: .resources)
    }

    public static func path(_ state: StateDirectory) -> String { "\(state.path)/inventory.jsonl" }

    /// No file yet: nothing managed. A damaged file is an error, never an empty inventory, which
    /// would silently stop removals.
    public static func load(_ state: StateDirectory) throws -> Inventory {
        let path = path(state)
        guard try state.files.status(path) != nil else { return .empty }
        return try parse(try state.files.read(path), path: path)
    }

    /// Reads the header and each line's address; entries stay undecoded until asked for.
    static func parse(_ data: Data, path: String) throws -> Inventory {
        let bytes = [UInt8](data)
        var inventory = Inventory()
        inventory.path = path
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            defer { start = end + 1 }
            guard end > start else { continue }
            lineNumber += 1
            let line = bytes[start..<end]
            if lineNumber == 1 {
                guard let header = try? JSONDecoder().decode(Header.self, from: Data(line)) else {
                    throw corrupt(path, "its first line is not {\"formatVersion\":1}")
                }
                guard header.formatVersion == currentFormatVersion else {
                    throw corrupt(path, "inventory format version \(header.formatVersion) is not supported (this build reads \(currentFormatVersion))")
                }
                continue
            }
            guard let prefix = prefix(of: line) ?? (try? decodeLine(Data(line), path: path)).map({ ($0.address, $0.complete, $0.desiredHash) }) else {
                throw corrupt(path, "line \(lineNumber) is not {\"address\":…,\"complete\":…,\"desiredHash\":…,\"entry\":{…}}")
            }
            let address = prefix.address
            // The entry's kind is checked against the address when it is decoded.
            guard ResourceAddress(parsing: address) != nil else {
                throw corrupt(path, "line \(lineNumber): \"\(address)\" is not a Kind/name address")
            }
            guard inventory.stored.updateValue(.line(line, complete: prefix.complete, desiredHash: prefix.desiredHash), forKey: address) == nil else {
                throw corrupt(path, "line \(lineNumber): \(address) is in it twice")
            }
        }
        guard lineNumber > 0 else { throw corrupt(path, "it is empty, without its {\"formatVersion\":1} line") }
        return inventory
    }

    private static let addressKey = Array(#"{"address":""#.utf8)
    private static let completeTrue = Array(#"","complete":true,"desiredHash":""#.utf8)
    private static let completeFalse = Array(#"","complete":false,"desiredHash":""#.utf8)
    private static let entryKey = Array(#"","entry":{"#.utf8)

    /// The fields at the start of a line as `save` writes it, without decoding the rest; nil
    /// for anything else (escapes included), which is then decoded whole.
    static func prefix(of line: ArraySlice<UInt8>) -> (address: String, complete: Bool, desiredHash: String)? {
        line.withUnsafeBufferPointer { buffer -> (String, Bool, String)? in
            guard let base = buffer.baseAddress, buffer.last == UInt8(ascii: "}") else { return nil }
            var position = 0
            func expect(_ bytes: [UInt8]) -> Bool {
                guard position + bytes.count <= buffer.count, memcmp(base + position, bytes, bytes.count) == 0 else { return false }
                position += bytes.count
                return true
            }
            /// A string without escapes, up to its closing quote (left for the next `expect`).
            func plainString() -> String? {
                let start = position
                while position < buffer.count, buffer[position] != UInt8(ascii: "\""), buffer[position] != UInt8(ascii: "\\") { position += 1 }
                guard position < buffer.count, buffer[position] == UInt8(ascii: "\"") else { return nil }
                return String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<position]), as: UTF8.self)
            }
            guard expect(addressKey), let address = plainString() else { return nil }
            let complete: Bool
            if expect(completeTrue) { complete = true } else if expect(completeFalse) { complete = false } else { return nil }
            guard let hash = plainString(), expect(entryKey) else { return nil }
            return (address, complete, hash)
        }
    }

    private static func decodeLine(_ line: Data, path: String) throws -> Line {
        do {
            let decoded = try JSONDecoder().decode(Line.self, from: line)
            guard let address = ResourceAddress(parsing: decoded.address), address.kind == decoded.entry.kind else {
                throw corrupt(path, "the entry of \(decoded.address) is of kind \(decoded.entry.kind)")
            }
            return decoded
        } catch let error as ReconcileError {
            throw error
        } catch {
            throw corrupt(path, "a line does not read as an entry (\(error))")
        }
    }

    static func corrupt(_ path: String, _ reason: String) -> ReconcileError {
        .notAllowed(
            "the inventory \(path) is damaged (\(reason)); nothing was planned. To rebuild it: move it aside, "
                + "apply the manifests again (the apply records every declared resource anew; resources no longer "
                + "declared are then no longer removed: `reconcile facts` shows what the host has), and "
                + "`reconcile forget ADDRESS` drops entries you do not want managed")
    }

    /// JSON Lines, sorted by address; lines read and not changed are written back as they were.
    public func save(_ state: StateDirectory) throws {
        var data = try CanonicalJSON.encodeCompact(Header(formatVersion: Self.currentFormatVersion))
        data.append(0x0A)
        // Entries of changes are encoded on every core; unchanged lines are copied as read.
        let lines = try stored.sorted { $0.key < $1.key }.concurrentMap { address, stored throws -> Data in
            switch stored {
            case .line(let line, _, _): return Data(line)
            case .entry(let entry): return try CanonicalJSON.encodeCompact(Line(address: address, entry: entry))
            }
        }
        data.reserveCapacity(data.count + lines.reduce(0) { $0 + $1.count + 1 })
        for line in lines {
            data.append(line)
            data.append(0x0A)
        }
        try state.create()
        try state.files.writeAtomically(Self.path(state), content: data, mode: 0o600, uid: nil, gid: nil)
    }

    /// `sha256:` of a declaration in canonical JSON. Plans that are applied are planned from typed
    /// specs (a saved one is derived afresh), so the declarations hashed are always encoded the same way.
    public static func hash(_ desired: DesiredState) throws -> String {
        "sha256:" + Fingerprint.sha256(try CanonicalJSON.encodeCompact(desired))
    }
}

/// Which apply last applied a resource, and when.
public struct LastApply: Codable, Sendable, Equatable {
    public var apply: String
    public var at: String

    public init(apply: String, at: String) {
        self.apply = apply
        self.at = at
    }

    private enum CodingKeys: String, CodingKey {
        case apply = "apply", at = "at"
    }
}

/// A resource no longer declared whose kind never removes it (a Filesystem keeps its data): the
/// apply drops it from the inventory and leaves the host as it is.
public struct ReleasedResource: Codable, Sendable, Equatable {
    public var address: ResourceAddress
    /// Why its kind does not remove it, in the kind's words.
    public var reason: String

    public init(address: ResourceAddress, reason: String) {
        self.address = address
        self.reason = reason
    }

    private enum CodingKeys: String, CodingKey {
        case address = "address", reason = "reason"
    }
}
