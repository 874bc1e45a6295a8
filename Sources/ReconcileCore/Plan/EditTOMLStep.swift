import ReconcileTOML

/// Sets the keys of one `[[array]]` entry of a TOML file (found by `matchKey = name`), or removes
/// the entry, reading the file when the step runs: other entries and every other byte stay as they
/// are, and secret values are read then, so the plan never holds them.
public struct EditTOMLStep: Codable, Sendable, Equatable {
    public enum Value: Codable, Sendable, Equatable {
        case string(String)
        case integer(Int)
        case boolean(Bool)
        case secret(SecretReference)

        /// The TOML value, a secret's taken from `secret` (read when the step runs, left out when planning).
        public func scalar(secret: (SecretReference) throws -> String) rethrows -> TOMLScalar {
            switch self {
            case .string(let text): return .string(text)
            case .integer(let number): return .integer(number)
            case .boolean(let flag): return .boolean(flag)
            case .secret(let reference): return .string(try secret(reference))
            }
        }
    }

    public struct Setting: Codable, Sendable, Equatable {
        /// Path below the entry: `["custom", "run_exec"]` is `[runners.custom] run_exec`.
        public var key: [String]
        public var value: Value

        public init(_ key: [String], _ value: Value) {
            self.key = key
            self.value = value
        }

        private enum CodingKeys: String, CodingKey {
            case key = "key", value = "value"
        }
    }

    public var path: String
    public var array: String
    public var matchKey: String
    public var name: String
    /// nil removes the entry.
    public var settings: [Setting]?
    /// Add the entry when it is missing; otherwise a missing entry is an error (something else creates it).
    public var createEntry: Bool
    /// Comment lines at the top of a new entry.
    public var comment: [String]
    /// Top-level integer keys raised to at least this value, never lowered.
    public var topLevelAtLeast: [String: Int]
    public var mode: UInt32
    public var owner: String?
    public var group: String?
    /// What changes, for review; never holds secret values.
    public var changes: [String]
    public var backup: Bool

    public init(
        path: String, array: String, matchKey: String, name: String, settings: [Setting]?, createEntry: Bool = true,
        comment: [String] = [], topLevelAtLeast: [String: Int] = [:], mode: UInt32 = 0o600, owner: String? = nil,
        group: String? = nil, changes: [String] = [], backup: Bool = true
    ) {
        self.path = path
        self.array = array
        self.matchKey = matchKey
        self.name = name
        self.settings = settings
        self.createEntry = createEntry
        self.comment = comment
        self.topLevelAtLeast = topLevelAtLeast
        self.mode = mode
        self.owner = owner
        self.group = group
        self.changes = changes
        self.backup = backup
    }

    private enum CodingKeys: String, CodingKey {
        case path = "path", array = "array", matchKey = "matchKey", name = "name", settings = "settings"
        case createEntry = "createEntry", comment = "comment", topLevelAtLeast = "topLevelAtLeast", mode = "mode"
        case owner = "owner", group = "group", changes = "changes", backup = "backup"
    }

    var entryDescription: String { "[[\(array)]] \(matchKey) = \(TOMLScalar.quote(name))" }

    public var summary: String {
        guard settings != nil else { return "remove \(entryDescription) from \(path)" }
        let attributes = Step.describe(mode: mode, owner: owner, group: group)
        return "set \(entryDescription) in \(path) (\(attributes))"
    }
}

/// `{"string": "…"}`, `{"integer": 1}`, `{"boolean": true}` or `{"secret": {"env": "NAME"}}` in plan JSON.
extension EditTOMLStep.Value {
    private enum Keys: String, CodingKey { case string = "string", integer = "integer", boolean = "boolean", secret = "secret" }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        if let text = try container.decodeIfPresent(String.self, forKey: .string) {
            self = .string(text)
        } else if let number = try container.decodeIfPresent(Int.self, forKey: .integer) {
            self = .integer(number)
        } else if let flag = try container.decodeIfPresent(Bool.self, forKey: .boolean) {
            self = .boolean(flag)
        } else {
            self = .secret(try container.decode(SecretReference.self, forKey: .secret))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        switch self {
        case .string(let text): try container.encode(text, forKey: .string)
        case .integer(let number): try container.encode(number, forKey: .integer)
        case .boolean(let flag): try container.encode(flag, forKey: .boolean)
        case .secret(let reference): try container.encode(reference, forKey: .secret)
        }
    }
}
