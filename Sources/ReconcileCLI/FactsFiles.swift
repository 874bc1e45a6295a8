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

    static func load(_ paths: [String]) throws -> [Entry] {
        var entries: [Entry] = []
        for path in paths {
            let files: [String]
            if isDirectory(path) {
                files = try jsonFiles(in: path)
                guard !files.isEmpty else { throw ReconcileError.notAllowed("\(path): no facts files (*.json) in this folder") }
            } else {
                files = [path]
            }
            for file in files {
                entries.append(Entry(path: file, document: try FactsDocument.load(from: try readFile(file), path: file)))
            }
        }
        var seen: [String: String] = [:]
        for entry in entries {
            if let earlier = seen[entry.document.host] {
                throw ReconcileError.notAllowed("\(entry.path) and \(earlier) are both facts of host \(entry.document.host)")
            }
            seen[entry.document.host] = entry.path
        }
        return entries
    }
}
