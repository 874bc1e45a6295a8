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
        guard path.hasPrefix("/"), !hasParentComponent(path) else {
            reader.error(key, "must be an absolute path without \"..\", found \"\(path)\"")
            return nil
        }
        return path
    }

    /// Whether a component is "..". ASCII paths (all of them in practice) are checked byte by byte,
    /// which was most of decoding a File; others by Characters as before, since there a combining
    /// mark after "/" joins it into one Character that does not split.
    static func hasParentComponent(_ path: String) -> Bool {
        guard path.utf8.allSatisfy({ $0 < 0x80 }) else { return path.split(separator: "/").contains("..") }
        var dots = 0
        var onlyDots = true
        for byte in path.utf8 {
            if byte == UInt8(ascii: "/") {
                if onlyDots && dots == 2 { return true }
                dots = 0
                onlyDots = true
            } else if byte == UInt8(ascii: ".") {
                dots += 1
            } else {
                onlyDots = false
            }
        }
        return onlyDots && dots == 2
    }

    static func decode(_ reader: ObjectReader, context: DecodeContext) -> FileSpec? {
        let path = readAbsolutePath(reader)
        let mode = readMode(reader)
        let owner = readAccount(reader, "owner")
        let group = readAccount(reader, "group")
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
