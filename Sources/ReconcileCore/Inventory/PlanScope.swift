import Foundation

/// Which resources one run plans: all, or `--target` patterns and what they depend on; and
/// whether resources no longer declared are removed or only reported.
public struct PlanScope: Sendable, Equatable {
    /// Addresses or fnmatch(3) globs (`File/*`, `CaptureProxy/web-*`); empty: every resource.
    public var targets: [String]
    public var keepUndeclared: Bool

    public init(targets: [String] = [], keepUndeclared: Bool = false) {
        self.targets = targets
        self.keepUndeclared = keepUndeclared
    }

    public static let all = PlanScope()

    /// What the scope keeps: the targets, every dependency of theirs (transitively), and the
    /// removals the patterns name. Patterns that name nothing are one error with suggestions.
    func select(
        declared: [Resource], removals: [Resource], released: [ReleasedResource] = []
    ) throws -> (declared: [Resource], removals: [Resource], leftOut: [ResourceAddress]) {
        guard !targets.isEmpty else { return (declared, removals, []) }
        let candidates = declared.map(\.address) + removals.map(\.address) + released.map(\.address)
        var unmatched: [String] = []
        for pattern in targets where !candidates.contains(where: { Self.matches(pattern, $0) }) {
            unmatched.append(pattern)
        }
        guard unmatched.isEmpty else {
            let names = candidates.map(\.description)
            throw ReconcileError.notAllowed(unmatched.map { pattern in
                "--target \(pattern) names no resource of this host"
                    + (Suggestion.closest(to: pattern, in: names).map { "; did you mean \($0)?" }
                        ?? "; addresses are Kind/name, as the plan prints them (globs allowed: File/*)")
            }.joined(separator: "\n"))
        }
        let byAddress = Dictionary(declared.map { ($0.address, $0) }, uniquingKeysWith: { first, _ in first })
        var kept = Set<ResourceAddress>()
        var pending = declared.map(\.address).filter { address in targets.contains { Self.matches($0, address) } }
        while let address = pending.popLast() {
            guard kept.insert(address).inserted, let resource = byAddress[address] else { continue }
            pending.append(contentsOf: resource.dependencies)
        }
        let keptRemovals = removals.filter { includes($0.address) }
        let leftOut = declared.map(\.address).filter { !kept.contains($0) }
            + (removals.map(\.address) + released.map(\.address)).filter { !includes($0) }
        return (declared.filter { kept.contains($0.address) }, keptRemovals, leftOut)
    }

    /// Whether a resource no longer declared is in scope: named by a pattern, or no patterns at all.
    func includes(_ address: ResourceAddress) -> Bool {
        targets.isEmpty || targets.contains { Self.matches($0, address) }
    }

    /// fnmatch without FNM_PATHNAME: `*` crosses the `/` in names like `storage/slowlv`.
    public static func matches(_ pattern: String, _ address: ResourceAddress) -> Bool {
        let text = address.description
        if pattern == text { return true }
        return fnmatch(pattern, text, 0) == 0
    }
}
