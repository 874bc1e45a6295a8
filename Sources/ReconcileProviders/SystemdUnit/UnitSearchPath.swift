import ReconcileCore

/// The folders systemd finds unit files in, each listed once: finding a unit's file by a stat in
/// each folder cost 13 walks from the root per unit the host does not have (43 % of a live apply
/// of 2,000 new units in the VM).
struct UnitSearchPath {
    /// Where systemd 252 looks for system units, in its order of precedence.
    static let folders = [
        "/etc/systemd/system.control", "/run/systemd/system.control", "/run/systemd/transient", "/run/systemd/generator.early",
        "/etc/systemd/system", "/etc/systemd/system.attached", "/run/systemd/system", "/run/systemd/system.attached",
        "/run/systemd/generator", "/usr/local/lib/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system",
        "/run/systemd/generator.late",
    ]

    private let listed: [(folder: String, names: [String], lookUp: Set<String>)]

    init(files: any ReadableFileSystem) throws {
        listed = try Self.folders.map { folder in
            let names = try files.entries(folder) ?? []
            return (folder, names, Set(names))
        }
    }

    /// What `folder`, one of `folders`, holds as listed (nothing for any other folder).
    func names(in folder: String) -> [String] {
        listed.first { $0.folder == folder }?.names ?? []
    }

    func holds(_ name: String, in folder: String) -> Bool {
        listed.first { $0.folder == folder }?.lookUp.contains(name) == true
    }

    /// Where systemd finds the file of `unit`: the unit's own, else its template's.
    func unitFile(_ unit: String) -> String? {
        var names = [unit]
        if let at = unit.firstIndex(of: "@"), let dot = unit.lastIndex(of: "."), at < dot {
            names.append(String(unit[...at]) + String(unit[dot...]))
        }
        for name in names {
            if let folder = listed.first(where: { $0.lookUp.contains(name) })?.folder { return "\(folder)/\(name)" }
        }
        return nil
    }

    /// Whether the unit's file has an `[Install]` section: without one, `systemctl enable` does
    /// nothing and something else (another unit, a generator) must start it.
    func isInstallable(_ unit: String, files: any ReadableFileSystem) throws -> Bool? {
        guard let path = unitFile(unit) else { return nil }
        return UnitSpec.hasInstallSection(String(decoding: try files.read(path), as: UTF8.self))
    }
}
