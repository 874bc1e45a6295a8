import Foundation

/// One side effect, described as data; only `Executor` performs it.
public enum Step: Codable, Sendable, Equatable {
    case command(CommandStep)
    case writeFile(WriteFileStep)
    case setAttributes(SetAttributesStep)
    case removeFile(RemoveFileStep)
    case systemctl(SystemctlStep)
    case check(CheckStep)
    case compileCDB(CompileCDBStep)
    case editTOML(EditTOMLStep)
    case createDirectory(CreateDirectoryStep)
    case removeDirectory(RemoveDirectoryStep)
    case makeFilesystem(MakeFilesystemStep)
    case link(LinkStep)

    static let daemonReloadNote = "; then systemctl daemon-reload (once per apply)"

    /// "mode 0644, owner root, group root", leaving out what is not set.
    static func describe(mode: UInt32?, owner: String?, group: String?) -> String {
        [mode.map { "mode \(FileMode.format($0))" }, owner.map { "owner \($0)" }, group.map { "group \($0)" }]
            .compactMap { $0 }.joined(separator: ", ")
    }

    /// What a reviewer reads in the plan.
    public var summary: String {
        switch self {
        case .command(let step): return step.summary
        case .writeFile(let step):
            let attributes = Self.describe(mode: step.mode, owner: step.owner, group: step.group)
            let suffix = attributes.isEmpty ? "" : " (\(attributes))"
            let source = step.sensitive ? " (sensitive content\(step.contentFrom.map { " from \($0)" } ?? ""), not backed up)" : ""
            return "write \(step.path)\(suffix)\(source)" + (step.needsDaemonReload ? Self.daemonReloadNote : "")
        case .setAttributes(let step):
            return "set \(Self.describe(mode: step.mode, owner: step.owner, group: step.group)) on \(step.path)"
        case .removeFile(let step):
            return "remove \(step.path)" + (step.backup ? " (backed up first)" : "")
                + (step.needsDaemonReload ? Self.daemonReloadNote : "")
        case .systemctl(let step):
            return "systemctl " + step.arguments.joined(separator: " ")
        case .check(let step):
            return step.summary
        case .compileCDB(let step):
            return step.summary
        case .editTOML(let step):
            return step.summary
        case .createDirectory(let step):
            return "create directory \(step.path) (\(Self.describe(mode: step.mode, owner: step.owner, group: step.group)))"
        case .makeFilesystem(let step):
            return "make a\(step.filesystem.first.map { "aeiou".contains($0) } == true ? "n" : "") \(step.filesystem) filesystem on \(step.device) "
                + "(\((step.argv(device: step.device)).map(ShellQuote.quote).joined(separator: " ")), only if wipefs then finds it blank)"
        case .link(let step):
            return "link \(step.path) -> \(step.target)" + (step.reason.map { " (\($0))" } ?? "")
        case .removeDirectory(let step):
            return step.recursive
                ? "remove directory \(step.path) and everything in it (\(step.entries) entries at the top; not backed up)"
                : "remove empty directory \(step.path)"
        }
    }

    /// Lines shown under the summary for review: a write's diff, an edit's changes.
    public var details: [String] {
        switch self {
        case .writeFile(let step):
            return step.diffLines
        case .editTOML(let step):
            return step.changes
        default:
            return []
        }
    }
}

/// A command run by argv, never through a shell.
public struct CommandStep: Codable, Sendable, Equatable {
    public var argv: [String]
    public var environment: [String: String]
    /// Variables whose values are secrets, read only when the step runs (never in the plan).
    public var secretEnvironment: [String: SecretReference]?
    public var summary: String
    /// For long work: how to watch it make progress, and when to give up on it.
    public var monitor: ProgressMonitor?
    /// Set on a step that can run as one command with its kind's other steps of the same key.
    public var batch: CommandBatch?

