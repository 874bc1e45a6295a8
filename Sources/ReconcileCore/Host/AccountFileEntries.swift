import Foundation

/// One line of `etc/passwd` or `etc/group` (`name:password:id:…`), parsed one way for every
/// reader: the probes of User and Group, and the owner lookups of every file probe.
public struct AccountFileEntry: Sendable, Equatable {
    public var name: String
    public var id: UInt32
    /// The fields after the id: passwd's gid, gecos, home and shell; group's member list.
    public var rest: [Substring]

    /// The lines with a name and a numeric id, in file order (comments and broken lines skipped,
    /// as the shadow tools skip them).
    public static func parse(_ data: Data) -> [AccountFileEntry] {
        String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#") else { return nil }
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 3, !fields[0].isEmpty, let id = UInt32(fields[2]) else { return nil }
            return AccountFileEntry(name: String(fields[0]), id: id, rest: Array(fields.dropFirst(3)))
        }
    }

    /// A file's entries under the root; none when it is missing or unreadable.
    public static func read(_ files: any ReadableFileSystem, _ path: String) -> [AccountFileEntry] {
        guard let data = try? files.read(path) else { return [] }
        return parse(data)
    }
}
