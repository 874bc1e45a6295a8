import ReconcileCore

/// A unit file's `[Install]` section as `systemctl enable` reads it (systemd 252): which links
/// enabling makes, so a staged root can be enabled and read without a `systemctl` process.
struct InstallSection: Equatable {
    var wantedBy: [String] = []
    var requiredBy: [String] = []
    var alias: [String] = []
    var also: [String] = []
    var defaultInstance: String?
    /// Something only systemd itself should interpret: specifiers (`%i`), continued lines.
    var needsSystemd = false

    /// A unit file's lines as systemd reads them: split at line feeds (by scalars: a String's
    /// Characters make "\r\n" one, never equal to "\n"), each stripped of systemd's whitespace
    /// (space, tab, CR, LF), so a file with CRLF line ends reads as it does to systemd.
    static func lines(of content: String) -> [Substring] {
        let whitespace: Set<Unicode.Scalar> = [" ", "\t", "\r", "\n"]
        return content.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            var scalars = line
            while let first = scalars.first, whitespace.contains(first) { scalars.removeFirst() }
            while let last = scalars.last, whitespace.contains(last) { scalars.removeLast() }
            return Substring(scalars)
        }
    }

    init(_ content: String) {
        var inInstall = false
        for line in Self.lines(of: content) {
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                inInstall = line == "[Install]"
                continue
            }
            guard inInstall else { continue }
            guard !line.hasSuffix("\\"), let equals = line.firstIndex(of: "=") else {
                needsSystemd = true
                continue
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.contains("%") || value.contains("\"") || value.contains("'") { needsSystemd = true }
            let words = value.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            // An empty assignment resets the list, as in systemd.
            switch key {
            case "WantedBy": wantedBy = words.isEmpty ? [] : wantedBy + words
            case "RequiredBy": requiredBy = words.isEmpty ? [] : requiredBy + words
            case "Alias": alias = words.isEmpty ? [] : alias + words
            case "Also": also = words.isEmpty ? [] : also + words
            case "DefaultInstance": defaultInstance = value.isEmpty ? nil : value
            default: break
            }
        }
    }

    /// Whether enabling makes any link of the unit's own (`systemctl is-enabled`: not static).
    var hasRules: Bool { !wantedBy.isEmpty || !requiredBy.isEmpty || !alias.isEmpty }

    /// The links `systemctl enable UNIT` makes for a unit whose file is at `path` (as systemd
    /// finds it, without the root): `/etc/systemd/system/TARGET.wants/NAME -> path`, `.requires`
    /// for RequiredBy=, `/etc/systemd/system/ALIAS -> path`; a template's links name its
    /// DefaultInstance=. nil when only systemctl can tell (Also=, specifiers, instances,
    /// a template without DefaultInstance=, an alias of a template).
    func enableLinks(unit: String, path: String) -> [UnitLink]? {
        guard !needsSystemd, also.isEmpty, let parts = UnitName(unit), parts.instance == nil || parts.instance?.isEmpty == true else {
            return nil
        }
        var name = unit
        if parts.isTemplate {
            guard let instance = defaultInstance, alias.isEmpty else { return nil }
            name = "\(parts.prefix)@\(instance)\(parts.suffix)"
        }
        let folder = ManagedUnit.folder
        var links = wantedBy.map { UnitLink(path: "\(folder)/\($0).wants/\(name)", target: path) }
        links += requiredBy.map { UnitLink(path: "\(folder)/\($0).requires/\(name)", target: path) }
        links += alias.map { UnitLink(path: "\(folder)/\($0)", target: path) }
        // systemctl makes each link once, however often the section names it.
        var seen = Set<String>()
        return links.filter { seen.insert($0.path).inserted }
    }
}

struct UnitLink: Equatable, Hashable {
    var path: String
    var target: String
}

/// `prefix@instance.suffix`: a template has an empty instance, a plain unit none.
struct UnitName {
    var prefix: String
    var instance: String?
    var suffix: String

    init?(_ name: String) {
        guard let dot = name.lastIndex(of: "."), dot > name.startIndex else { return nil }
        suffix = String(name[dot...])
        let stem = name[..<dot]
        if let at = stem.firstIndex(of: "@") {
            prefix = String(stem[..<at])
            instance = String(stem[stem.index(after: at)...])
        } else {
            prefix = String(stem)
            instance = nil
        }
    }

    var isTemplate: Bool { instance == "" }
}
