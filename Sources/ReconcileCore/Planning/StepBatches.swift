/// Merges the batchable command steps of many resources into one command per batch key
/// (`apt-get install a b c`), so an apply starts processes per kind, not per resource.
///
/// The merged command runs where the first member's change runs. A later member joins only when
/// everything it depends on is ordered before that point; the others keep their own command.
/// Members that joined keep their change (action, reasons) with no step of their own, and say
/// which change runs their command.
public enum StepBatches {
    public static func merge(_ changes: inout [Change]) {
        guard changes.contains(where: { batch(of: $0) != nil }) else { return }
        let position = Dictionary(changes.enumerated().map { ($0.element.address, $0.offset) }, uniquingKeysWith: { a, _ in a })
        var leaders: [String: Int] = [:]
        for index in changes.indices {
            guard let batch = batch(of: changes[index]) else { continue }
            let key = batch.key + "\u{0}" + batch.command.joined(separator: "\u{0}")
            guard let leader = leaders[key] else {
                leaders[key] = index
                continue
            }
            let ready = changes[index].dependsOn.allSatisfy { dependency in position[dependency].map { $0 < leader } ?? true }
            guard ready, case .command(var step) = changes[leader].steps[0], var merged = step.batch else { continue }
            merged.items += batch.items
            step = CommandStep(batch: merged, environment: step.environment)
            changes[leader].steps = [.command(step)]
            changes[index].steps = []
            changes[index].reasons.append("runs in \(changes[leader].address)'s step (one \(batch.key) for the batch)")
        }
    }

    /// A change is a member when its only step is a batchable command.
    private static func batch(of change: Change) -> CommandBatch? {
        guard change.hasChanges, change.steps.count == 1, case .command(let step) = change.steps[0] else { return nil }
        return step.batch
    }
}
