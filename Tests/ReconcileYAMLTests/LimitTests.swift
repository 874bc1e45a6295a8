import Testing
import ReconcileYAML

@Suite struct LimitTests {
    @Test func flowNestingBeyondDefaultLimitIsReportedWhereExceeded() {
        let text = String(repeating: "[", count: 300) + String(repeating: "]", count: 300) + "\n"
        let result = load(text)
        #expect(result.errors.map(\.message) == ["nesting depth exceeds the limit of 256 levels"])
        #expect(result.errors.first?.mark == at(1, 257))
    }

    @Test func nestingAtExactlyTheLimitIsFine() {
        let text = String(repeating: "[", count: 256) + String(repeating: "]", count: 256)
        #expect(load(text).errors.isEmpty)
    }

    @Test func blockNestingWithCustomLimitStopsTheStream() {
        let text = "x: 1\nx: 2\na:\n  b:\n    c:\n      d: 1\nlater: 1\nlater: 2\n---\nok: 1\n"
        let result = load(text, limits: YAMLLimits(maxDepth: 3))
        // Errors before the limit are kept; nothing after it is read.
        #expect(result.errors.map(\.message) == [
            "duplicate key \"x\" (first defined at line 1, column 1)",
            "nesting depth exceeds the limit of 3 levels",
        ])
        #expect(result.errors.last?.mark == at(6, 7))
        #expect(result.documents.isEmpty)
    }

    @Test func depthLimitKeepsEarlierDocuments() {
        let result = load("a: 1\n---\n[[[x]]]\n", limits: YAMLLimits(maxDepth: 2))
        #expect(result.documents.count == 1)
        #expect(result.errors.map(\.mark) == [at(3, 3)])
    }

    @Test func aliasesCountTowardsDepth() {
        let text = "a: &x [[1]]\nb: [*x]\n"
        #expect(load(text, limits: YAMLLimits(maxDepth: 4)).errors.isEmpty)
        let result = load(text, limits: YAMLLimits(maxDepth: 3))
        #expect(result.errors.map(\.message) == ["nesting depth exceeds the limit of 3 levels"])
        #expect(result.errors.first?.mark == at(2, 5))
    }

    @Test func veryDeepInputIsAbandonedQuickly() {
        // libyaml 0.2.5 needs ~5 s for 40,000 nested "[" when read to the end; stopping
        // at the limit bounds the time.
        let depth = 200_000
        let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        let clock = ContinuousClock()
        var result: (documents: [YAMLDocument], errors: [YAMLError]) = ([], [])
        let elapsed = clock.measure { result = load(text) }
        #expect(elapsed < .milliseconds(500))
        #expect(result.errors.map(\.mark) == [at(1, 257)])
        #expect(result.documents.isEmpty)
    }
}
