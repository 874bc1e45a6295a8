import Foundation
import ReconcileCore

/// How much of an LV its filesystem spans, for ext2/3/4 (`dumpe2fs -h`: block count × block
/// size). `lvresize --resizefs` grows the LV, then the filesystem: one stopped in between (a
/// power cut) leaves the filesystem smaller than the LV, which the LV's size alone does not show.
enum FilesystemSize {
    /// The filesystems measured (what `fsadm` grows offline and online alike).
    static let types: Set<String> = ["ext2", "ext3", "ext4"]

    static func argv(_ device: String) -> [String] { ["dumpe2fs", "-h", device] }

    /// Bytes from dumpe2fs's header ("Block count:", "Block size:"); nil when either is missing.
    static func parse(_ output: String) -> UInt64? {
        var count: UInt64?
        var size: UInt64?
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let value = UInt64(parts[1].trimmingCharacters(in: .whitespaces))
            switch parts[0] {
            case "Block count": count = value
            case "Block size": size = value
            default: continue
            }
        }
        guard let count, let size else { return nil }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: size)
        return overflow ? nil : bytes
    }

    /// One `dumpe2fs -h` per device (it reads one); a device it cannot read is left out, and the
    /// plan then trusts the filesystem to match its LV, as before it was measured.
    static func probe(_ devices: [String], commands: any CommandRunner) -> [String: UInt64] {
        var sizes: [String: UInt64] = [:]
        for device in devices {
            guard let outcome = try? commands.run(Command(argv(device), environment: ["LC_ALL": "C"])), outcome.status == 0,
                let bytes = parse(outcome.stdoutText)
            else { continue }
            sizes[device] = bytes
        }
        return sizes
    }
}
