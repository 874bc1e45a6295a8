import Foundation
import ReconcileCore

/// `kind: SystemdUnit`: a unit file under /etc/systemd/system, whether it is enabled and running,
/// and what else makes it restart. Without `content`, the unit is one the host already has (a
/// package's, like exim4.service): only whether it is enabled and running is managed.
public struct UnitSpec: ResourceSpec {
    public var unit: String
    public var content: String?
    public var enabled: Bool?
    public var active: Bool?
    /// Resources whose changes restart this unit (its "declared inputs").
    public var restartOn: [ResourceAddress]

    public var path: String { ManagedUnit.path(of: unit) }
    public var implicitDependencies: [ResourceAddress] { restartOn }
    public var implicitDependencyKeyPaths: [String] { restartOn.indices.map { "restartOn[\($0)]" } }

    private enum CodingKeys: String, CodingKey {
        case unit = "unit", content = "content", enabled = "enabled", active = "active", restartOn = "restartOn"
    }
}

extension UnitSpec {
    public static let kind = "SystemdUnit"
    public static let keys = ["content", "enabled", "active", "restartOn"]
    static let unitTypes = ["service", "socket", "timer", "target", "path", "mount", "automount", "swap", "slice"]

    /// `backup.service`: a known unit type, and only the characters systemd allows in unit names.
    static func isUnitFileName(_ name: String) -> Bool {
        let suffix = name.split(separator: ".").last.map(String.init) ?? ""
        return name.contains(".") && unitTypes.contains(suffix)
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || ":-_.\\@".contains($0)) }
    }

    static func hasInstallSection(_ content: String) -> Bool {
        InstallSection.lines(of: content).contains("[Install]")
    }

    public static func decode(_ reader: ObjectReader, context: DecodeContext) -> UnitSpec? {
        let name = context.name
        let nameIsValid = isUnitFileName(name)
        if !nameIsValid {
            reader.error("name", "\"\(name)\" is not a unit file name (like \"backup.service\"; types: \(unitTypes.joined(separator: ", ")))")
        }
        let content = context.state == .present ? reader.string("content") : nil
        let enabled = reader.bool("enabled")
        let active = reader.bool("active")
        if context.state == .present && content == nil && enabled == nil && active == nil {
            reader.error(
                "content", "give the unit file's content, or (for a unit a package ships, like exim4.service) "
                    + "enabled: and/or active: to manage only whether it is enabled and running")
        }
        if enabled == true, let content, !hasInstallSection(content) {
            reader.error("enabled", "enabled: true needs an [Install] section (for example WantedBy=multi-user.target) in content")
        }
        if context.state == .absent, active == true || enabled == true {
            reader.error(active == true ? "active" : "enabled", "a unit with state: absent cannot be enabled or active")
        }
        var restartOn: [ResourceAddress] = []
        for (index, (text, node)) in (reader.stringList("restartOn") ?? []).enumerated() {
            guard let address = ResourceAddress(parsing: text) else {
                reader.error(at: node, keyPath: "restartOn[\(index)]", "\"\(text)\" is not a Kind/name address")
                continue
            }
            restartOn.append(address)
        }
        guard nameIsValid else { return nil }
        return UnitSpec(unit: name, content: content, enabled: enabled, active: active, restartOn: restartOn)
    }
}

extension UnitSpec {
    public func problems(name: String, state: ResourceState) -> [String] {
        var problems = SpecProblems()
        problems.check(unit == name && Self.isUnitFileName(unit), "unit", "\(TerminalText.quoted(unit)) is not this resource's unit file name")
        problems.check(
            state == .absent || content != nil || enabled != nil || active != nil, "content",
            "a present unit needs content, or enabled:/active: for a unit it does not own")
        // Without content the unit is a package's: its [Install] section is not ours to check
        // (the manifest decoder above checks only content it is given, too).
        problems.check(
            enabled != true || content.map(Self.hasInstallSection) ?? true, "enabled", "enabled: true needs an [Install] section")
        return problems.items
    }
}

extension UnitSpec {
    public var hostIdentity: String { "unit \(unit)" }

    /// Removal stops, disables and deletes the unit file by its name alone.
    public var removalSpec: UnitSpec {
        var spec = self
        spec.content = nil
        return spec
    }
}
