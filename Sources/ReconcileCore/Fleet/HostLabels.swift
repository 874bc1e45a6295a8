import Foundation

/// A host's labels: `KEY=VALUE` from `--label` and from the labels file a host keeps
/// (`/etc/reconcile/labels`, one per line, `#` comments), which facts then record.
public enum HostLabels {
    public static let path = "/etc/reconcile/labels"

    public static func parse(_ pair: String) throws -> (key: String, value: String) {
        guard let equals = pair.firstIndex(of: "=") else {
            throw ReconcileError.notAllowed("label \"\(pair)\" is not KEY=VALUE")
        }
        let key = String(pair[..<equals]).trimmingCharacters(in: .whitespaces)
        let value = String(pair[pair.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
        guard HostSelector.isValidLabelKey(key) else {
            throw ReconcileError.notAllowed("label key \"\(key)\" must start with a letter and hold only letters, digits and . _ - /")
        }
        return (key, value)
    }

    /// The labels file under the host's root, if there is one.
    public static func read(files: any ReadableFileSystem) throws -> [String: String] {
        guard try files.status(path) != nil else { return [:] }
        guard let text = String(validatingUTF8Data: try files.read(path)) else {
            throw ReconcileError.notAllowed("\(files.root.resolve(path)) is not UTF-8 text")
        }
        var labels: [String: String] = [:]
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { continue }
            do {
                let (key, value) = try parse(trimmed)
                labels[key] = value
            } catch {
                throw ReconcileError.notAllowed("\(files.root.resolve(path)):\(index + 1): \(error)")
            }
        }
        return labels
    }
}