    public init(
        argv: [String], environment: [String: String] = [:], secretEnvironment: [String: SecretReference]? = nil,
        summary: String? = nil, monitor: ProgressMonitor? = nil, batch: CommandBatch? = nil
    ) {
        self.argv = argv
        self.environment = environment
        self.secretEnvironment = secretEnvironment
        self.summary = summary ?? "run " + argv.map(ShellQuote.quote).joined(separator: " ")
        self.monitor = monitor
        self.batch = batch
    }

    /// One command for many resources: `argv` is the batch's command followed by its items.
    public init(batch: CommandBatch, environment: [String: String] = [:]) {
        self.init(argv: batch.command + batch.items, environment: environment, batch: batch)
    }

    private enum CodingKeys: String, CodingKey {
        case argv = "argv", environment = "environment", secretEnvironment = "secretEnvironment", summary = "summary"
        case monitor = "monitor", batch = "batch"
    }
}

/// What lets the planner merge steps of several resources into one command (`apt-get install
/// a b c`): steps whose `key` and `command` agree run once, with every item.
public struct CommandBatch: Codable, Sendable, Equatable {
    public var key: String
    public var command: [String]
    public var items: [String]
    /// A log the command appends to as it goes (dpkg's), read while it runs to show progress.
    public var progressLog: ProgressLog?

    public init(key: String, command: [String], items: [String], progressLog: ProgressLog? = nil) {
        self.key = key
        self.command = command
        self.items = items
        self.progressLog = progressLog
    }

    private enum CodingKeys: String, CodingKey {
        case key = "key", command = "command", items = "items", progressLog = "progressLog"
    }
}

/// Lines of `path` written since the step started that contain `marker` count as work done
/// (`/var/log/dpkg.log`, ` status installed `); the word after the marker names the item.
public struct ProgressLog: Codable, Sendable, Equatable {
    public var path: String
    public var marker: String
    public var unit: String

    public init(path: String, marker: String, unit: String) {
        self.path = path
        self.marker = marker
        self.unit = unit
    }

    /// How many marked lines `text` holds, and the item of the last one.
    public func progress(in text: Substring) -> (count: Int, last: String?) {
        var count = 0
        var last: String?
        for line in text.split(separator: "\n") {
            guard let range = line.range(of: marker) else { continue }
            count += 1
            last = line[range.upperBound...].split(separator: " ").first.map(String.init)
        }
        return (count, last)
    }

    private enum CodingKeys: String, CodingKey {
        case path = "path", marker = "marker", unit = "unit"
    }
}

/// A command that prints how much work is left, polled while a long step runs: progress is
/// shown, and a step that makes none for `stallSeconds` is stopped.
public struct ProgressMonitor: Codable, Sendable, Equatable {
    public var argv: [String]
    public var environment: [String: String]
    /// Which whitespace-separated field of the output holds the number (0-based).
    public var field: Int
    public var unit: String
    public var stallSeconds: Int
    public var intervalSeconds: Double

    public init(
        argv: [String], environment: [String: String] = [:], field: Int = 0, unit: String, stallSeconds: Int,
        intervalSeconds: Double = 2
    ) {
        self.argv = argv
        self.environment = environment
        self.field = field
        self.unit = unit
        self.stallSeconds = stallSeconds
        self.intervalSeconds = intervalSeconds
    }

    /// The number in `output`, or nil when the output has another shape (the step may be over).
    public func remaining(in output: String) -> Int? {
        let fields = output.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
        // The field number comes from a saved plan, the count from the host: neither is trusted.
        guard fields.indices.contains(field), let left = Int(fields[field]), left >= 0 else { return nil }
        return left
    }

    private enum CodingKeys: String, CodingKey {
        case argv = "argv", environment = "environment", field = "field", unit = "unit", stallSeconds = "stallSeconds"
        case intervalSeconds = "intervalSeconds"
    }
}

