import Foundation

/// Consecutive changes that only write files (and links) have them made durable together
/// (`WriteBatch`): an apply of 10,000 files syncs once, not 20,000 times. The journal and the
/// events are the same as one write at a time, and a killed apply leaves only temp files that
/// the journal names (`step-started` with the path, no `step-done`), which the next apply removes.
extension Executor {
    /// Folders a batch may hold open before it is committed (descriptors are limited).
    static let batchFolderLimit = 256

    /// The end of the group that starts at `start`: changes with file writes only (or no steps
    /// left, their command merged elsewhere), then at most one change that starts with writes,
    /// whose other steps run once the writes are in place. `start` itself when it is no such change.
    static func writeGroupEnd(_ changes: [Change], from start: Int) -> Int {
        var end = start
        while end < changes.count {
            let steps = changes[end].steps
            let writes = steps.prefix(while: \.isFileWrite).count
            if writes == 0 && !steps.isEmpty { break }
            end += 1
            if writes < steps.count { break }
        }
        return end
    }

    /// How many of `changes` completed, and the failure of the next one if there was one.
    func runWriteGroup(
        _ changes: ArraySlice<Change>, queue: inout TriggerQueue, applyID: String, journal: Journal, onEvent: (ApplyEvent) -> Void
    ) -> (completed: Int, failure: ApplyReport.Failure?) {
        let batch = WriteBatch()
        var staged: [StagedStep] = []  // the change and step of each entry of the batch
        var uncommitted = changes.startIndex
        for offset in changes.indices {
            let change = changes[offset]
            onEvent(.changeStarted(change))
            journal.record("change-started", address: change.address, detail: change.action.rawValue)
            var failure = queueTriggers(of: change, into: &queue, journal: journal)
            let mark = batch.count
            for step in change.steps.prefix(while: \.isFileWrite) where failure == nil {
                onEvent(.stepStarted(change.address, step))
                journal.record("step-started", address: change.address, step: step.summary, path: step.writtenPath)
                do {
                    let before = batch.count
                    try stage(step, in: batch, queue: &queue, applyID: applyID)
                    // A link already in place stages nothing: its step is done now.
                    if batch.count == before {
                        journal.record("step-done", address: change.address, step: step.summary)
                    } else {
                        staged.append(StagedStep(change: offset, summary: step.summary))
                    }
                } catch {
                    onEvent(.stepFailed(change.address, step, "\(error)"))
                    journal.record("step-failed", address: change.address, step: step.summary, detail: "\(error)")
                    failure = .init(address: change.address, step: step.summary, message: "\(error)")
                }
            }
            if let failure {
                batch.discard(from: mark)
                staged.removeSubrange(mark...)
                let committed = commit(batch, staged: staged, changes: changes[uncommitted..<offset], journal: journal, onEvent: onEvent)
                return committed.failure.map { (committed.completed - changes.startIndex, $0) } ?? (offset - changes.startIndex, failure)
            }
            if batch.folderCount >= Self.batchFolderLimit && offset + 1 < changes.endIndex {
                let committed = commit(batch, staged: staged, changes: changes[uncommitted...offset], journal: journal, onEvent: onEvent)
                if let failure = committed.failure { return (committed.completed - changes.startIndex, failure) }
                staged.removeAll()
                uncommitted = offset + 1
            }
        }
        let committed = commit(batch, staged: staged, changes: changes[uncommitted...], journal: journal, onEvent: onEvent)
        if let failure = committed.failure { return (committed.completed - changes.startIndex, failure) }
        guard let last = changes.last else { return (0, nil) }
        let rest = last.steps.drop(while: \.isFileWrite)
        guard !rest.isEmpty else { return (changes.count, nil) }
        if let failure = run(rest, of: last, queue: &queue, applyID: applyID, journal: journal, onEvent: onEvent) {
            return (changes.count - 1, failure)
        }
        markDone(last, journal: journal, onEvent: onEvent)
        return (changes.count, nil)
    }

    struct StagedStep {
        var change: Int
        var summary: String
    }

    private func stage(_ step: Step, in batch: WriteBatch, queue: inout TriggerQueue, applyID: String) throws {
        switch step {
        case .writeFile(let write): try writeFile(write, queue: &queue, applyID: applyID, batch: batch)
        case .link(let link): try files.stageLink(link.path, target: link.target, in: batch)
        default: try perform(step, queue: &queue, applyID: applyID, onEvent: { _ in })
        }
    }

    /// Puts the staged entries of `changes` in place and marks done those with nothing else to
    /// run. `completed`: the index of the first change not completed (the failed one, or the end).
    private func commit(
        _ batch: WriteBatch, staged: [StagedStep], changes: ArraySlice<Change>, journal: Journal, onEvent: (ApplyEvent) -> Void
    ) -> (completed: Int, failure: ApplyReport.Failure?) {
        var next = changes.startIndex
        /// Marks done the changes before `change`: all their entries are in place.
        func finish(upTo change: Int) {
            while next < change {
                if changes[next].steps.allSatisfy(\.isFileWrite) { markDone(changes[next], journal: journal, onEvent: onEvent) }
                next += 1
            }
        }
        do {
            try files.commit(batch) { index in
                finish(upTo: staged[index].change)
                journal.record("step-done", address: changes[staged[index].change].address, step: staged[index].summary)
            }
        } catch {
            let index = (error as? WriteBatch.Failure)?.index ?? 0
            let failed = staged.indices.contains(index) ? staged[index] : StagedStep(change: changes.startIndex, summary: "write files")
            finish(upTo: failed.change)
            journal.record("step-failed", address: changes[failed.change].address, step: failed.summary, detail: "\(error)")
            return (failed.change, .init(address: changes[failed.change].address, step: failed.summary, message: "\(error)"))
        }
        finish(upTo: changes.endIndex)
        return (changes.endIndex, nil)
    }
}

extension Step {
    /// A write or link the executor can stage and make durable with others.
    var isFileWrite: Bool {
        switch self {
        case .writeFile, .link: return true
        default: return false
        }
    }
}
