import Foundation

/// Turns the paths given on the command line into manifest files, in a stable order.
public enum ManifestFiles {
    public static let extensions: Set<String> = ["yaml", "yml"]

    /// A directory contributes every `*.yaml`/`*.yml` below it (hidden entries skipped), sorted by path;
    /// a file is taken as given, whatever its name.
    public static func expand(_ paths: [String]) throws -> [String] {
        var result: [String] = []
        var seen = Set<String>()
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ReconcileError.io(path: path, operation: "read manifests from", errno: ENOENT)
            }
            let files = isDirectory.boolValue ? try walk(path) : [path]
            for file in files where seen.insert(file).inserted {
                result.append(file)
            }
        }
        return result
    }

    private static func walk(_ directory: String) throws -> [String] {
        let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
        var found: [String] = []
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: base)
        } catch {
            throw ReconcileError.io(path: base, operation: "list", errno: EACCES)
        }
        for entry in entries.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) where !entry.hasPrefix(".") {
            let path = "\(base)/\(entry)"
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
            if isDirectory.boolValue {
                found.append(contentsOf: try walk(path))
            } else if extensions.contains((entry as NSString).pathExtension.lowercased()) {
                found.append(path)
            }
        }
        return found
    }
}
