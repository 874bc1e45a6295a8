/// Merges the `systemctl enable/disable/start/stop` calls that end many changes into one call
/// per verb (`systemctl enable a b c`), so an apply of 1,000 units runs a few `systemctl`
/// processes, not thousands, and a live host reloads systemd once, not per unit.
///
/// A window is a run of consecutive changes of one kind (a unit that is only written, not
/// enabled, stays in it); the calls that end them run together at the window's end, in its last
/// member. A change of another kind closes the window first, so whatever comes after a unit in
/// the plan still finds it enabled and started (a File written below a Mount's folder lands on
/// the mounted file system). A change that depends on a member, or that a member depends on,
/// closes it too. Members keep their change (action, reasons, their other steps) and say which
/// change runs their calls.
public enum SystemctlBatches {
    /// Enable and disable (unit files) before stop and start (running units), as within a change.
    static let verbs: [SystemctlStep.Verb] = [.enable, .disable, .stop, .start]

    public static func merge(_ changes: inout [Change]) {
        var window: [Int] = []
        var members = Set<ResourceAddress>()
        var membersNeed = Set<ResourceAddress>()
        for index in changes.indices where changes[index].hasChanges {
            let change = changes[index]
            let sameKind = window.last.map { changes[$0].address.kind == change.address.kind } ?? true
            let related = membersNeed.contains(change.address) || change.dependsOn.contains(where: members.contains)
            if !sameKind || related {
                close(window, in: &changes)
                window = []
                members = []
                membersNeed = []
            }
            guard trailingCalls(of: change.steps) > 0 else { continue }
            window.append(index)
            members.insert(change.address)
            membersNeed.formUnion(change.dependsOn)
        }
        close(window, in: &changes)
    }

    /// How many of the last steps are calls this merge may move.
    static func trailingCalls(of steps: [Step]) -> Int {
        steps.reversed().prefix { step in
            guard case .systemctl(let call) = step else { return false }
            return verbs.contains(call.verb)
        }.count
    }

    private static func close(_ window: [Int], in changes: inout [Change]) {
        guard window.count > 1, let last = window.last else { return }
        var units: [SystemctlStep.Verb: [String]] = [:]
        for index in window {
            let count = trailingCalls(of: changes[index].steps)
            for step in changes[index].steps.suffix(count) {
                guard case .systemctl(let call) = step else { continue }
                units[call.verb, default: []] += call.units
            }
            changes[index].steps.removeLast(count)
        }
        let merged = verbs.compactMap { verb in
            units[verb].flatMap { names in names.first.map { Step.systemctl(SystemctlStep(verb, $0, others: names.count > 1 ? Array(names.dropFirst()) : nil)) } }
        }
        changes[last].steps += merged
        let calls = merged.map { step in
            guard case .systemctl(let call) = step else { return "" }
            return "systemctl \(call.verb.rawValue) (\(call.units.count) units)"
        }.joined(separator: ", ")
        for index in window.dropLast() {
            changes[index].reasons.append("its systemctl calls run in \(changes[last].address)'s steps: \(calls)")
        }
    }
}
