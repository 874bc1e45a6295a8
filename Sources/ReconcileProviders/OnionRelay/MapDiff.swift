/// Entry-level difference between the cdb on the host and the wanted map.
struct MapDiff: Equatable {
    var added: [(domain: String, onion: String)] = []
    var removed: [String] = []
    var changed: [(domain: String, from: String, to: String)] = []

    init(current: [String: String], wanted: [OnionRelaySpec.Entry]) {
        var remaining = current
        for entry in wanted {
            switch remaining.removeValue(forKey: entry.domain) {
            case nil: added.append((entry.domain, entry.onion))
            case let old? where old != entry.onion: changed.append((entry.domain, old, entry.onion))
            default: break
            }
        }
        removed = remaining.keys.sorted()
    }

    var isEmpty: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty }

    /// "PATH: entries +2 -1 ~1", then a line per entry up to `limit`.
    func describe(_ path: String, limit: Int = 20) -> [String] {
        var lines = ["\(path): entries +\(added.count) -\(removed.count) ~\(changed.count)"]
        let details = added.map { "  + \($0.domain) → \($0.onion)" } + removed.map { "  - \($0)" }
            + changed.map { "  ~ \($0.domain): \($0.from) → \($0.to)" }
        lines.append(contentsOf: details.prefix(limit))
        if details.count > limit {
            lines.append("  … and \(details.count - limit) more")
        }
        return lines
    }

    static func == (lhs: MapDiff, rhs: MapDiff) -> Bool {
        lhs.describe("", limit: .max) == rhs.describe("", limit: .max)
    }
}
