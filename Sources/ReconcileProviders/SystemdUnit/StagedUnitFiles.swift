import ReconcileCore

/// What `systemctl --root is-enabled` answers, read from the staged root's unit folders and
/// links in one pass: `systemctl --root` rescans every unit folder per unit it is asked about,
/// 6 s for 2,000 units. Only the common case is answered here (a unit file in a plain unit
/// folder, its `[Install]` links in `/etc/systemd/system`); anything else (templates and
/// instances, linked or aliased unit files, runtime, generator or control folders with
/// content, specifiers, unexpected links) is left to `systemctl` itself.
struct StagedUnitFiles {
    /// Where systemd 252 looks for system units besides the plain folders below.
    static let otherFolders = [
        "/etc/systemd/system.control", "/run/systemd/system.control", "/run/systemd/transient", "/run/systemd/generator.early",
        "/etc/systemd/system.attached", "/run/systemd/system", "/run/systemd/system.attached", "/run/systemd/generator",
        "/run/systemd/generator.late",
    ]
    /// In systemd's order of precedence.
    static let plainFolders = ["/etc/systemd/system", "/usr/local/lib/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"]

    private let files: any HostFileSystem
    /// Links in `/etc/systemd/system` and its `.wants`/`.requires` folders, by the link's name.
    private var linksByName: [String: [UnitLink]] = [:]
    /// The same links by the last component of their target.
    private var linksByTarget: [String: [UnitLink]] = [:]
    /// Something here only systemd should interpret: every unit is asked of `systemctl`.
    private(set) var needsSystemd = false

    init(files: any HostFileSystem) throws {
        self.files = files
        for folder in Self.otherFolders where !(try files.entries(folder) ?? []).isEmpty {
            needsSystemd = true
            return
        }
        let folder = ManagedUnit.folder
        for name in try files.entries(folder) ?? [] {
            let path = "\(folder)/\(name)"
            if name.hasSuffix(".wants") || name.hasSuffix(".requires") {
                for linked in try files.entries(path) ?? [] { try record("\(path)/\(linked)", name: linked) }
            } else {
                try record(path, name: name)
            }
        }
    }

    private mutating func record(_ path: String, name: String) throws {
        guard let target = try files.linkTarget(path) else { return }
        let link = UnitLink(path: path, target: target)
        linksByName[name, default: []].append(link)
        linksByTarget[target.split(separator: "/").last.map(String.init) ?? target, default: []].append(link)
    }

    /// `enabled`, `disabled`, `static`, `indirect` or `masked`; nil when `systemctl` must tell.
    func state(of unit: String) throws -> String? {
        guard !needsSystemd, let name = UnitName(unit), name.instance == nil else { return nil }
        for folder in Self.plainFolders {
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
