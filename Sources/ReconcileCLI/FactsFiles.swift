import Foundation
import ReconcileCore

/// Facts documents from files, or from every `*.json` in a folder (sorted), one per host.
enum FactsFiles {
    struct Entry {
        let path: String
        let document: FactsDocument
    }

    static func isDirectory(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
    }

    /// The `*.json` files of a folder, sorted, hidden ones and `skipping` left out.
    static func jsonFiles(in folder: String, skipping: Set<String> = []) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder)
            .filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") && !skipping.contains($0) }.sorted().map { "\(folder)/\($0)" }
    }

    /// A facts file that could not be read: in a fleet run its host, named after the file, fails alone.
    struct Unreadable {
        let path: String
        let error: any Error

        var host: String {
            let name = path.split(separator: "/").last.map(String.init) ?? path
            return name.hasSuffix(".json") ? String(name.dropLast(5)) : name
        }
    }

    /// Every facts file, the first unreadable one failing the lot.
    static func load(_ paths: [String]) throws -> [Entry] {
        let (entries, unreadable) = try loadEach(paths)
        if let first = unreadable.first { throw first.error }
        return entries
    }

    /// Every facts file that reads, and those that do not, each with its error.
    static func loadEach(_ paths: [String]) throws -> (entries: [Entry], unreadable: [Unreadable]) {
        var entries: [Entry] = []
        var unreadable: [Unreadable] = []
        for path in paths {
            let files: [String]
            if isDirectory(path) {
                files = try jsonFiles(in: path)
                guard !files.isEmpty else { throw ReconcileError.notAllowed("\(path): no facts files (*.json) in this folder") }
            } else {
                files = [path]
            }
            for file in files {
                do {
                    entries.append(Entry(path: file, document: try FactsDocument.load(from: try readFile(file), path: file)))
                } catch {
                    unreadable.append(Unreadable(path: file, error: error))
                }
            }
        }
        var seen: [String: String] = [:]
        for entry in entries {
            if let earlier = seen[entry.document.host] {
                throw ReconcileError.notAllowed("\(entry.path) and \(earlier) are both facts of host \(entry.document.host)")
            }
            seen[entry.document.host] = entry.path
        }
        return (entries, unreadable)
    }
}
