import Foundation
import ReconcileCore

/// What is on a device, as `wipefs --no-act` (libblkid) finds it: every signature, not only a
/// filesystem's (partition tables, LVM, RAID, swap count too).
public struct FilesystemObservation: Codable, Sendable, Equatable {
    public var exists: Bool
    /// Signature types found, in wipefs's order (`ext4`, `LVM2_member`, `dos`, …); empty: blank.
    public var signatures: [String]
    public var label: String?
    public var uuid: String?
}

/// One `wipefs --no-act --json` for every device (wipefs names each by its base name, so
/// devices that share one are asked in separate batches).
enum SignatureProbe {
    /// Keyed by the paths given. wipefs names a device by the base name of the node it opened
    /// (`dm-3` for `/dev/data/vol`), so links are resolved first.
    static func probe(_ devices: [String], commands: any CommandRunner) throws -> [String: [DeviceSignatures.Signature]] {
        let canonical = Dictionary(devices.map { ($0, canonicalPath($0)) }, uniquingKeysWith: { first, _ in first })
        let found = try probeCanonical(Array(Set(canonical.values)), commands: commands)
        return canonical.mapValues { found[$0] ?? [] }
    }

    static func canonicalPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    private static func probeCanonical(_ devices: [String], commands: any CommandRunner) throws -> [String: [DeviceSignatures.Signature]] {
        var result: [String: [DeviceSignatures.Signature]] = [:]
        var pending = devices.sorted()
        while !pending.isEmpty {
            var seen = Set<String>()
            var batch: [String] = []
            var later: [String] = []
            for device in pending {
                if seen.insert(baseName(device)).inserted { batch.append(device) } else { later.append(device) }
            }
            let argv = DeviceSignatures.argv(batch)
            let outcome = try commands.run(Command(argv, environment: ["LC_ALL": "C"]))
            guard outcome.status == 0 else {
                throw ReconcileError.probeFailed(
                    kind: "Filesystem", reason: CommandFailure(argv: argv, status: outcome.status, stderr: outcome.stderrText).description)
            }
            let byBase = Dictionary(batch.map { (baseName($0), $0) }, uniquingKeysWith: { first, _ in first })
            for device in batch { result[device] = [] }
            for signature in try DeviceSignatures.parse(outcome.stdout) {
                if let device = byBase[baseName(signature.device)] { result[device, default: []].append(signature) }
            }
            pending = later
        }
        return result
    }

    static func baseName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }
}
