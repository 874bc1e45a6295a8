import Foundation

/// Turns the paths given on the command line into manifest files, in a stable order.
public enum ManifestFiles {
    public static let extensions: Set<String> = ["yaml", "yml"]

    /// A directory contributes every `*.yaml`/`*.yml` below it (hidden entries skipped), sorted by path;
    /// a file is taken as given, whatever its name. `entryBudget`: how many directory entries the
    /// walk may look at before it stops with an error (shell completion in $HOME must stay quick).
    public static func expand(_ paths: [String], entryBudget: Int = .max) throws -> [String] {
        var budget = entryBudget
        var result: [String] = []
        var seen = Set<String>()
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ReconcileError.io(path: path, operation: "read manifests from", errno: ENOENT)
            }
            let files = isDirectory.boolValue ? try walk(path, budget: &budget) : [path]
            for file in files where seen.insert(file).inserted {
                result.append(file)
            }
        }
        return result
    }

    private static func walk(_ directory: String, budget: inout Int) throws -> [String] {
        let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        var found: [String] = []
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: base)
        } catch {
            throw ReconcileError.io(path: base, operation: "list", errno: EACCES)
        }
        budget -= entries.count
        guard budget >= 0 else { throw ReconcileError.notAllowed("more entries under \(base) than the walk may look at") }
        for entry in entries.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) where !entry.hasPrefix(".") {
            let path = "\(base)/\(entry)"
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                found.append(contentsOf: try walk(path, budget: &budget))
            } else if extensions.contains((entry as NSString).pathExtension.lowercased()) {
                found.append(path)
            }
        }
        return found
    }
}
