import Foundation

/// The versioned plan document: what `plan --json` prints, `--out` saves and `apply FILE` reads.
/// Written by `PlanDocumentWriter`, read by `load`: content is stored once, in `contents`.
public struct Plan: Codable, Sendable, Equatable {
    /// 2: content by `sha256:` reference into `contents` (once, as text when UTF-8), a new
    /// file's diff derived rather than stored (`diffFromEmpty`). 1 held content inline, in base64.
    ///
    /// Every type a plan document holds (changes, steps, each kind's spec, which the inventory
    /// keeps too) names its JSON keys in its own `CodingKeys`, and enums their values, as string
    /// literals: renaming a Swift property or case leaves the document as it was.
    /// SavedPlanFormatTests compares a saved plan of every kind with its recorded snapshot; a
    /// change to what is written is a new version here.
    public static let currentFormatVersion = 2

    /// Where the observed facts came from.
    public enum Source: String, Codable, Sendable {
        case live = "live"
        case facts = "facts"
    }

    public struct Summary: Codable, Sendable, Equatable {
        public var create = 0
        public var update = 0
        public var replace = 0
        public var delete = 0
        public var noop = 0
        /// Resources with changes, counted by their risk class.
        public var risk: [String: Int] = [:]

        public init() {}

        public init(changes: [Change]) {
            for change in changes {
                switch change.action {
                case .create: create += 1
                case .update: update += 1
                case .replace: replace += 1
                case .delete: delete += 1
                case .noop: noop += 1
                }
                if change.hasChanges {
                    risk[change.risk.rawValue, default: 0] += 1
                }
            }
        }

        enum CodingKeys: String, CodingKey {
            case create = "create", update = "update", replace = "replace", delete = "delete", risk = "risk"
            case noop = "no-op"
        }

        public var changed: Int { create + update + replace + delete }

        /// Sums another host's counts into these (for a fleet's totals).
        public mutating func add(_ other: Summary) {
            create += other.create
            update += other.update
            replace += other.replace
            delete += other.delete
            noop += other.noop
            risk.merge(other.risk, uniquingKeysWith: +)
        }
    }

    public var formatVersion: Int
    public var reconcileVersion: String
    public var createdAt: String
    public var host: String
    /// The host's labels the plan's resources were selected by; nil in plans from before labels.
    public var labels: [String: String]?
    public var root: String
    public var source: Source
    public var summary: Summary
    /// Every declared resource in execution order, no-ops included, after the removals of those
    /// no longer declared.
    public var changes: [Change]
    /// `--target` patterns the plan was limited to; nil: every resource.
    public var targets: [String]?
    /// Resources `--target` left out (neither targeted nor a dependency of a target).
    public var leftOut: [ResourceAddress]?
    /// No longer declared, kept on the host by `--keep-undeclared` (still in the inventory).
    public var undeclaredKept: [ResourceAddress]?
    /// No longer declared, of a kind that never removes them: the inventory lets them go, the host keeps them.
    public var released: [ReleasedResource]?
    /// The `kind: Values` the host saw, each with the document and `file:line:column` it came
    /// from; nil when none selects it. The changes' desired states hold them resolved.
    public var values: [String: ValueReport.Value]?
    /// The content table of a saved plan as read (its desired states keep their references);
    /// nil in a plan the planner made, whose specs and steps hold the bytes themselves.
    public var contents: PlanContents?

    public init(
        reconcileVersion: String, createdAt: Date, host: String, labels: [String: String] = [:], root: String, source: Source,
        changes: [Change], targets: [String]? = nil, leftOut: [ResourceAddress]? = nil, undeclaredKept: [ResourceAddress]? = nil,
        released: [ReleasedResource]? = nil
    ) {
        self.formatVersion = Self.currentFormatVersion
        self.reconcileVersion = reconcileVersion
        self.createdAt = ISO8601DateFormatter().string(from: createdAt)
        self.host = host
        self.labels = labels
        self.root = root
        self.source = source
        self.summary = Summary(changes: changes)
        self.changes = changes
        self.targets = targets
        self.leftOut = leftOut
        self.undeclaredKept = undeclaredKept
        self.released = released
    }