public struct WriteFileStep: Codable, Sendable, Equatable {
    /// Host path (before `--root` is applied).
    public var path: String
    /// Empty in a plan read back when the content is sensitive: it was never written down.
    public var content: Data
    public var mode: UInt32?
    public var owner: String?
    public var group: String?
    /// What the reviewer is shown of the change in bytes; nil when the content is sensitive or binary.
    public var review: ReviewDiff?
    /// Copy the file it replaces into the state dir's backups first.
    public var backup: Bool
    /// Whether systemd must re-read unit files after this write.
    public var needsDaemonReload: Bool
    /// Content kept out of plans, facts, logs, diffs and backups: JSON carries its hash only.
    public var sensitive: Bool
    /// Where sensitive content is read when the step runs (nil: it is held in memory, from the manifest).
    public var contentFrom: SecretReference?
    /// The sha256 the plan promised for sensitive content; a write of anything else is refused.
    public var contentSHA256: String?

    public init(
        path: String, content: Data, mode: UInt32? = nil, owner: String? = nil, group: String? = nil,
        review: ReviewDiff? = nil, backup: Bool = true, needsDaemonReload: Bool = false, sensitive: Bool = false,
        contentFrom: SecretReference? = nil, contentSHA256: String? = nil
    ) {
        self.path = path
        self.content = content
        self.mode = mode
        self.owner = owner
        self.group = group
        self.review = review
        self.backup = backup
        self.needsDaemonReload = needsDaemonReload
        self.sensitive = sensitive
        self.contentFrom = contentFrom
        self.contentSHA256 = contentSHA256
    }

    /// How a write's diff is had: a new (or empty) file's is all of its content added, derived
    /// whenever it is shown and never stored, so a plan of thousands of new files holds each
    /// content once; any other needs the old content, which the plan does not keep.
    public enum ReviewDiff: Sendable, Equatable {
        /// The unified diff of old → new, made when planned.
        case stored(String)
        /// From an empty file to `content`: derived when shown.
        case fromEmpty
    }

    /// How it reads under the step: `diff -u` of old → new, labelled by the path.
    public static func unifiedDiff(from old: String, to new: String, path: String) -> String? {
        UnifiedDiff.make(old: old, new: new, oldLabel: path, newLabel: plannedLabel(path))
    }

    /// The diff for review: stored, or derived for a file that was empty or missing.
    public var diff: String? {
        if case .stored(let text)? = review, !sensitive { return text }
        let lines = diffLines
        return lines.isEmpty ? nil : lines.joined(separator: "\n") + "\n"
    }

    /// The same as lines, as the plan shows them under the step.
    public var diffLines: [String] {
        guard !sensitive else { return [] }
        switch review {
        case .stored(let text)?:
            return UnifiedDiff.splitLines(text)
        case .fromEmpty?:
            return String(validatingUTF8Data: content).map { UnifiedDiff.additions(of: $0, oldLabel: path, newLabel: Self.plannedLabel(path)) } ?? []
        case nil:
            return []
        }
    }

    /// A derived new-file diff in parts (see `UnifiedDiff.Additions`); nil when the diff is
    /// stored, not shown (sensitive, not text) or made its own way (`diffLines` has it then).
    public var additions: UnifiedDiff.Additions? {
        guard !sensitive, case .fromEmpty? = review, let text = String(validatingUTF8Data: content) else { return nil }
        return UnifiedDiff.Additions(of: text, oldLabel: path, newLabel: Self.plannedLabel(path))
    }

    private static func plannedLabel(_ path: String) -> String { "\(path) (planned)" }

