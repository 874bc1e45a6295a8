import ReconcileCore

/// `kind: Package`: a Debian package installed (at a version, when given) or absent. The
/// resource's name is the package's name.
public struct PackageSpec: ResourceSpec {
    public var package: String
    /// Installed exactly (`apt-get install name=version`); otherwise any installed version will do.
    public var version: String?

    private enum CodingKeys: String, CodingKey {
        case package = "package", version = "version"
    }
}

extension PackageSpec {
    public static let kind = "Package"
    public static let keys = ["version"]

    /// Debian policy: lower case letters, digits, `+ - .`, at least two characters, starting
    /// alphanumeric; an architecture may follow a colon. Nothing else reaches apt's argv.
    static func nameProblem(_ name: String) -> String? {
        let parts = name.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, let base = parts.first else { return "at most one \":architecture\" suffix" }
        let allowed = { (byte: UInt8) in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
        }
        guard base.utf8.count >= 2, let first = base.utf8.first, allowed(first), first != UInt8(ascii: "+"),
            first != UInt8(ascii: "-"), first != UInt8(ascii: "."), base.utf8.allSatisfy(allowed)
        else {
            return "a Debian package name has two or more of a-z 0-9 + - . and starts with a letter or digit"
        }
        if parts.count == 2, parts[1].isEmpty || !parts[1].utf8.allSatisfy(allowed) {
            return "the architecture after \":\" is a word like amd64"
        }
        return nil
    }

    /// Debian versions: `[epoch:]upstream[-revision]`, starting with a digit, no spaces or `=`.
    static func versionProblem(_ version: String) -> String? {
        let allowed = { (byte: UInt8) in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || [UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "~"), UInt8(ascii: ":")].contains(byte)
        }
        guard let first = version.utf8.first, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9"),
            version.utf8.allSatisfy(allowed)
        else {
            return "a Debian version starts with a digit and has only letters, digits and + - . ~ :"
        }
        return nil
    }

    public static func decode(_ reader: ObjectReader, context: DecodeContext) -> PackageSpec? {
        var valid = !context.name.isEmpty
        if valid, let problem = nameProblem(context.name) {
            reader.error("name", "\(TerminalText.quoted(context.name)) is not a package name: \(problem)")
            valid = false
        }
        let version = reader.string("version")
        if let version, let problem = versionProblem(version) {
            reader.error("version", "\(TerminalText.quoted(version)) is not a version: \(problem)")
            valid = false
        }
        if version != nil && context.state == .absent {
            reader.error("version", "an absent package has no version; remove the key or the state")
            valid = false
        }
        return valid ? PackageSpec(package: context.name, version: version) : nil
    }

    public func problems(name: String, state: ResourceState) -> [String] {
        var problems = SpecProblems()
        problems.check(package == name, "package", "\(TerminalText.quoted(package)) is not the resource's name")
        if let problem = Self.nameProblem(package) { problems.check(false, "package", problem) }
        if let version, let problem = Self.versionProblem(version) { problems.check(false, "version", problem) }
        problems.check(version == nil || state == .present, "version", "an absent package has no version")
        return problems.items
    }

    /// What apt-get is asked for.
    var aptArgument: String { version.map { "\(package)=\($0)" } ?? package }
}

extension PackageSpec {
    public var hostIdentity: String { "package \(package)" }
}
