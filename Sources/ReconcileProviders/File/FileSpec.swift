import Foundation
import ReconcileCore

/// `kind: File`: a file's content (inline, from a `source:` file beside the manifest, or read on
/// the host when applied) and attributes.
public struct FileSpec: ResourceSpec {
    public var path: String
    /// Inline or `source:` content; nil for content read on the host, and in a saved plan's
    /// copy of a sensitive spec (which records `contentSHA256` instead).
    public var content: Data?
    public var mode: UInt32?
    public var owner: String?
    public var group: String?
    /// Content kept out of facts, plans, diffs, logs and backups.
    public var sensitive = false
    /// `content: {file: …}` / `{env: …}`: read on the host when planned and applied; always sensitive.
    public var contentFrom: SecretReference?
    /// A sensitive inline content's hash, as saved plans record it.
    public var contentSHA256: String?

    public init(
        path: String, content: Data?, mode: UInt32? = nil, owner: String? = nil, group: String? = nil, sensitive: Bool = false,
        contentFrom: SecretReference? = nil
    ) {
        self.path = path
        self.content = content
        self.mode = mode
        self.owner = owner
        self.group = group
        self.sensitive = sensitive || contentFrom != nil
        self.contentFrom = contentFrom
    }

    private enum CodingKeys: String, CodingKey {
        case path = "path", content = "content", mode = "mode", owner = "owner", group = "group"
        case sensitive = "sensitive", contentFrom = "contentFrom", contentSHA256 = "contentSHA256"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        path = try container.decode(String.self, forKey: .path)
        content = try container.decodeIfPresent(Data.self, forKey: .content)
        mode = try container.decodeIfPresent(UInt32.self, forKey: .mode)
        owner = try container.decodeIfPresent(String.self, forKey: .owner)
        group = try container.decodeIfPresent(String.self, forKey: .group)
        sensitive = try container.decodeIfPresent(Bool.self, forKey: .sensitive) ?? false
        contentFrom = try container.decodeIfPresent(SecretReference.self, forKey: .contentFrom)
        contentSHA256 = try container.decodeIfPresent(String.self, forKey: .contentSHA256)
    }

    /// A sensitive spec is written with its content's hash only: plans carry no secret.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(path, forKey: .path)
        try container.encodeIfPresent(mode, forKey: .mode)
        try container.encodeIfPresent(owner, forKey: .owner)
        try container.encodeIfPresent(group, forKey: .group)
        guard sensitive else {
            try container.encodeIfPresent(content, forKey: .content)
            return
        }
        try container.encode(true, forKey: .sensitive)
        try container.encodeIfPresent(contentFrom, forKey: .contentFrom)
        try container.encodeIfPresent(content.map(Fingerprint.sha256) ?? contentSHA256, forKey: .contentSHA256)
    }
}

extension FileSpec {
    public static let kind = "File"
    public static let keys = ["path", "content", "source", "mode", "owner", "group", "sensitive"]

    /// Shared by kinds that take file attributes.
    static func readMode(_ reader: ObjectReader) -> UInt32? {
        guard let text = reader.string("mode") else { return nil }
        guard let mode = FileMode.parse(text) else {
            reader.error("mode", "\"\(text)\" is not an octal mode like \"0644\"")
            return nil
        }
        return mode
    }

    /// An owner or group: a name, or a number below 4294967295, which is (uid_t)-1 to chown:
    /// "leave it as it is", so a file would never get it and every apply would report a change.
    static func readAccount(_ reader: ObjectReader, _ key: String) -> String? {
        guard let text = reader.string(key) else { return nil }
        guard !text.isEmpty else {
            reader.error(key, "expected a \(key) name or number, found an empty string")
            return nil
        }
        guard text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return text }
        guard let id = UInt32(text), id != UInt32.max else {
            reader.error(key, "\(text) is not a \(key == "group" ? "group" : "user") id: ids go from 0 to 4294967294 (4294967295 is -1, which chown reads as \"leave unchanged\")")
            return nil
        }
        return text
    }

    static func readAbsolutePath(_ reader: ObjectReader, key: String = "path", required: Bool = true) -> String? {
        guard let path = reader.string(key, required: required) else { return nil }
        if let problem = HostPath.problem(path) {
            reader.error(key, "\(problem), found \(TerminalText.quoted(path))")
            return nil
        }
        return path
    }

    /// A `source:` file's bytes, or why not in the system's words ("No such file or directory").
    static func readSource(_ path: String) -> Result<Data, SourceProblem> {
        var info = stat()
        guard stat(path, &info) == 0 else { return .failure(SourceProblem(String(cString: strerror(errno)))) }
        guard info.st_mode & S_IFMT == S_IFREG else { return .failure(SourceProblem("not a regular file")) }
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(SourceProblem(access(path, R_OK) == 0 ? "unreadable" : String(cString: strerror(errno))))
        }
        return .success(data)
    }

    struct SourceProblem: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    public static func decode(_ reader: ObjectReader, context: DecodeContext) -> FileSpec? {
        let path = readAbsolutePath(reader)
        let mode = readMode(reader)
        let owner = readAccount(reader, "owner")
        let group = readAccount(reader, "group")
        let sensitive = reader.bool("sensitive") ?? false
        var content: Data?
        var contentFrom: SecretReference?
        if context.state == .present {
            switch reader.exclusive(["content", "source"], required: true) {
            case "content" where reader.value("content")?.mapping != nil:
                contentFrom = SecretReferenceReader.read(reader, "content")
            case "content":
                content = reader.string("content").map { Data($0.utf8) }
            case "source":
                if let source = reader.string("source") {
                    let resolved = context.resolveManifestRelative(source)
                    switch Self.readSource(resolved) {
                    case .success(let data): content = data
                    case .failure(let reason):
                        reader.error("source", "cannot read \(DecodeContext.absolute(resolved)) (\(source.hasPrefix("/") ? "as written" : "relative to the manifest's folder")): \(reason)")
                    }
                }
            default:
                break
            }
        }
        guard let path else { return nil }
        return FileSpec(
            path: path, content: content, mode: mode, owner: owner, group: group, sensitive: sensitive, contentFrom: contentFrom)
    }
}

extension FileSpec {
    public func problems(name: String, state: ResourceState) -> [String] {
        var problems = SpecProblems()
        problems.path("path", path)
        problems.mode("mode", mode)
        problems.account("owner", owner)
        problems.account("group", group)
        problems.check(state == .absent || content != nil || contentFrom != nil || contentSHA256 != nil, "content", "a present File needs content")
        problems.check(
            state == .absent || content != nil || contentFrom != nil || contentSHA256 == nil, "content",
            "sensitive content written inline in the manifest is never kept in saved plans: apply from the manifests, "
                + "or put the secret on the host and use content: {file: …} or {env: …}")
        if case .file(let source)? = contentFrom { problems.path("content.file", source) }
        return problems.items
    }
}

extension FileSpec {
    public var hostIdentity: String { "file \(path)" }

    /// Removal needs the path alone.
    public var removalSpec: FileSpec {
        var spec = self
        spec.content = nil
        spec.contentFrom = nil
        spec.contentSHA256 = nil
        spec.sensitive = false
        return spec
    }
}
