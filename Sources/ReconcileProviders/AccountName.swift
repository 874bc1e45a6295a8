import ReconcileCore

/// Rules shared by User and Group: names the shadow tools accept, ids, `--prefix`.
enum AccountName {
    /// useradd's default rule (without --badname): `[a-z_][a-z0-9_-]*[$]?`, at most 32 bytes.
    static func problem(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        let lower = { (byte: UInt8) in byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }
        let digit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        let body = bytes.last == UInt8(ascii: "$") ? bytes.dropLast() : bytes[...]
        guard let first = body.first, bytes.count <= 32, lower(first) || first == UInt8(ascii: "_"),
            body.allSatisfy({ lower($0) || digit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") })
        else {
            return "an account name is 1-32 of a-z 0-9 _ -, starting with a letter or _ (useradd's rule)"
        }
        return nil
    }

    /// The resource's name is the account's name.
    static func read(_ reader: ObjectReader, context: DecodeContext) -> String? {
        guard !context.name.isEmpty else { return nil }
        if let problem = problem(context.name) {
            reader.error("name", "\(TerminalText.quoted(context.name)) is not an account name: \(problem)")
            return nil
        }
        return context.name
    }

    static func readId(_ reader: ObjectReader, _ key: String) -> UInt32? {
        guard let id = reader.int(key, range: 0...Int(UInt32.max - 1)) else { return nil }
        return UInt32(id)
    }

    /// Staged roots are edited with the host's tools on the root's files (no chroot).
    static func prefix(_ root: HostRoot) -> [String] {
        root.isLive ? [] : ["--prefix", root.path]
    }

    /// Two resources that ask for one id.
    static func idClashes(_ claims: [(UInt32?, ResourceMeta, String)]) -> [Diagnostic] {
        var first: [UInt32: ResourceMeta] = [:]
        var diagnostics: [Diagnostic] = []
        for (id, meta, key) in claims {
            guard let id else { continue }
            if let earlier = first[id] {
                diagnostics.append(.error(
                    at: meta.mark(for: key), keyPath: key, "\(meta.address): \(key) \(id) is also asked for by \(earlier.address)"))
            } else {
                first[id] = meta
            }
        }
        return diagnostics
    }
}

extension FileSpec: UsesAccounts {
    public var usedUsers: [String] { owner.map { [$0] } ?? [] }
    public var usedGroups: [String] { group.map { [$0] } ?? [] }
}

extension DirectorySpec: UsesAccounts {
    public var usedUsers: [String] { owner.map { [$0] } ?? [] }
    public var usedGroups: [String] { group.map { [$0] } ?? [] }
}

extension CaptureProxySpec: UsesAccounts {
    public var usedUsers: [String] { [owner] }
    public var usedGroups: [String] { [group] }
}

extension GitLabRunnerSpec: UsesAccounts {
    public var usedUsers: [String] { [user] }
    public var usedGroups: [String] { [group] }
}
