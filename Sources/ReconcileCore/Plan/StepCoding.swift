/// Steps and triggers in JSON carry a `type`/`action` field beside their own fields,
/// so plan consumers need no knowledge of Swift's enum encoding.
extension Step {
    /// The `type` of each step; the format tests check that their snapshots hold every one.
    enum Kind: String, Codable, CaseIterable {
        case command = "command", writeFile = "writeFile", setAttributes = "setAttributes", removeFile = "removeFile"
        case systemctl = "systemctl", check = "check", compileCDB = "compileCDB", editTOML = "editTOML"
        case createDirectory = "createDirectory", removeDirectory = "removeDirectory", makeFilesystem = "makeFilesystem", link = "link"
    }

    private enum TypeKey: String, CodingKey {
        case type = "type"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: TypeKey.self)
        switch try container.decode(Kind.self, forKey: .type) {
        case .command: self = .command(try CommandStep(from: decoder))
        case .writeFile: self = .writeFile(try WriteFileStep(from: decoder))
        case .setAttributes: self = .setAttributes(try SetAttributesStep(from: decoder))
        case .removeFile: self = .removeFile(try RemoveFileStep(from: decoder))
        case .systemctl: self = .systemctl(try SystemctlStep(from: decoder))
        case .check: self = .check(try CheckStep(from: decoder))
        case .compileCDB: self = .compileCDB(try CompileCDBStep(from: decoder))
        case .editTOML: self = .editTOML(try EditTOMLStep(from: decoder))
        case .createDirectory: self = .createDirectory(try CreateDirectoryStep(from: decoder))
        case .removeDirectory: self = .removeDirectory(try RemoveDirectoryStep(from: decoder))
        case .makeFilesystem: self = .makeFilesystem(try MakeFilesystemStep(from: decoder))
        case .link: self = .link(try LinkStep(from: decoder))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: TypeKey.self)
        switch self {
        case .command(let step):
            try container.encode(Kind.command, forKey: .type)
            try step.encode(to: encoder)
        case .writeFile(let step):
            try container.encode(Kind.writeFile, forKey: .type)
            try step.encode(to: encoder)
        case .setAttributes(let step):
            try container.encode(Kind.setAttributes, forKey: .type)
            try step.encode(to: encoder)
        case .removeFile(let step):
            try container.encode(Kind.removeFile, forKey: .type)
            try step.encode(to: encoder)
        case .systemctl(let step):
            try container.encode(Kind.systemctl, forKey: .type)
            try step.encode(to: encoder)
        case .check(let step):
            try container.encode(Kind.check, forKey: .type)
            try step.encode(to: encoder)
        case .compileCDB(let step):
            try container.encode(Kind.compileCDB, forKey: .type)
            try step.encode(to: encoder)
        case .editTOML(let step):
            try container.encode(Kind.editTOML, forKey: .type)
            try step.encode(to: encoder)
        case .createDirectory(let step):
            try container.encode(Kind.createDirectory, forKey: .type)
            try step.encode(to: encoder)
        case .removeDirectory(let step):
            try container.encode(Kind.removeDirectory, forKey: .type)
            try step.encode(to: encoder)
        case .makeFilesystem(let step):
            try container.encode(Kind.makeFilesystem, forKey: .type)
            try step.encode(to: encoder)
        case .link(let step):
            try container.encode(Kind.link, forKey: .type)
            try step.encode(to: encoder)
        }
    }
}

extension Trigger {
    private enum Keys: String, CodingKey {
        case action = "action", unit = "unit"
    }

    private enum Verb: String, Codable {
        case restart = "restart", reload = "reload"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        let unit = try container.decode(String.self, forKey: .unit)
        switch try container.decode(Verb.self, forKey: .action) {
        case .restart: self = .restart(unit: unit)
        case .reload: self = .reload(unit: unit)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        switch self {
        case .restart(let unit):
            try container.encode(Verb.restart, forKey: .action)
            try container.encode(unit, forKey: .unit)
        case .reload(let unit):
            try container.encode(Verb.reload, forKey: .action)
            try container.encode(unit, forKey: .unit)
        }
    }
}