    private enum CodingKeys: String, CodingKey {
        case path = "path", content = "content", mode = "mode", owner = "owner", group = "group", diff = "diff"
        case diffFromEmpty = "diffFromEmpty", backup = "backup", needsDaemonReload = "needsDaemonReload", sensitive = "sensitive"
        case contentFrom = "contentFrom", contentSHA256 = "contentSHA256"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        path = try container.decode(String.self, forKey: .path)
        content = try container.decodeIfPresent(Data.self, forKey: .content) ?? Data()
        mode = try container.decodeIfPresent(UInt32.self, forKey: .mode)
        owner = try container.decodeIfPresent(String.self, forKey: .owner)
        group = try container.decodeIfPresent(String.self, forKey: .group)
        let stored = try container.decodeIfPresent(String.self, forKey: .diff)
        let fromEmpty = try container.decodeIfPresent(Bool.self, forKey: .diffFromEmpty) ?? false
        switch (stored, fromEmpty) {
        case (let text?, false): review = .stored(text)
        case (nil, true): review = .fromEmpty
        case (nil, false): review = nil
        case (_?, true):
            throw DecodingError.dataCorruptedError(
                forKey: .diffFromEmpty, in: container, debugDescription: "a write has a stored diff or one derived from an empty file, not both")
        }
        backup = try container.decode(Bool.self, forKey: .backup)
        needsDaemonReload = try container.decodeIfPresent(Bool.self, forKey: .needsDaemonReload) ?? false
        sensitive = try container.decodeIfPresent(Bool.self, forKey: .sensitive) ?? false
        contentFrom = try container.decodeIfPresent(SecretReference.self, forKey: .contentFrom)
        contentSHA256 = try container.decodeIfPresent(String.self, forKey: .contentSHA256)
    }

    /// Sensitive content is never written; in a plan document `content` is a `sha256:` reference
    /// into the plan's `contents` (see `PlanContents`).
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(path, forKey: .path)
        if !sensitive { try container.encode(content, forKey: .content) }
        try container.encodeIfPresent(mode, forKey: .mode)
        try container.encodeIfPresent(owner, forKey: .owner)
        try container.encodeIfPresent(group, forKey: .group)
        switch review {
        case .stored(let text)?: try container.encode(text, forKey: .diff)
        case .fromEmpty?: try container.encode(true, forKey: .diffFromEmpty)
        case nil: break
        }
        try container.encode(backup, forKey: .backup)
        // Written only when true, like `sensitive`: most writes are of files systemd does not read.
        if needsDaemonReload { try container.encode(true, forKey: .needsDaemonReload) }
        if sensitive {
            try container.encode(true, forKey: .sensitive)
            try container.encodeIfPresent(contentFrom, forKey: .contentFrom)
            try container.encodeIfPresent(contentSHA256, forKey: .contentSHA256)
        }
    }
}

/// A folder (and missing parents, root-owned 0755) with its own attributes.
public struct CreateDirectoryStep: Codable, Sendable, Equatable {
    public var path: String
    public var mode: UInt32
    public var owner: String?
    public var group: String?

    public init(path: String, mode: UInt32, owner: String? = nil, group: String? = nil) {
        self.path = path
        self.mode = mode
        self.owner = owner
        self.group = group
    }

    private enum CodingKeys: String, CodingKey {
        case path = "path", mode = "mode", owner = "owner", group = "group"
    }
}

/// `mkfs.TYPE OPTIONS -- DEVICE`, run only after `wipefs --no-act` finds no signature on the
/// device at that moment: a plan made on a blank device never formats one that got data since.
public struct MakeFilesystemStep: Codable, Sendable, Equatable {
    public var device: String
    /// The filesystem type (`ext4`); not `type`, which names the step in JSON.
    public var filesystem: String
    public var options: [String]

    public init(device: String, filesystem: String, options: [String] = []) {
        self.device = device
        self.filesystem = filesystem
        self.options = options
    }

    public func argv(device resolved: String) -> [String] { ["mkfs.\(filesystem)"] + options + ["--", resolved] }

    private enum CodingKeys: String, CodingKey {
        case device = "device", filesystem = "filesystem", options = "options"
    }
}

/// `rmdir`, or with `recursive` the whole tree (links removed, never followed): only a step the
/// plan classes data-loss removes anything but an empty folder.
public struct RemoveDirectoryStep: Codable, Sendable, Equatable {
    public var path: String
    public var recursive: Bool
    /// What the probe counted at the top, for the reviewer.
    public var entries: Int

