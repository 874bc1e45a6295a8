import Foundation
import ReconcileCDB
import ReconcileCore

/// The relay's files, the entries its cdb holds now, and which checking tools the host has.
public struct OnionRelayObservation: Codable, Sendable, Equatable {
    public struct CDBState: Codable, Sendable, Equatable {
        public var exists: Bool
        /// domain → onion, as Exim would look them up; nil when unreadable.
        public var entries: [String: String]?
        public var problem: String?
    }

    /// By path: the map text, torrc, Exim snippets and Perl routine.
    public var files: [String: FileObservation]
    public var cdb: CDBState
    /// tool name → path, for the checks run before files are replaced.
    public var tools: [String: String]
    /// Debian's `dc_use_split_config`, when its file says.
    public var eximSplitConfig: Bool?
    /// Debian's update-exim4.conf.conf, with its text, when the manifest manages keys of it.
    public var debianSettings: FileObservation?

    static let toolNames = ["tor", "exim", "perl"]
    static let debianEximSettings = DebianEximSettings.path

    static func probe(_ spec: OnionRelaySpec, host: HostContext) throws -> OnionRelayObservation {
        var files: [String: FileObservation] = [:]
        for path in spec.managedPaths where path != spec.cdb {
            files[path] = try FileObservation.probe(path, files: host.files)
        }
        // Read once: with its text when the relay edits it, only for the split setting otherwise.
        let settings = spec.exim.settings == nil ? nil : try FileObservation.probe(DebianEximSettings.path, files: host.files)
        return OnionRelayObservation(
            files: files, cdb: try probeCDB(spec.cdb, host: host),
            tools: Dictionary(uniqueKeysWithValues: toolNames.compactMap { name in Executables.find(name).map { (name, $0) } }),
            eximSplitConfig: try settings?.text.map(splitConfig(in:)) ?? probeSplitConfig(host),
            debianSettings: settings)
    }

    /// Read as entries, so the plan can say which domains change rather than that a blob differs.
    static func probeCDB(_ path: String, host: HostContext) throws -> CDBState {
        guard let status = try host.files.status(path) else { return CDBState(exists: false) }
        guard status.type == .file else { return CDBState(exists: true, problem: "not a regular file") }
        do {
            let reader = try CDBReader(bytes: [UInt8](try host.files.read(path)))
            var entries: [String: String] = [:]
            for record in try reader.records() {
                entries[String(decoding: record.key, as: UTF8.self)] = String(decoding: record.value, as: UTF8.self)
            }
            return CDBState(exists: true, entries: entries)
        } catch {
            return CDBState(exists: true, problem: "\(error)")
        }
    }

    static func probeSplitConfig(_ host: HostContext) throws -> Bool? {
        guard try host.files.status(debianEximSettings) != nil else { return nil }
        return splitConfig(in: String(decoding: try host.files.read(debianEximSettings), as: UTF8.self))
    }

    static func splitConfig(in text: String) -> Bool? {
        for line in text.split(separator: "\n") where line.hasPrefix("dc_use_split_config=") {
            return line.contains("true")
        }
        return nil
    }
}
