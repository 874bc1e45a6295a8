import Foundation
import ReconcileCore

/// `kind: File`: a file's content (inline or from a `source:` file beside the manifest) and attributes.
public struct FileSpec: ResourceSpec {
    public var path: String
    public var content: Data?
    public var mode: UInt32?
    public var owner: String?
    public var group: String?
}

extension FileSpec {
    static let keys = ["path", "content", "source", "mode", "owner", "group"]

    /// Shared by kinds that take file attributes.
    static func readMode(_ reader: ObjectReader) -> UInt32? {
        guard let text = reader.string("mode") else { return nil }
        guard let mode = FileMode.parse(text) else {
            reader.error("mode", "\"\(text)\" is not an octal mode like \"0644\"")
            return nil
        }
        return mode
    }

    static func readAbsolutePath(_ reader: ObjectReader, key: String = "path", required: Bool = true) -> String? {
        guard let path = reader.string(key, required: required) else { return nil }
        if let problem = HostPath.problem(path) {
            reader.error(key, "\(problem), found \(TerminalText.quoted(path))")
            return nil
        }
        return path
    }

    static func decode(_ reader: ObjectReader, context: DecodeContext) -> FileSpec? {
        let path = readAbsolutePath(reader)
        let mode = readMode(reader)
        let owner = reader.string("owner")
        let group = reader.string("group")
        var content: Data?
        if context.state == .present {
            switch reader.exclusive(["content", "source"], required: true) {
            case "content":
                content = reader.string("content").map { Data($0.utf8) }
            case "source":
                if let source = reader.string("source") {
                    let resolved = context.resolveManifestRelative(source)
                    content = FileManager.default.contents(atPath: resolved)
                    if content == nil {
                        reader.error("source", "cannot read \(resolved)")
                    }
                }
            default:
                break
            }
        }
        guard let path else { return nil }
        return FileSpec(path: path, content: content, mode: mode, owner: owner, group: group)
    }
}

extension FileSpec {
    public func problems(name: String, state: ResourceState) -> [String] {
        var problems = SpecProblems()
        problems.path("path", path)
        problems.mode("mode", mode)
        problems.account("owner", owner)
        problems.account("group", group)
        problems.check(state == .absent || content != nil, "content", "a present File needs content")
        return problems.items
    }
}