    /// Changes made because the host moved away from what reconcile applied, not the manifests.
    public var drifted: [Change] { changes.filter { $0.hasChanges && $0.cause == .drift } }

    public var hasChanges: Bool { summary.changed > 0 }
    public var maximumRisk: Risk? { changes.filter(\.hasChanges).map(\.risk).max() }

    public func jsonData(pretty: Bool = true) throws -> Data {
        try PlanDocumentWriter(layout: pretty ? .pretty : .linePerChange).data(self)
    }

    /// Everything but `contents`, which `PlanDocumentWriter` writes from what the changes refer to.
    enum CodingKeys: String, CodingKey {
        case formatVersion = "formatVersion", reconcileVersion = "reconcileVersion", createdAt = "createdAt", host = "host"
        case labels = "labels", root = "root", source = "source", summary = "summary", changes = "changes"
        case targets = "targets", leftOut = "leftOut", undeclaredKept = "undeclaredKept", released = "released", values = "values"
    }

    enum ContentsKey: String, CodingKey {
        case contents = "contents"
    }

    /// Only through `load`, whose decoder resolves the content references; `contents` is read
    /// first so the steps' references resolve as they are decoded.
    public init(from decoder: Decoder) throws {
        guard let key = PlanContents.resolverKey, let resolver = decoder.userInfo[key] as? PlanContents.Resolver else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath, debugDescription: "plan documents are read by Plan.load, which resolves their content"))
        }
        let contents = try PlanContents(decoding: decoder.container(keyedBy: ContentsKey.self), forKey: .contents)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        resolver.contents = contents
        formatVersion = try container.decode(Int.self, forKey: .formatVersion)
        reconcileVersion = try container.decode(String.self, forKey: .reconcileVersion)
        createdAt = try container.decode(String.self, forKey: .createdAt)
        host = try container.decode(String.self, forKey: .host)
        labels = try container.decodeIfPresent([String: String].self, forKey: .labels)
        root = try container.decode(String.self, forKey: .root)
        source = try container.decode(Source.self, forKey: .source)
        summary = try container.decode(Summary.self, forKey: .summary)
        changes = try container.decode([Change].self, forKey: .changes)
        targets = try container.decodeIfPresent([String].self, forKey: .targets)
        leftOut = try container.decodeIfPresent([ResourceAddress].self, forKey: .leftOut)
        undeclaredKept = try container.decodeIfPresent([ResourceAddress].self, forKey: .undeclaredKept)
        released = try container.decodeIfPresent([ReleasedResource].self, forKey: .released)
        values = try container.decodeIfPresent([String: ValueReport.Value].self, forKey: .values)
        self.contents = contents
        try resolver.check(self)
    }

    /// Reads a saved plan; a different format version, or one written by a newer major version of
    /// reconcile, is refused rather than guessed at.
    public static func load(from data: Data, path: String) throws -> Plan {
        struct Header: Decodable {
            let formatVersion: Int
            let reconcileVersion: String?

            private enum CodingKeys: String, CodingKey {
                case formatVersion = "formatVersion", reconcileVersion = "reconcileVersion"
            }
        }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: data)
        } catch {
            throw ReconcileError.invalidPlanFile(path: path, reason: "not a reconcile plan document (\(error))")
        }
        if let refusal = ReconcileVersion.refusal(of: "plan", writtenBy: header.reconcileVersion) {
            throw ReconcileError.invalidPlanFile(path: path, reason: refusal)
        }
        guard header.formatVersion == currentFormatVersion else {
            throw ReconcileError.invalidPlanFile(
                path: path,
                reason: "plan format version \(header.formatVersion) is not supported (this build reads \(currentFormatVersion))")
        }
        let plan: Plan
        do {
            plan = try PlanContents.decoder().decode(Plan.self, from: data)
        } catch let error as PlanContentsError {
            throw ReconcileError.invalidPlanFile(path: path, reason: "\(error)")
        } catch {
            throw ReconcileError.invalidPlanFile(path: path, reason: "\(error)")
        }
        // Counts are what `summary` and a reviewer read first: they must be the changes' own.
        guard plan.summary == Summary(changes: plan.changes) else {
            throw ReconcileError.invalidPlanFile(path: path, reason: "its summary counts do not match its changes (edited?)")
        }
        return plan
    }
}
