import Foundation

/// How long `STATE/backups/APPLY-ID/` folders stay: at most `keep` of them, none older than
/// `maxAgeDays` (0: no age limit). The running apply's own folder is never removed.
public struct BackupPolicy: Sendable, Equatable {
    public var keep: Int
    public var maxAgeDays: Int

    public static let `default` = BackupPolicy(keep: 20, maxAgeDays: 30)

    public init(keep: Int, maxAgeDays: Int) {
        self.keep = keep
        self.maxAgeDays = maxAgeDays
    }

    /// "yyyyMMddTHHmmss-PID": the only folder names pruning looks at; anything else stays.
    static func startTime(ofApply name: String) -> Date? {
        let parts = name.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 15, parts[0].dropFirst(8).first == "T",
              parts[0].filter({ $0 != "T" }).allSatisfy({ $0.isASCII && $0.isNumber }),
              !parts[1].isEmpty, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd'T'HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.locale = Locale(identifier: "en_US_POSIX")
        return formatter.date(from: String(parts[0]))
    }

    /// The backup folders to remove, oldest first: beyond the newest `keep`, or older than the age limit.
    public func expired(_ names: [String], current: String, now: Date = Date()) -> [String] {
        let dated = names.compactMap { name in Self.startTime(ofApply: name).map { (name, $0) } }
            .filter { $0.0 != current }
            .sorted { ($0.1, $0.0) > ($1.1, $1.0) }
        let cutoff = maxAgeDays > 0 ? now.addingTimeInterval(-Double(maxAgeDays) * 86_400) : nil
        // The running apply's folder counts as one of those kept.
        let room = max(0, keep - (names.contains(current) ? 1 : 0))
        return dated.enumerated().filter { index, entry in
            index >= room || cutoff.map { entry.1 < $0 } == true
        }.map(\.element.0).reversed()
    }

    /// Removes the expired folders under `STATE/backups`; what went, and what could not.
    public func prune(_ state: StateDirectory, current: String, now: Date = Date()) -> (removed: [String], failed: [String]) {
        let folder = state.path + "/backups"
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter {
            (try? state.files.status(folder + "/" + $0))?.type == .directory
        }
        var removed: [String] = []
        var failed: [String] = []
        for name in expired(names, current: current, now: now) {
            do {
                try FileManager.default.removeItem(atPath: folder + "/" + name)
                removed.append(name)
            } catch {
                failed.append("\(folder)/\(name): \(error.localizedDescription)")
            }
        }
        return (removed, failed)
    }
}
