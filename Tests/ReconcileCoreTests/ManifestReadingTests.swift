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
}
