import Foundation
import ReconcileCore
import Testing

/// Our diff must read like `diff -u`: compared hunk for hunk with GNU diff on the same inputs.
@Suite struct UnifiedDiffTests {
    static let cases: [(String, String)] = [
        ("", "one\ntwo\n"),
        ("one\ntwo\n", ""),
        ("a\nb\nc\n", "a\nB\nc\n"),
        ("a\nb\nc", "a\nb\nc\n"),
        ((1...40).map { "line \($0)" }.joined(separator: "\n") + "\n",
         (1...40).map { $0 == 5 || $0 == 30 ? "changed \($0)" : "line \($0)" }.joined(separator: "\n") + "\n"),
        ("x\ny\nz\nx\ny\nz\n", "y\nz\nx\nq\ny\n"),
    ]

    @Test(arguments: 0..<cases.count)
    func matchesGNUDiff(index: Int) throws {
        let (old, new) = Self.cases[index]
        let ours = try #require(UnifiedDiff.make(old: old, new: new, oldLabel: "a", newLabel: "b"))
        let theirs = try gnuDiff(old, new)
        // Hunks may be placed differently when several edit scripts are shortest; the line counts must agree.
        #expect(body(ours).filter { $0.hasPrefix("-") }.count == body(theirs).filter { $0.hasPrefix("-") }.count)
        #expect(body(ours).filter { $0.hasPrefix("+") }.count == body(theirs).filter { $0.hasPrefix("+") }.count)
        if index < 5 {
            #expect(body(ours) == body(theirs))
        }
    }

    /// What a plan shows for a new file, made without the edit search: the very lines `make` gives.
    @Test(arguments: ["", "a", "a\n", "a\nb", "a\nb\n", "\n", "\n\n", "x\r\ny\r\n", "x\r", "a\r\nb", "é\n\u{1B}[2J\n",
                      (1...70).map { "line \($0)" }.joined(separator: "\n") + "\n"])
    func additionsAreTheDiffFromAnEmptyFile(text: String) {
        let made = UnifiedDiff.make(old: "", new: text, oldLabel: "/f", newLabel: "/f (planned)")
        #expect(UnifiedDiff.additions(of: text, oldLabel: "/f", newLabel: "/f (planned)") == (made.map(UnifiedDiff.splitLines) ?? []))
    }

    @Test func equalTextsHaveNoDiff() {
        #expect(UnifiedDiff.make(old: "a\n", new: "a\n", oldLabel: "a", newLabel: "b") == nil)
    }

    @Test func hugeRewriteFallsBackWithoutBlowingUp() {
        let old = (0..<20_000).map { "old \($0)" }.joined(separator: "\n")
        let new = (0..<20_000).map { "new \($0)" }.joined(separator: "\n")
        let diff = UnifiedDiff.make(old: old, new: new, oldLabel: "a", newLabel: "b")
        // Two labels, one hunk header, every line removed and added, and two "No newline" markers.
        #expect(diff?.split(separator: "\n").count == 40_005)
    }

    private func body(_ diff: String) -> [String] {
        diff.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(2).map(String.init).filter { !$0.isEmpty }
    }

    private func gnuDiff(_ old: String, _ new: String) throws -> String {
        let directory = TemporaryDirectory()
        try directory.write("a", old)
        try directory.write("b", new)
        let result = try ProcessRunner().run(Command(["diff", "-u", directory.path + "/a", directory.path + "/b"]))
        #expect(result.status == 1)
        return result.stdoutText
    }
}
