import Foundation
import ReconcileJSON

/// Many hosts' plans at a glance: counts by action and risk per host and in total, the changes
/// that can lose data by name, and the hosts that could not be planned.
public struct FleetSummary: Codable, Sendable, Equatable {
    public static let currentFormatVersion = 1

    public struct HostSummary: Codable, Sendable, Equatable {
        public var host: String
        /// The saved plan, when one was written.
        public var plan: String?
        public var summary: Plan.Summary?
        /// Addresses of changes classed data-loss.
        public var dataLoss: [String]
        /// Why the host has no plan.
        public var error: String?
    }

    public struct Totals: Codable, Sendable, Equatable {
        public var hosts = 0
        public var hostsWithChanges = 0
        public var hostsFailed = 0
        /// Every planned host's counts, summed.
        public var changes = Plan.Summary()
        public var dataLoss = 0
    }

    public var formatVersion = Self.currentFormatVersion
    public var hosts: [HostSummary] = []
    public var totals = Totals()

    public init() {}

    public mutating func add(_ plan: Plan, savedAt path: String? = nil) {
        let dataLoss = plan.changes.filter { $0.hasChanges && $0.risk == .dataLoss }.map(\.address.description)
        hosts.append(HostSummary(host: plan.host, plan: path, summary: plan.summary, dataLoss: dataLoss, error: nil))
        totals.hosts += 1
        if plan.hasChanges { totals.hostsWithChanges += 1 }
        totals.changes.add(plan.summary)
        totals.dataLoss += dataLoss.count
    }

    public mutating func add(failure: String, host: String) {
        hosts.append(HostSummary(host: host, plan: nil, summary: nil, dataLoss: [], error: failure))
        totals.hosts += 1
        totals.hostsFailed += 1
    }

    public var hasChanges: Bool { totals.hostsWithChanges > 0 }
    public var hasFailures: Bool { totals.hostsFailed > 0 }

    public func jsonData() throws -> Data { try CanonicalJSON.encode(self, pretty: true) }

    /// A table a reviewer reads in a merge request: one line per host, then the totals.
    public func render() -> String {
        let risks = Risk.allCases.map(\.rawValue)
        let header = ["host", "create", "update", "replace", "delete", "no-op"] + risks
        var rows: [[String]] = [header]
        for host in hosts {
            guard let summary = host.summary else {
                rows.append([host.host, "error"] + Array(repeating: "", count: header.count - 2))
                continue
            }
            rows.append([host.host] + Self.cells(summary, risks: risks))
        }
        rows.append(["total"] + Self.cells(totals.changes, risks: risks))
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var lines = rows.map { row in
            row.enumerated().map { column, cell in
                column == 0 ? cell.padding(toLength: widths[0], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[column] - cell.count) + cell
            }.joined(separator: "  ")
        }
        lines.insert(String(repeating: "-", count: lines[0].count), at: 1)
        lines.insert(String(repeating: "-", count: lines[0].count), at: lines.count - 1)
        lines.append("")
        lines.append("\(totals.hosts) hosts: \(totals.hostsWithChanges) with changes, \(totals.hosts - totals.hostsWithChanges - totals.hostsFailed) unchanged, \(totals.hostsFailed) failed.")
        for host in hosts where !host.dataLoss.isEmpty {
            lines.append("DATA LOSS on \(host.host): \(host.dataLoss.joined(separator: ", ")) (apply needs --allow-data-loss)")
        }
        for host in hosts {
            if let error = host.error { lines.append("FAILED \(host.host): \(error)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func cells(_ summary: Plan.Summary, risks: [String]) -> [String] {
        [summary.create, summary.update, summary.replace, summary.delete, summary.noop].map(String.init)
            + risks.map { String(summary.risk[$0] ?? 0) }
    }
}
