import Foundation
@testable import ReconcileCore
import ReconcileProviders
import Testing

/// Manifests are read straight into the parser's bytes: a regular file whole, a pipe (`<(…)`)
/// until its end; a file that cannot be read says why.
@Suite struct ManifestReadingTests {
    static let manifest = "kind: File\nname: motd\npath: /etc/motd\ncontent: \"hello\\n\"\n"

    @Test func aRegularFileIsReadWhole() throws {
        let directory = TemporaryDirectory()
        let big = (0..<3000).map { "---\nkind: File\nname: f\($0)\npath: /srv/f\($0)\ncontent: \"\($0)\\n\"\n" }.joined()
        try directory.write("m.yaml", big)
        #expect(try ManifestLoader.read(directory.path + "/m.yaml") == Array(big.utf8))
        let loaded = try ManifestLoader(registry: Providers.registry).load(paths: [directory.path + "/m.yaml"])
        #expect(loaded.resources.count == 3000)
    }

    @Test func aPipeIsReadToItsEnd() throws {
        let directory = TemporaryDirectory()
        let fifo = directory.path + "/m.yaml"
        #expect(mkfifo(fifo, 0o600) == 0)
        // More than a pipe holds, so the reader must keep reading while the writer writes.
        let text = String(repeating: "# padding line of a manifest given through a pipe\n", count: 4000) + Self.manifest
        let writer = Thread {
            let handle = FileHandle(forWritingAtPath: fifo)
            handle?.write(Data(text.utf8))
            try? handle?.close()
        }
        writer.start()
        let loaded = try ManifestLoader(registry: Providers.registry).load(paths: [fifo])
        #expect(loaded.resources.map(\.address.description) == ["File/motd"])
        #expect(!loaded.diagnostics.hasErrors)
    }

    @Test func anUnreadableFileSaysWhy() throws {
        let directory = TemporaryDirectory()
        #expect(throws: ReconcileError.io(path: directory.path + "/missing.yaml", operation: "read", errno: ENOENT)) {
            try ManifestLoader.read(directory.path + "/missing.yaml")
        }
        try FileManager.default.createDirectory(atPath: directory.path + "/folder.yaml", withIntermediateDirectories: true)
        #expect(throws: ReconcileError.io(path: directory.path + "/folder.yaml", operation: "read", errno: EISDIR)) {
            try ManifestLoader.read(directory.path + "/folder.yaml")
        }
    }

    /// Documents are decoded a chunk at a time and let go: across the chunks' seams resources
    /// keep their order and every problem is still told, in order, once.
    @Test func documentsPastOneDecodingChunkKeepTheirOrderAndProblems() throws {
        let count = ManifestLoader.decodingChunk + 10
        let bad: Set<Int> = [ManifestLoader.decodingChunk - 1, ManifestLoader.decodingChunk + 1]
        let text = (0..<count).map { index in
            "---\nkind: File\nname: f\(index)\npath: /srv/f\(index)\n" + (bad.contains(index) ? "mode: nine\n" : "content: \"\(index)\\n\"\n")
        }.joined()
        let directory = TemporaryDirectory()
        try directory.write("m.yaml", text)
        let loaded = try ManifestLoader(registry: Providers.registry).load(paths: [directory.path + "/m.yaml"])
        let expected = (0..<count).filter { !bad.contains($0) }.map { "File/f\($0)" }
        #expect(loaded.resources.map(\.address.description) == expected)
        let errors = loaded.diagnostics.items.filter { $0.severity == .error }
        // Each bad document's problems (its mode, its missing content), the documents in order:
        // document N is lines 5N+1 to 5N+5.
        #expect(errors.count == 4)
        #expect(errors.map { (($0.mark?.line ?? 0) - 1) / 5 } == bad.sorted().flatMap { [$0, $0] })
    }
}