    public init(path: String, recursive: Bool, entries: Int = 0) {
        self.path = path
        self.recursive = recursive
        self.entries = entries
    }

    private enum CodingKeys: String, CodingKey {
        case path = "path", recursive = "recursive", entries = "entries"
    }
}

public struct SetAttributesStep: Codable, Sendable, Equatable {
    public var path: String
    public var mode: UInt32?
    public var owner: String?
    public var group: String?

    public init(path: String, mode: UInt32? = nil, owner: String? = nil, group: String? = nil) {
        self.path = path
        self.mode = mode
        self.owner = owner
        self.group = group
    }

    private enum CodingKeys: String, CodingKey {
        case path = "path", mode = "mode", owner = "owner", group = "group"
    }
}

public struct RemoveFileStep: Codable, Sendable, Equatable {
    public var path: String
    public var backup: Bool
    public var needsDaemonReload: Bool

    public init(path: String, backup: Bool = true, needsDaemonReload: Bool = false) {
        self.path = path
        self.backup = backup
        self.needsDaemonReload = needsDaemonReload
    }

    private enum CodingKeys: String, CodingKey {
        case path = "path", backup = "backup", needsDaemonReload = "needsDaemonReload"
    }
}

/// `systemctl VERB UNIT`; under a staging root only enable/disable make sense and run with `--root`.
public struct SystemctlStep: Codable, Sendable, Equatable {
    public enum Verb: String, Codable, Sendable, CaseIterable {
        case enable = "enable", disable = "disable", start = "start", stop = "stop", restart = "restart", reload = "reload"
        /// Reload if the unit runs and can reload, restart if it runs and cannot, else nothing.
        case tryReloadOrRestart = "try-reload-or-restart"
    }

    public var verb: Verb
    public var unit: String
    /// More units the same call acts on: the planner merges the enables (starts, …) of many
    /// resources into one `systemctl enable a b c`.
    public var others: [String]?

    public init(_ verb: Verb, _ unit: String, others: [String]? = nil) {
        self.verb = verb
        self.unit = unit
        self.others = others
    }

    public var units: [String] { [unit] + (others ?? []) }

    public var arguments: [String] { [verb.rawValue] + units }

    /// Enable and disable change links in unit folders; the others act on running units.
    public var changesUnitFiles: Bool { verb == .enable || verb == .disable }

    /// The same call for one of its units: what the executor runs to find which unit failed.
    public func only(_ unit: String) -> SystemctlStep { SystemctlStep(verb, unit) }

    private enum CodingKeys: String, CodingKey {
        case verb = "verb", unit = "unit", others = "others"
    }
}

/// A symbolic link made as a tool would make it (`systemctl enable` under a staging root):
/// an existing link to the same target is left, anything else at `path` is refused.
public struct LinkStep: Codable, Sendable, Equatable {
    public var path: String
    public var target: String
    /// Whose links these are, for the reviewer: "systemctl enable a.service".
    public var reason: String?

    public init(path: String, target: String, reason: String? = nil) {
        self.path = path
        self.target = target
        self.reason = reason
    }

    private enum CodingKeys: String, CodingKey {
        case path = "path", target = "target", reason = "reason"
    }
}

/// Checks generated content with the tool that will read it (`tor --verify-config -f {file}`) before
/// anything is replaced: the content goes to a temp file, `{file}` in argv becomes its path.
public struct CheckStep: Codable, Sendable, Equatable {
    public static let placeholder = "{file}"

    public var argv: [String]
    public var content: Data
    public var summary: String

    public init(argv: [String], content: Data, summary: String) {
        self.argv = argv
        self.content = content
        self.summary = summary
    }

    private enum CodingKeys: String, CodingKey {
        case argv = "argv", content = "content", summary = "summary"
    }
}
