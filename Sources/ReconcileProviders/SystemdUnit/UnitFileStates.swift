import ReconcileCore

/// What `systemctl is-enabled` answers, read from the unit folders and links in one pass:
/// `systemctl --root` rescans every unit folder per unit it is asked about (6 s for 2,000
/// units), and live, `systemctl show` makes systemd load every unit it is asked about. Only the
/// common case is answered here (a unit file in a plain unit folder, its `[Install]` links in
/// `/etc/systemd/system`); anything else (templates and instances, linked or aliased unit files,
/// units a runtime, generator or control folder names, specifiers, unexpected links) is left to
/// `systemctl` itself.
struct UnitFileStates {
    /// The folders of the search path that hold unit files and nothing only systemd interprets.
    static let plainFolders = ["/etc/systemd/system", "/usr/local/lib/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"]
    /// The others: runtime, generator and control folders (on a booted host, never empty).
    static var otherFolders: [String] { UnitSearchPath.folders.filter { !plainFolders.contains($0) } }

    private let files: any ReadableFileSystem
    /// The unit folders as listed once for the probe.
    private let searchPath: UnitSearchPath
    /// Links in `/etc/systemd/system` and its `.wants`/`.requires` folders, by the link's name.
    private var linksByName: [String: [UnitLink]] = [:]
    /// The same links by the last component of their target.
    private var linksByTarget: [String: [UnitLink]] = [:]
    /// Names a runtime, generator or control folder mentions (a unit file, a drop-in or link
    /// folder, a link or what it points at): only systemd tells those units' state.
    private var namedElsewhere: Set<String> = []

    /// `searchPath`: the probe's own listing of the unit folders, made here when not given.
    init(files: any ReadableFileSystem, searchPath: UnitSearchPath? = nil) throws {
        self.files = files
        self.searchPath = try searchPath ?? UnitSearchPath(files: files)
        for folder in Self.otherFolders {
            for name in self.searchPath.names(in: folder) {
                try mention("\(folder)/\(name)", name: name)
                guard [".wants", ".requires", ".d"].contains(where: name.hasSuffix) else { continue }
                for inner in try files.entries("\(folder)/\(name)") ?? [] { try mention("\(folder)/\(name)/\(inner)", name: inner) }
            }
        }
        let folder = ManagedUnit.folder
        for name in self.searchPath.names(in: folder) {
            let path = "\(folder)/\(name)"
            if name.hasSuffix(".wants") || name.hasSuffix(".requires") {
                for linked in try files.entries(path) ?? [] { try record("\(path)/\(linked)", name: linked) }
            } else {
                try record(path, name: name)
            }
        }
    }

    private mutating func mention(_ path: String, name: String) throws {
        namedElsewhere.insert(name)
        if let target = try files.linkTarget(path), let last = target.split(separator: "/").last { namedElsewhere.insert(String(last)) }
    }

    private mutating func record(_ path: String, name: String) throws {
        guard let target = try files.linkTarget(path) else { return }
        let link = UnitLink(path: path, target: target)
        linksByName[name, default: []].append(link)
        linksByTarget[target.split(separator: "/").last.map(String.init) ?? target, default: []].append(link)
    }

    /// `enabled`, `disabled`, `static`, `indirect` or `masked`; nil when `systemctl` must tell.
    func state(of unit: String) throws -> String? {
        guard let name = UnitName(unit), name.instance == nil, !namedElsewhere.contains(unit), !namedElsewhere.contains(unit + ".d") else {
            return nil
        }
        for folder in Self.plainFolders where searchPath.holds(unit, in: folder) {
            let path = "\(folder)/\(unit)"
            guard let status = try files.status(path) else { continue }
            switch status.type {
            case .symlink:
                return try files.linkTarget(path) == "/dev/null" ? "masked" : nil
            case .file where status.size == 0:
                return "masked"
            case .file:
                return try state(of: unit, path: path, install: InstallSection(String(decoding: try files.read(path), as: UTF8.self)))
            default:
                return nil
            }
        }
        return nil
    }

    private func state(of unit: String, path: String, install: InstallSection) throws -> String? {
        guard !install.needsSystemd else { return nil }
        let named = linksByName[unit] ?? []
        let pointing = linksByTarget[unit] ?? []
        // A link named for the unit that points elsewhere, or one to it under another name than
        // its Alias= ones: systemd's rules for those are subtle, so it answers.
        let aliases = Set(install.alias.map { "\(ManagedUnit.folder)/\($0)" })
        let ownLinks = named.filter { $0.target == path || $0.target.hasSuffix("/\(unit)") }
        guard ownLinks.count == named.count, pointing.allSatisfy({ ownLinks.contains($0) || aliases.contains($0.path) }) else {
            return nil
        }
        if !ownLinks.isEmpty || !pointing.isEmpty { return "enabled" }
        if install.hasRules { return "disabled" }
        return install.also.isEmpty ? "static" : "indirect"
    }
}
