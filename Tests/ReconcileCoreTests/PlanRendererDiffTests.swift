import Foundation
@testable import ReconcileCore
import Testing

/// A new file's diff is rendered from its content's bytes (issue 18); it must read exactly as the
/// same diff stored as text and rendered line by line through `details`.
@Suite struct PlanRendererDiffTests {
    static let contents: [String] = [
        "", "a", "a\n", "\n", "\n\n", "a\nb", "a\n\nb\n", "tab\there\n", "esc \u{1B}[2J\n", "del \u{7F}\n", "c1 \u{85} \u{9B}\n",
        "é ✓ 名前\n", "++ looks like a header\n", "--- a\n+++ b\n@@ -1 +1 @@\n", "x\r\ny\r\n", "ends in cr\r",
        (1...70).map { "line \($0) " + String(repeating: "x", count: $0) }.joined(separator: "\n") + "\n",
    ]

    func change(_ review: WriteFileStep.ReviewDiff, content: Data) -> Change {
        let step = WriteFileStep(path: "/etc/a b\u{1B}", content: content, mode: 0o644, review: review)
        return Change(
            address: ResourceAddress(kind: "File", name: "a"),
            plan: ResourcePlan(action: .create, reasons: ["/etc/a b does not exist"], steps: [.writeFile(step)]),
            dependsOn: [], fingerprint: "sha256:" + String(repeating: "0", count: 64), desired: DesiredState(json: .object([:])),
            state: .present, source: nil)
    }

    @Test(arguments: [false, true])
    func newFileDiffsReadAsTheSameDiffStored(colour: Bool) throws {
        let renderer = PlanRenderer(colour: colour)
        for content in Self.contents {
            let derived = change(.fromEmpty, content: Data(content.utf8))
            let stored = UnifiedDiff.make(old: "", new: content, oldLabel: "/etc/a b\u{1B}", newLabel: "/etc/a b\u{1B} (planned)")
            let rendered = renderer.render(derived)
            #expect(rendered == renderer.render(change(stored.map { .stored($0) } ?? .fromEmpty, content: Data(content.utf8))), "\(content.debugDescription)")
            #expect(rendered.contains("+++") == !content.isEmpty)
        }
        // Not UTF-8: no diff shown, as before.
        let binary = renderer.render(change(.fromEmpty, content: Data([0x66, 0xFF, 0x0A])))
        #expect(!binary.contains("+++"))
    }
}
