import Foundation

/// Where a secret comes from. Plans, facts and logs carry this reference, never the value, which
/// is read only when a probe compares it or a step uses it.
public enum SecretReference: Codable, Sendable, Equatable, Hashable, CustomStringConvertible {
    case environment(String)
    /// A host path, read under the root like every other path.
    case file(String)

    public var description: String {
        switch self {
        case .environment(let name): return "environment variable \(name)"
        case .file(let path): return "file \(path)"
        }
    }

    /// `{env: NAME}` / `{file: PATH}`, as the manifest writes it.
    private enum Keys: String, CodingKey { case env = "env", file = "file" }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        if let name = try container.decodeIfPresent(String.self, forKey: .env) {
            self = .environment(name)
        } else {
            self = .file(try container.decode(String.self, forKey: .file))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        switch self {
        case .environment(let name): try container.encode(name, forKey: .env)
        case .file(let path): try container.encode(path, forKey: .file)
        }
    }

    /// The whole content for a file: a file's bytes as they are (its last newline kept), a
    /// variable's value; errors name the source only.
    public func content(environment: [String: String], files: any ReadableFileSystem) throws -> Data {
        switch self {
        case .environment(let name):
            guard let text = environment[name] else { throw ReconcileError.notAllowed("\(self) is not set") }
            return Data(text.utf8)
        case .file(let path):
            guard let status = try files.status(path) else {
                throw ReconcileError.notAllowed("\(self) does not exist (\(files.root.resolve(path)))")
            }
            guard status.type == .file else { throw ReconcileError.notAllowed("\(self) is not a regular file") }
            return try files.read(path, sizeHint: Int(status.size))
        }
    }

    /// The value, without the trailing newline a file usually ends with; errors name the source only.
    public func resolve(environment: [String: String], files: any ReadableFileSystem) throws -> String {
        let value: String
        switch self {
        case .environment(let name):
            guard let text = environment[name] else { throw ReconcileError.notAllowed("\(self) is not set") }
            value = text
        case .file(let path):
            guard let status = try files.status(path) else {
                throw ReconcileError.notAllowed("\(self) does not exist (\(files.root.resolve(path)))")
            }
            guard status.type == .file else { throw ReconcileError.notAllowed("\(self) is not a regular file") }
            guard let text = String(validatingUTF8Data: try files.read(path)) else {
                throw ReconcileError.notAllowed("\(self) is not UTF-8 text")
            }
            value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard !value.isEmpty else { throw ReconcileError.notAllowed("\(self) is empty") }
        guard !value.contains(where: { $0.isNewline }) else {
            throw ReconcileError.notAllowed("\(self) holds more than one line")
        }
        return value
    }
}

/// Takes secret values out of text that is about to be shown or logged.
public struct Redactor: Sendable {
    public static let mask = "[secret]"
    private var values: [String] = []

    public init() {}

    public mutating func add(_ value: String) {
        if !value.isEmpty && !values.contains(value) { values.append(value) }
    }

    public func redact(_ text: String) -> String {
        values.reduce(text) { $0.replacingOccurrences(of: $1, with: Self.mask) }
    }
}
