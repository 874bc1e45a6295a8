import Foundation
@testable import ReconcileCore
import ReconcileProviders
import Testing

/// What shell completion reads: quick and quiet whatever the folders hold.
@Suite struct CompletionCandidatesTests {
    @Test func aLargeTreeIsGivenUpOnInsteadOfWalkedWhole() throws {
        let directory = TemporaryDirectory()
        for index in 0..<5 {
            let text = "kind: File\nname: f\(index)\npath: /f\(index)\ncontent: x\n"
            try Data(text.utf8).write(to: URL(fileURLWithPath: "\(directory.path)/f\(index).yaml"))
        }
        #expect(try ManifestFiles.expand([directory.path], entryBudget: 5).count == 5)
        #expect(throws: ReconcileError.self) { try ManifestFiles.expand([directory.path], entryBudget: 4) }
        let candidates = CompletionCandidates(registry: Providers.registry, walkBudget: 5)
        #expect(candidates.addresses(manifests: [directory.path], state: nil, prefix: "File/f") == (0..<5).map { "File/f\($0)" })
        let tooSmall = CompletionCandidates(registry: Providers.registry, walkBudget: 4)
        #expect(tooSmall.addresses(manifests: [directory.path], state: nil, prefix: "").isEmpty)
    }

    /// A damaged inventory stops plans; completion just leaves its addresses out.
    @Test func aDamagedInventoryGivesTheManifestsAddressesOnly() throws {
        let directory = TemporaryDirectory()
        try Data("not json\n".utf8).write(to: URL(fileURLWithPath: "\(directory.path)/inventory.jsonl"))
        try Data("kind: File\nname: a\npath: /a\ncontent: x\n".utf8).write(to: URL(fileURLWithPath: "\(directory.path)/m.yaml"))
        let candidates = CompletionCandidates(registry: Providers.registry)
        #expect(candidates.addresses(manifests: ["\(directory.path)/m.yaml"], state: StateDirectory(directory.path), prefix: "") == ["File/a"])
    }
}
