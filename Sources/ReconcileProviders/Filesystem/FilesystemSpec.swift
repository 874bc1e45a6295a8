import ReconcileCore

/// `kind: Filesystem`: a filesystem made on a blank device, and only on a blank one.
public struct FilesystemSpec: ResourceSpec {
    public var device: String
    /// What `mkfs.TYPE` makes and blkid reports: ext4, xfs, btrfs, vfat, …
    public var type: String
    /// Extra `mkfs.TYPE` arguments (`[-L, data]`), given before the device.
    public var options: [String]

    private enum CodingKeys: String, CodingKey {
        case device = "device", type = "type", options = "options"
    }
}

extension FilesystemSpec {
    public static let kind = "Filesystem"
    public static let keys = ["device", "type", "options"]

    /// A word that names `mkfs.TYPE` and nothing else.
    static func typeProblem(_ type: String) -> String? {
        let valid = !type.isEmpty && type.utf8.count <= 32 && type.utf8.allSatisfy {
            ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9"))
        }
        return valid ? nil : "a filesystem type is a lower-case word like ext4 or xfs (it names mkfs.TYPE)"
    }

    static func optionProblem(_ option: String) -> String? {
        option.unicodeScalars.contains(where: HostPath.isControl) ? "control characters are not allowed" : nil
    }

    public static func decode(_ reader: ObjectReader, context: DecodeContext) -> FilesystemSpec? {
        let device = FileSpec.readAbsolutePath(reader, key: "device")
        let type = reader.string("type", required: context.state == .present)
        if let type, let problem = typeProblem(type) { reader.error("type", "\(TerminalText.quoted(type)): \(problem)") }
        var options: [String] = []
        for (text, node) in reader.stringList("options") ?? [] {
            if let problem = optionProblem(text) {
                reader.error(at: node, keyPath: reader.path("options"), problem)
            } else {
                options.append(text)
            }
        }
        if context.state == .absent {
            reader.error("state", "a Filesystem is never removed by reconcile (that would erase the data on it); remove the resource instead")
        }
        guard let device, let type, typeProblem(type) == nil, context.state == .present else { return nil }
        return FilesystemSpec(device: device, type: type, options: options)
    }

    public func problems(name: String, state: ResourceState) -> [String] {
        var problems = SpecProblems()
        problems.path("device", device)
        if let problem = Self.typeProblem(type) { problems.check(false, "type", problem) }
        for option in options { if let problem = Self.optionProblem(option) { problems.check(false, "options", problem) } }
        problems.check(state == .present, "state", "a Filesystem is never removed by reconcile")
        return problems.items
    }
}

extension FilesystemSpec {
    public var hostIdentity: String { "filesystem on \(device)" }
    public var isRemovable: Bool { false }
}
