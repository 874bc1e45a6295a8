import Foundation
import ReconcileCore

/// A file as some resource wants it; `plan` is the diff every file-managing provider shares.
public struct ManagedFile: Sendable, Equatable {
    public var path: String
    public var content: Data
    public var mode: UInt32?
    public var owner: String?
    public var group: String?
    /// Unit files need systemd to re-read them after a write.
    public var needsDaemonReload = false
    /// Keep the content out of plans, facts, logs, diffs and backups.
    public var sensitive = false
    /// Sensitive content read on the host when the write runs; `content` is then empty and
    /// `contentFromSHA256` is what the probe found there.
    public var contentFrom: SecretReference?
    public var contentFromSHA256: String?
    /// Large generated files are better described by their provider than by a line diff.
    public var showDiff = true

    public init(path: String, content: Data, mode: UInt32? = nil, owner: String? = nil, group: String? = nil) {
        self.path = path
        self.content = content
        self.mode = mode
        self.owner = owner
        self.group = group
    }

    public struct Outcome: Sendable, Equatable {
        public var action: Action
        public var reasons: [String] = []
        public var steps: [Step] = []
        /// Whether the bytes change (as opposed to attributes only).
        public var contentChanges = false
    }

    public func plan(against observed: FileObservation) throws -> Outcome {
        guard observed.exists else {
            return Outcome(
                action: .create, reasons: ["\(path) does not exist"],
                steps: [.writeFile(write(diffAgainst: ""))], contentChanges: true)
        }
        guard observed.type == .file else {
            throw ReconcileError.notAllowed(
                "\(path) is a \(observed.type?.rawValue ?? "special file"), not a regular file; refusing to replace it")
        }
        var outcome = Outcome(action: .noop)
        if observed.sha256 != wantedSHA256 {
            outcome.action = .update
            outcome.contentChanges = true
            let what = sensitive ? "sensitive content changed" : "content differs"
            outcome.reasons.append("\(path): \(what) (sha256 \(Self.short(observed.sha256)) → \(Self.short(wantedSHA256)))")
            outcome.steps.append(.writeFile(write(diffAgainst: observed.text)))
            return outcome
        }
        let attributes = Self.attributeChanges(path: path, mode: mode, owner: owner, group: group, observed: observed)
        if !attributes.reasons.isEmpty {
            outcome.action = .update
            outcome.reasons = attributes.reasons
            outcome.steps.append(.setAttributes(attributes.step))
        }
        return outcome
    }

    var wantedSHA256: String { contentFrom != nil ? contentFromSHA256 ?? "" : Fingerprint.sha256(content) }

    /// Writes carry every attribute, so a content change fixes mode and ownership too.
    /// A diff from an empty file is left to be derived from the content when shown (not stored).
    private func write(diffAgainst old: String?) -> WriteFileStep {
        var review: WriteFileStep.ReviewDiff?
        if sensitive || !showDiff {
            review = nil
        } else if let old, old.isEmpty {
            review = content.isEmpty || String(validatingUTF8Data: content) == nil ? nil : .fromEmpty
        } else if let new = String(validatingUTF8Data: content), let old {
            review = WriteFileStep.unifiedDiff(from: old, to: new, path: path).map(WriteFileStep.ReviewDiff.stored)
        }
        return WriteFileStep(
            path: path, content: content, mode: mode, owner: owner, group: group, review: review,
            backup: !sensitive, needsDaemonReload: needsDaemonReload, sensitive: sensitive, contentFrom: contentFrom,
            contentSHA256: sensitive ? wantedSHA256 : nil)
    }

    /// Mode, owner and group that differ from what is wanted (nil: not managed); shared with folders.
    static func attributeChanges(
        path: String, mode: UInt32?, owner: String?, group: String?, observed: FileObservation
    ) -> (reasons: [String], step: SetAttributesStep) {
        var reasons: [String] = []
        var step = SetAttributesStep(path: path)
        if let mode, mode != observed.mode {
            reasons.append("\(path): mode \(observed.mode.map(FileMode.format) ?? "?") → \(FileMode.format(mode))")
            step.mode = mode
        }
        if let owner, !Self.same(owner, name: observed.owner, id: observed.uid) {
            reasons.append("\(path): owner \(observed.owner ?? "?") → \(owner)")
            step.owner = owner
        }
        if let group, !Self.same(group, name: observed.group, id: observed.gid) {
            reasons.append("\(path): group \(observed.group ?? "?") → \(group)")
            step.group = group
        }
        return (reasons, step)
    }

    /// Owners may be written as names or numbers.
    static func same(_ wanted: String, name: String?, id: UInt32?) -> Bool {
        if let number = UInt32(wanted) { return number == id }
        return wanted == name
    }

    static func short(_ digest: String?) -> String {
        digest.map { String($0.prefix(12)) } ?? "none"
    }
}
