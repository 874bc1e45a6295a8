import Foundation

/// The commit checked out in the git work tree a manifest is in, read from `.git` itself: no git
/// process runs (root running git in a work tree someone else owns runs that tree's hooks and
/// config), and a host without git still records it.
public struct GitRevision: Codable, Sendable, Equatable {
    /// The work tree's top folder.
    public var workTree: String
    public var commit: String
    /// nil on a detached HEAD.
    public var branch: String?

    /// The revision of the work tree holding `path` (a file or folder); nil outside one.
    public static func find(_ path: String) -> GitRevision? {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var folder = URL(fileURLWithPath: absolute).standardized.path
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) || !isDirectory.boolValue {
            folder = (folder as NSString).deletingLastPathComponent
        }
        while true {
            if let revision = revision(workTree: folder) { return revision }
            let parent = (folder as NSString).deletingLastPathComponent
            if parent == folder || parent.isEmpty { return nil }
            folder = parent
        }
    }

    static func revision(workTree: String) -> GitRevision? {
        let dotGit = workTree == "/" ? "/.git" : workTree + "/.git"
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dotGit, isDirectory: &isDirectory) else { return nil }
        var gitDirectory = dotGit
        if !isDirectory.boolValue {
            // A linked work tree or submodule: `gitdir: PATH`.
            guard let line = text(dotGit), line.hasPrefix("gitdir: ") else { return nil }
            let target = String(line.dropFirst("gitdir: ".count))
            gitDirectory = target.hasPrefix("/") ? target : workTree + "/" + target
        }
        // A linked work tree's refs live in the main repository's folder.
        let common = text(gitDirectory + "/commondir").map { $0.hasPrefix("/") ? $0 : gitDirectory + "/" + $0 } ?? gitDirectory
        guard let head = text(gitDirectory + "/HEAD") else { return nil }
        if isObjectName(head) { return GitRevision(workTree: workTree, commit: head, branch: nil) }
        guard head.hasPrefix("ref: ") else { return nil }
        let reference = String(head.dropFirst("ref: ".count))
        guard !reference.split(separator: "/").contains(".."),
              let commit = resolve(reference, in: [gitDirectory, common]) else { return nil }
        let branch = reference.hasPrefix("refs/heads/") ? String(reference.dropFirst("refs/heads/".count)) : reference
        return GitRevision(workTree: workTree, commit: commit, branch: branch)
    }

    /// A loose ref file, else the line of `packed-refs` naming it.
    static func resolve(_ reference: String, in folders: [String]) -> String? {
        for folder in folders {
            if let loose = text(folder + "/" + reference), isObjectName(loose) { return loose }
        }
        for folder in folders {
            guard let packed = text(folder + "/packed-refs") else { continue }
            for line in packed.split(separator: "\n") {
                let parts = line.split(separator: " ", maxSplits: 1)
                if parts.count == 2, parts[1] == reference, isObjectName(String(parts[0])) { return String(parts[0]) }
            }
        }
        return nil
    }

    /// SHA-1 or SHA-256 object names in lower-case hex.
    static func isObjectName(_ text: String) -> Bool {
        (text.count == 40 || text.count == 64) && text.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }

    /// A small file's text without its trailing newline; nil if missing or large.
    private static func text(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path), data.count <= 1 << 20 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
