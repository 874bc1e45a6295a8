import Foundation
import ReconcileCore
import Testing

/// The repository, found from this file, so tests run from any working directory.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// Reviewed outputs, compared by `compareSnapshot`.
let snapshotsPath = repositoryRoot + "/Tests/ReconcileCLITests/Snapshots"

/// Compares `actual` (paths in this repository made relative) with the snapshot Snapshots/NAME;
/// `differs` is the failure, which says how to re-record. With RECORD_SNAPSHOTS=1 in the
/// environment the snapshot is written instead, for review in the diff.
func compareSnapshot(_ actual: String, named name: String, differs: String) throws {
    let normalised = actual.replacingOccurrences(of: repositoryRoot + "/", with: "")
    let url = URL(fileURLWithPath: snapshotsPath + "/" + name)
    if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(normalised.utf8).write(to: url)
        return
    }
    let expected = try String(contentsOf: url, encoding: .utf8)
    #expect(normalised == expected, "\(differs)")
}

/// The built executable; `swift build` (or `swift test`) puts it here.
let binaryPath = ProcessInfo.processInfo.environment["RECONCILE_BINARY"] ?? repositoryRoot + "/.build/debug/reconcile"

struct Run {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs the binary by argv with a pipe for stdin, as a pipeline would (never a TTY).
func reconcile(_ arguments: [String], environment: [String: String] = [:]) throws -> Run {
    try #require(FileManager.default.isExecutableFile(atPath: binaryPath), "build the binary first: swift build")
    let result = try ProcessRunner().run(Command([binaryPath] + arguments, environment: environment))
    return Run(status: result.status, stdout: result.stdoutText, stderr: result.stderrText)
}

/// A staging root with manifests beside it.
final class Stage {
    let path: String

    init() {
        var bytes = Array((NSTemporaryDirectory() + "reconcile-cli-XXXXXX").utf8CString)
        path = bytes.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.flatMap { mkdtemp($0) }.map { String(cString: $0) } ?? "/tmp/reconcile-cli-fallback"
        }
        try? FileManager.default.createDirectory(atPath: path + "/root", withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    var root: String { path + "/root" }
    var manifest: String { path + "/manifest.yaml" }

    func writeManifest(_ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: manifest))
    }

    func write(_ hostPath: String, _ content: String) throws {
        let full = root + hostPath
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(content.utf8).write(to: URL(fileURLWithPath: full))
    }

    func read(_ hostPath: String) -> String? {
        FileManager.default.contents(atPath: root + hostPath).map { String(decoding: $0, as: UTF8.self) }
    }
}
