import Foundation
import ReconcileCore
import ReconcileTOML

/// The runner's `[[runners]]` entry in config.toml: the keys reconcile sets, how the host's entry
/// compares with them, and the edit that makes it so. Tokens are compared here and nowhere kept.
public struct RunnerConfig: Sendable, Equatable {
    public let spec: GitLabRunnerSpec
    public let scripts: ExecutorScripts

    static let array = "runners"
    static let tokenKey = ["token"]

    /// Every key reconcile owns in the entry, token aside.
    public var settings: [EditTOMLStep.Setting] {
        [
            .init(["url"], .string(spec.url ?? "")),
            .init(["executor"], .string("custom")),
            .init(["shell"], .string(spec.shell.rawValue)),
            .init(["builds_dir"], .string(spec.buildsDir)),
            .init(["cache_dir"], .string(spec.cacheDir)),
            .init(["limit"], .integer(spec.concurrency)),
            .init(["custom", "prepare_exec"], .string(scripts.path(.prepare))),
            .init(["custom", "run_exec"], .string(scripts.path(.run))),
            .init(["custom", "cleanup_exec"], .string(scripts.path(.cleanup))),
        ]
    }

    /// What the host's config file says about this runner; built without keeping any token.
    public struct Observation: Codable, Sendable, Equatable {
        /// Attributes only: the text holds every runner's token.
        public var file: FileObservation
        /// Why the file cannot be edited (not TOML as far as the edit can tell, two entries with one name).
        public var problem: String?
        /// The entry's values of the keys reconcile sets, as TOML text; nil when there is no entry.
        public var entry: [String: String]?
        /// Whether the entry's token is the one the manifest points at; nil when either is missing.
        public var tokenMatches: Bool?
        public var concurrent: Int?
        /// gitlab-runner rewrites the file itself (token refreshes), so a new folder is the runner's.
        public var directoryExists: Bool

        public init(
            file: FileObservation, directoryExists: Bool = true, problem: String? = nil, entry: [String: String]? = nil,
            tokenMatches: Bool? = nil, concurrent: Int? = nil
        ) {
            self.file = file
            self.directoryExists = directoryExists
            self.problem = problem
            self.entry = entry
            self.tokenMatches = tokenMatches
            self.concurrent = concurrent
        }
    }

    /// One read of the file; `token` is the manifest's token when it could be read.
    public static func observe(
        _ spec: GitLabRunnerSpec, keys: [[String]], token: String?, files: any ReadableFileSystem
    ) throws -> Observation {
        var file = try FileObservation.probe(spec.config, files: files)
        let text = file.text
        file.text = nil
        guard file.exists else {
            return Observation(file: file, directoryExists: try files.status(directory(of: spec.config)) != nil)
        }
        guard file.type == .file else { return Observation(file: file, problem: "\(spec.config) is a \(file.type?.rawValue ?? "special file"), not a file") }
        guard let text else {
            return Observation(file: file, problem: "\(spec.config) is not UTF-8 text of at most \(FileObservation.textLimit) bytes")
        }
        do {
            let document = try TOMLDocument(text)
            var observation = Observation(file: file)
            if case .integer(let number) = document.topLevel("concurrent")?.scalar { observation.concurrent = number }
            guard let entry = try document.entry(of: array, where: "name", is: spec.name) else { return observation }
            let values = document.values(of: entry)
            var seen: [String: String] = [:]
            for key in keys {
                if let value = values[key] { seen[key.joined(separator: ".")] = value.valueText }
            }
            observation.entry = seen
            if let token, let current = values[tokenKey]?.scalar {
                observation.tokenMatches = current == .string(token)
            }
            return observation
        } catch let error as TOMLError {
            return Observation(file: file, problem: "\(spec.config):\(error.line):\(error.column): \(error.message)")
        }
    }

    static func directory(of path: String) -> String {
        (path as NSString).deletingLastPathComponent
    }

    /// `key: old → new` for each key that differs; values shown are never secrets.
    public func differences(from entry: [String: String]) -> [String] {
        settings.compactMap { setting in
            let key = setting.key.joined(separator: ".")
            // The token is compared by the probe, never shown: its place here stays empty.
            let wanted = setting.value.scalar { _ in "" }
            guard let current = entry[key] else { return "\(key): (not set) → \(wanted.rendered)" }
            return TOMLScalar.parse(current) == wanted ? nil : "\(key): \(current) → \(wanted.rendered)"
        }
    }

    public func edit(settings: [EditTOMLStep.Setting]?, createEntry: Bool, changes: [String]) -> EditTOMLStep {
        EditTOMLStep(
            path: spec.config, array: Self.array, matchKey: "name", name: spec.name, settings: settings, createEntry: createEntry,
            comment: ["Managed by reconcile (GitLabRunner/\(spec.name)): keys set there are overwritten."],
            topLevelAtLeast: settings == nil ? [:] : ["concurrent": spec.concurrency], mode: 0o600, owner: spec.user,
            group: spec.group, changes: changes)
    }

    /// `gitlab-runner register`, for legacy registration tokens: the token goes in by environment.
    public var registerCommand: CommandStep {
        let argv = [
            spec.executable, "register", "--non-interactive", "--config", spec.config, "--url", spec.url ?? "",
            "--name", spec.name, "--executor", "custom", "--shell", spec.shell.rawValue, "--builds-dir", spec.buildsDir,
            "--cache-dir", spec.cacheDir, "--limit", String(spec.concurrency),
            "--custom-prepare-exec", scripts.path(.prepare), "--custom-run-exec", scripts.path(.run),
            "--custom-cleanup-exec", scripts.path(.cleanup),
        ]
        let shown = argv.map(ShellQuote.quote).joined(separator: " ")
        return CommandStep(
            argv: argv, secretEnvironment: ["REGISTRATION_TOKEN": spec.token ?? .environment("REGISTRATION_TOKEN")],
            summary: "run REGISTRATION_TOKEN=<\(spec.token.map(\.description) ?? "?")> \(shown)")
    }
}
