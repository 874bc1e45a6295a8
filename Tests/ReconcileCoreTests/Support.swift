import Foundation
@testable import ReconcileCore
import ReconcileProviders
import ReconcileYAML

/// Loads manifests from in-memory text with the real registry.
func loadManifests(_ files: [(String, String)]) -> LoadedManifests {
    ManifestLoader(registry: Providers.registry).load(files: files.map { ($0.0, Array($0.1.utf8)) })
}

func loadManifest(_ text: String, path: String = "m.yaml") -> LoadedManifests {
    loadManifests([(path, text)])
}

/// Rendered diagnostics, as `reconcile validate` prints them (no colour).
func rendered(_ loaded: LoadedManifests) -> String {
    DiagnosticRenderer(sources: loaded.sources).render(loaded.diagnostics.sorted)
}

/// Answers commands from recorded outputs; anything unexpected is an error, and every call is kept.
final class RecordedRunner: CommandRunner, @unchecked Sendable {
    private let lock = NSLock()
    private var answers: [[String]: CommandResult]
    private var fallback: (([String]) -> CommandResult?)?
    private(set) var calls: [[String]] = []
    private(set) var environments: [[String: String]] = []

    init(_ answers: [[String]: CommandResult] = [:], fallback: (([String]) -> CommandResult?)? = nil) {
        self.answers = answers
        self.fallback = fallback
    }

    func run(_ command: Command) throws -> CommandResult {
        lock.withLock {
            calls.append(command.argv)
            environments.append(command.environment)
        }
        if let answer = answers[command.argv] ?? fallback?(command.argv) { return answer }
        return CommandResult(status: 127, stderr: Data("unexpected command \(command.argv)".utf8))
    }

    var recordedCalls: [[String]] { lock.withLock { calls } }
    var recordedEnvironments: [[String: String]] { lock.withLock { environments } }
}

/// A fresh temp folder, removed when the test's scope ends.
final class TemporaryDirectory {
    let path: String

    init() {
        let template = NSTemporaryDirectory() + "reconcile-test-XXXXXX"
        var bytes = Array(template.utf8CString)
        let created = bytes.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.flatMap { mkdtemp($0) } }
        path = created.map { String(cString: $0) } ?? template
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    func write(_ relative: String, _ content: String) throws {
        let full = path + "/" + relative
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(content.utf8).write(to: URL(fileURLWithPath: full))
    }

    func read(_ relative: String) -> String? {
        FileManager.default.contents(atPath: path + "/" + relative).map { String(decoding: $0, as: UTF8.self) }
    }
}

func fixture(_ name: String) throws -> String {
    guard let url = Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil) else {
        throw ReconcileError.notAllowed("missing fixture \(name)")
    }
    return try String(contentsOf: url, encoding: .utf8)
}

let fixedDate = Date(timeIntervalSince1970: 1_800_000_000)

extension Executor {
    /// Tests apply plans they build or plan by hand; the CLI's only come from `planToApply` or
    /// `SavedPlanCheck`.
    func apply(
        _ plan: Plan, applyID: String, now: Date = Date(), origin: ApplyOrigin? = nil, allowDataLoss: Bool = false,
        onEvent: (ApplyEvent) -> Void = { _ in }
    ) throws -> ApplyReport {
        try apply(CheckedPlan(verified: plan), applyID: applyID, now: now, origin: origin, allowDataLoss: allowDataLoss, onEvent: onEvent)
    }

    func recordUnchanged(_ plan: Plan, applyID: String) throws {
        try recordUnchanged(CheckedPlan(verified: plan), applyID: applyID)
    }
}
