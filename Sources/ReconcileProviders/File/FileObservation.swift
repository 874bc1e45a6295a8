import Foundation
import ReconcileCore
import ReconcileJSON

/// What is at a path now; shared by every provider that manages files.
public struct FileObservation: Codable, Sendable, Equatable {
    public var exists: Bool
    public var type: FileStatus.FileType?
    public var mode: UInt32?
    public var uid: UInt32?
    public var owner: String?
    public var gid: UInt32?
    public var group: String?
    public var size: Int64?
    public var sha256: String?
    /// The text itself when small and UTF-8, so plans from a facts file can still show diffs;
    /// never for sensitive files.
    public var text: String?
    /// For content read from the host (`content: {file: …}`): the sha256 found there, or why
    /// it could not be read. Never the content itself.
    public var sourceSHA256: String?
    public var sourceProblem: String?
    /// A wanted owner or group the host has no account for (checked at plan time, not half-way
    /// through an apply); nil when it has, or when none is wanted.
    public var unknownOwner: String?
    public var unknownGroup: String?

    public static let missing = FileObservation(exists: false)
    /// Larger files are compared by hash only.
    public static let textLimit = 256 * 1024

    public init(
        exists: Bool, type: FileStatus.FileType? = nil, mode: UInt32? = nil, uid: UInt32? = nil, owner: String? = nil,
        gid: UInt32? = nil, group: String? = nil, size: Int64? = nil, sha256: String? = nil, text: String? = nil
    ) {
        self.exists = exists
        self.type = type
        self.mode = mode
        self.uid = uid
        self.owner = owner
        self.gid = gid
        self.group = group
        self.size = size
        self.sha256 = sha256
        self.text = text
    }

    /// What a stat says, owners named by the host's own accounts (size left to the caller).
    init(_ status: FileStatus, accounts: AccountDatabase) {
        self.init(
            exists: true, type: status.type, mode: status.mode, uid: status.uid, owner: accounts.userName(status.uid),
            gid: status.gid, group: accounts.groupName(status.gid))
    }

    /// A stat and, for regular files, one read; a sensitive file's text is not kept.
    public static func probe(_ path: String, files: any ReadableFileSystem, sensitive: Bool = false) throws -> FileObservation {
        guard let (status, content) = try files.statusAndContent(path) else { return .missing }
        var observation = FileObservation(status, accounts: AccountDatabase.of(files))
        observation.size = status.size
        if let content {
            observation.sha256 = Fingerprint.sha256(content)
            if !sensitive, content.count <= textLimit, let text = String(validatingUTF8Data: content) {
                observation.text = text
            }
        }
        return observation
    }
}

extension FileObservation: CanonicalJSONWritable {
    /// Every probed file is fingerprinted; this is what the synthesized `Codable` writes through
    /// JSONEncoder (sorted keys, nil left out), without the Encoder machinery. A new property
    /// must be added here too (ObservationEncodingTests counts them).
    public func writeCanonicalJSON(to object: inout CanonicalJSONObject) {
        object.add("exists", exists)
        object.add("gid", gid)
        object.add("group", group)
        object.add("mode", mode)
        object.add("owner", owner)
        object.add("sha256", sha256)
        object.add("size", size)
        object.add("sourceProblem", sourceProblem)
        object.add("sourceSHA256", sourceSHA256)
        object.add("text", text)
        object.add("type", type?.rawValue)
        object.add("uid", uid)
        object.add("unknownGroup", unknownGroup)
        object.add("unknownOwner", unknownOwner)
    }
}

extension FileObservation {
    mutating func noteUnknownAccounts(owner: String?, group: String?, in accounts: AccountDatabase) {
        unknownOwner = owner.flatMap { accounts.uid($0) == nil ? $0 : nil }
        unknownGroup = group.flatMap { accounts.gid($0) == nil ? $0 : nil }
    }

    /// Every unknown account at once, at its key.
    func refuseUnknownAccounts(pending: PendingAccounts) throws {
        var problems: [PlanProblem] = []
        if let unknownOwner, !pending.users.contains(unknownOwner) {
            problems.append(PlanProblem("owner", "no user \"\(unknownOwner)\" on this host, and no User in the manifests creates it (or fix the name)"))
        }
        if let unknownGroup, !pending.groups.contains(unknownGroup) {
            problems.append(PlanProblem("group", "no group \"\(unknownGroup)\" on this host, and no Group or User in the manifests creates it (or fix the name)"))
        }
        if !problems.isEmpty { throw PlanProblems(problems) }
    }
}
