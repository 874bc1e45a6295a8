import Foundation

/// node_exporter textfile-collector metrics of one plan (Prometheus text format 0.0.4): what a
/// timer running `plan --metrics-file` leaves for monitoring, no daemon needed.
public struct PlanMetrics: Sendable {
    public var host: String
    /// nil when planning failed: then only that and the last apply are told.
    public var plan: Plan?
    public var duration: Double
    public var madeAt: Date
    /// The newest apply in the history (live plans only).
    public var lastApply: ApplyRecord?

    public init(host: String, plan: Plan?, duration: Double, madeAt: Date = Date(), lastApply: ApplyRecord?) {
        self.host = host
        self.plan = plan
        self.duration = duration
        self.madeAt = madeAt
        self.lastApply = lastApply
    }

    /// Every resource's state for `reconcile_resources`, the same names in every file.
    static let states = ["in_sync", "new", "manifest_changed", "drifted", "incomplete", "undeclared", "undeclared_kept"]

    static func state(of change: Change) -> String {
        switch change.cause {
        case nil: return "in_sync"
        case .new?: return "new"
        case .manifest?: return "manifest_changed"
        case .drift?: return "drifted"
        case .incomplete?: return "incomplete"
        case .undeclared?: return "undeclared"
        }
    }

    public func render() -> String {
        var out = ""
        let host = "host=\"\(Self.escape(self.host))\""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(labels: String, value: Double)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for sample in samples {
                out += "\(name){\(host)\(sample.labels.isEmpty ? "" : ",\(sample.labels)")} \(Self.format(sample.value))\n"
            }
        }
        metric("reconcile_plan_success", "gauge", "1 when the plan was made, 0 when planning failed.", [("", plan == nil ? 0 : 1)])
        metric("reconcile_plan_timestamp_seconds", "gauge", "When the plan was made (Unix time).", [("", madeAt.timeIntervalSince1970.rounded())])
        metric("reconcile_plan_duration_seconds", "gauge", "Seconds spent loading manifests, probing and planning.", [("", duration)])
        if let plan {
            var counts = Dictionary(uniqueKeysWithValues: Self.states.map { ($0, 0) })
            for change in plan.changes { counts[Self.state(of: change), default: 0] += 1 }
            counts["undeclared_kept"] = plan.undeclaredKept?.count ?? 0
            metric("reconcile_resources", "gauge", "Resources by state: in sync, new, manifest changed, drifted, incomplete, no longer declared.",
                   Self.states.map { ("state=\"\($0)\"", Double(counts[$0] ?? 0)) })
            metric("reconcile_drifted_resources", "gauge", "Resources changed outside reconcile since it last applied them.",
                   [("", Double(plan.drifted.count))])
            var changes: [String: Int] = [:]
            for change in plan.changes where change.hasChanges {
                changes["action=\"\(change.action.rawValue)\",risk=\"\(change.risk.rawValue)\"", default: 0] += 1
            }
            metric("reconcile_changes", "gauge", "Resources the plan changes, by action and risk.",
                   changes.sorted { $0.key < $1.key }.map { ($0.key, Double($0.value)) })
        }
        if let lastApply {
            let end = lastApply.endedAt ?? lastApply.startedAt
            let time = ISO8601DateFormatter().date(from: end)?.timeIntervalSince1970 ?? 0
            metric("reconcile_last_apply_timestamp_seconds", "gauge", "When the last apply ended (its start if it never did).", [("", time)])
            metric("reconcile_last_apply_success", "gauge", "1 when the last apply completed, 0 when it failed or was interrupted.",
                   [("", lastApply.result == .complete ? 1 : 0)])
        }
        return out
    }

    /// Label values: backslash, double quote and line feed escaped, as the text format wants.
    static func escape(_ value: String) -> String {
        var out = ""
        for character in value.unicodeScalars {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.3f", value)
    }
}
