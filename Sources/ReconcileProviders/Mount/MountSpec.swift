import ReconcileCore

/// `kind: Mount`: a mount as a systemd `.mount` unit (systemd's names: What, Where, Type,
/// Options), written, enabled and started.
public struct MountSpec: ResourceSpec {
    public var what: String
    public var `where`: String
    public var type: String?
    public var options: String?

    private enum CodingKeys: String, CodingKey {
        case what = "what", `where` = "where", type = "type", options = "options"
    }
}

extension MountSpec {
    public static let kind = "Mount"
    public static let keys = ["what", "where", "type", "options"]

    /// Values go into a unit file: one line each, no whitespace (systemd would split or trim it).
    static func valueProblem(_ value: String) -> String? {
        guard !value.isEmpty else { return "must not be empty" }
        return value.unicodeScalars.contains(where: { HostPath.isControl($0) || $0 == " " || $0 == "\t" })
            ? "no spaces or control characters (it goes into a unit file)" : nil
    }

    public static func decode(_ reader: ObjectReader, context: DecodeContext) -> MountSpec? {
        let what = reader.string("what", required: context.state == .present)
        let place = FileSpec.readAbsolutePath(reader, key: "where")
        let type = reader.string("type")
        let options = reader.string("options")
        var valid = true
        for (key, value) in [("what", what), ("type", type), ("options", options)] {
            if let value, let problem = valueProblem(value) {
                reader.error(key, problem)
                valid = false
            }
        }
        if place == "/" {
            reader.error("where", "the root filesystem is not managed as a Mount")
            valid = false
        }
        guard valid, let place else { return nil }
        return MountSpec(what: what ?? "", where: place, type: type, options: options)
    }

    public func problems(name: String, state: ResourceState) -> [String] {
        var problems = SpecProblems()
        problems.path("where", `where`)
        problems.check(`where` != "/", "where", "the root filesystem is not managed as a Mount")
        for (key, value) in [("what", state == .present ? what : nil), ("type", type), ("options", options)] {
            if let value, let problem = Self.valueProblem(value) { problems.check(false, key, problem) }
        }
        return problems.items
    }

    /// systemd's name for the mount point (`systemd-escape --path --suffix=mount`).
    var unitName: String { MountUnit.name(for: `where`) }
}

enum MountUnit {
    /// `/srv/my data` → `srv-my\x20data.mount`, as systemd-escape --path does it.
    static func name(for path: String) -> String {
        let trimmed = path.split(separator: "/").joined(separator: "/")
        var escaped = ""
        for (index, byte) in trimmed.utf8.enumerated() {
            let isAlphanumeric = (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
            if byte == UInt8(ascii: "/") {
                escaped.append("-")
            } else if isAlphanumeric || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "_") || (byte == UInt8(ascii: ".") && index > 0) {
                escaped.append(Character(Unicode.Scalar(byte)))
            } else {
                escaped += (byte < 0x10 ? "\\x0" : "\\x") + String(byte, radix: 16)
            }
        }
        return (escaped.isEmpty ? "-" : escaped) + ".mount"
    }

    /// `%` starts a specifier in unit files; `%%` is a literal one.
    static func unitValue(_ value: String) -> String { value.replacingOccurrences(of: "%", with: "%%") }

    static func content(_ spec: MountSpec, address: ResourceAddress) -> String {
        var lines = [
            "# Managed by reconcile (\(address)); changes here are overwritten.",
            "[Unit]",
            "Description=\(unitValue(spec.what)) on \(unitValue(spec.where)) (reconcile \(unitValue(address.description)))",
            "",
            "[Mount]",
            "What=\(unitValue(spec.what))",
            "Where=\(unitValue(spec.where))",
        ]
        if let type = spec.type { lines.append("Type=\(unitValue(type))") }
        if let options = spec.options { lines.append("Options=\(unitValue(options))") }
        lines += ["", "[Install]", "WantedBy=local-fs.target", ""]
        return lines.joined(separator: "\n")
    }
}

extension MountSpec {
    public var hostIdentity: String { "mount on \(`where`)" }
}
