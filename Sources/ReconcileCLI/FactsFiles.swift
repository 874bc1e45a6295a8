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

    static func load(_ paths: [String]) throws -> [Entry] {
        var entries: [Entry] = []
        for path in paths {
            let files: [String]
            if isDirectory(path) {
                let names = try FileManager.default.contentsOfDirectory(atPath: path)
                files = names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted().map { "\(path)/\($0)" }
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
