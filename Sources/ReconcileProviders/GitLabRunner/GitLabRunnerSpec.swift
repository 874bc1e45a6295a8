import Foundation
import ReconcileCore

/// `kind: GitLabRunner`: one runner of a gitlab-runner service whose jobs run in podman containers
/// through the custom executor: its scripts, its `[[runners]]` entry, the service and a cache purge.
public struct GitLabRunnerSpec: ResourceSpec {
    public enum PullPolicy: String, Codable, Sendable, CaseIterable { case always = "always", missing = "missing", never = "never" }
    public enum JobShell: String, Codable, Sendable, CaseIterable { case bash = "bash", sh = "sh" }

    /// The runner's name in config.toml; also names its scripts folder and purge units.
    public var name: String
    /// nil only with state: absent.
    public var url: String?
    public var token: SecretReference?
    public var user: String
    public var group: String
    public var home: String
    /// The image for jobs that name none.
    public var image: String?
    /// Glob patterns a job's `image:` must match.
    public var allowedImages: [String]
    public var pullPolicy: PullPolicy
    public var shell: JobShell
    /// Inside the container.
    public var buildsDir: String
    public var cacheDir: String
    /// On the host: one folder per project and concurrency slot, mounted at `cacheDir`.
    public var hostCacheDir: String
    public var concurrency: Int
    public var podmanArgs: [String]
    public var setupCommands: [String]
    /// Cache folders unused this long are purged (seconds).
    public var purgeCacheAfter: Int
    /// systemd calendar expression for the purge timer.
    public var purgeSchedule: String
    public var scriptsDir: String
    public var config: String
    public var service: String
    public var executable: String

    private enum CodingKeys: String, CodingKey {
        case name = "name", url = "url", token = "token", user = "user", group = "group", home = "home", image = "image"
        case allowedImages = "allowedImages", pullPolicy = "pullPolicy", shell = "shell", buildsDir = "buildsDir"
        case cacheDir = "cacheDir", hostCacheDir = "hostCacheDir", concurrency = "concurrency"
        case podmanArgs = "podmanArgs", setupCommands = "setupCommands", purgeCacheAfter = "purgeCacheAfter"
        case purgeSchedule = "purgeSchedule", scriptsDir = "scriptsDir", config = "config", service = "service"
        case executable = "executable"
    }
}

extension GitLabRunnerSpec {
    public static let kind = "GitLabRunner"
    public static let keys = [
        "url", "token", "user", "group", "home", "image", "allowedImages", "pullPolicy", "shell", "buildsDir", "cacheDir",
        "hostCacheDir", "concurrency", "podmanArgs", "setupCommands", "purgeCacheAfter", "purgeSchedule", "scriptsDir",
        "config", "service", "executable",
    ]
    static let defaultPurgeAge = 30 * 86400

    public static func decode(_ reader: ObjectReader, context: DecodeContext) -> GitLabRunnerSpec? {
        let name = context.name
        let nameIsValid = RunnerUnits.isValidName(name)
        if !nameIsValid {
            reader.error("name", "\"\(name)\" cannot name a runner's folder and units: use letters, digits, \"_\", \".\" and \"-\", starting with a letter or digit (at most \(RunnerUnits.nameLimit) characters)")
        }
        let present = context.state == .present
        let url = readURL(reader, required: present)
        let token = readToken(reader, required: present)
        let user = readAccount(reader, "user") ?? "gitlab-runner"
        let group = readAccount(reader, "group") ?? user
        if user == "nobody" {
            reader.warning("user", "nobody is shared by unrelated daemons (systemd calls User=nobody unsafe); give the runner its own account")
        }
        let home = FileSpec.readAbsolutePath(reader, key: "home", required: false) ?? "/home/\(user)"
        let image = present ? readImage(reader) : reader.string("image")
        let allowedImages = readPatterns(reader) ?? image.map { [$0] } ?? []
        let pullPolicy = reader.choice("pullPolicy", as: PullPolicy.self) ?? .missing
        let shell = reader.choice("shell", as: JobShell.self) ?? .bash
        let buildsDir = FileSpec.readAbsolutePath(reader, key: "buildsDir", required: false) ?? "/builds"
        let cacheDir = FileSpec.readAbsolutePath(reader, key: "cacheDir", required: false) ?? "/cache"
        let hostCacheDir = FileSpec.readAbsolutePath(reader, key: "hostCacheDir", required: false) ?? "\(home)/_cache"
        let concurrency = reader.int("concurrency", range: 1...1000) ?? 1
        let podmanArgs = readArguments(reader)
        let setupCommands = (reader.stringList("setupCommands") ?? []).map(\.0)
        let purgeCacheAfter = reader.duration("purgeCacheAfter") ?? defaultPurgeAge
        if purgeCacheAfter < 60 {
            reader.error("purgeCacheAfter", "must be at least a minute (find -mmin counts minutes), found \(purgeCacheAfter) seconds")
        }
        let purgeSchedule = readSchedule(reader)
        let scriptsDir = FileSpec.readAbsolutePath(reader, key: "scriptsDir", required: false) ?? "\(home)/\(name)"
        let config = FileSpec.readAbsolutePath(reader, key: "config", required: false) ?? "\(home)/.gitlab-runner/config.toml"
        let service = readService(reader)
        let executable = FileSpec.readAbsolutePath(reader, key: "executable", required: false) ?? "/usr/local/bin/gitlab-runner"
        checkPathsForUnits(reader, ["home": home, "config": config, "executable": executable, "hostCacheDir": hostCacheDir])
        if hostCacheDir == "/" || hostCacheDir == home {
            reader.error("hostCacheDir", "the purge deletes old folders in hostCacheDir: give it a folder of its own, not \"\(hostCacheDir)\"")
        }
        guard nameIsValid else { return nil }
        return GitLabRunnerSpec(
            name: name, url: url, token: token, user: user, group: group, home: home, image: image,
            allowedImages: allowedImages, pullPolicy: pullPolicy, shell: shell, buildsDir: buildsDir, cacheDir: cacheDir,
            hostCacheDir: hostCacheDir, concurrency: concurrency, podmanArgs: podmanArgs, setupCommands: setupCommands,
            purgeCacheAfter: max(purgeCacheAfter, 60), purgeSchedule: purgeSchedule, scriptsDir: scriptsDir, config: config,
            service: service, executable: executable)
    }

    private static func readURL(_ reader: ObjectReader, required: Bool) -> String? {
        guard let text = reader.string("url", required: required) else { return nil }
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host?.isEmpty == false else {
            reader.error("url", "expected the GitLab instance's http(s) URL, like \"https://gitlab.example.org/\", found \"\(text)\"")
            return nil
        }
        if url.scheme == "http" {
            reader.warning("url", "http:// sends the runner token unencrypted; use https://")
        }
        return text
    }

    /// `{env: NAME}` or `{file: /path}`; a token written inline would end up in git.
    private static func readToken(_ reader: ObjectReader, required: Bool) -> SecretReference? {
        guard reader.has("token") else {
            if required { _ = reader.requireKey("token") }
            return nil
        }
        if reader.value("token")?.scalar != nil {
            reader.error("token", "write where the token is, not the token: {env: RUNNER_TOKEN} or {file: /etc/reconcile/secrets/runner}")
            return nil
        }
        return SecretReferenceReader.read(reader, "token")
    }

    private static func readAccount(_ reader: ObjectReader, _ key: String) -> String? {
        guard let name = reader.string(key) else { return nil }
        guard let first = name.first, first.isLowercase || first == "_",
              name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || "_-".contains($0)) }), name.count <= 32 else {
            reader.error(key, "\"\(name)\" is not a user or group name (lower-case letters, digits, \"_\" and \"-\")")
            return nil
        }
        return name
    }

    private static func readImage(_ reader: ObjectReader) -> String? {
        guard let image = reader.string("image", required: true) else { return nil }
        guard isImageReference(image) else {
            reader.error("image", "\"\(image)\" is not an image reference like \"registry.example.org/base/fedora:40\"")
            return nil
        }
        return image
    }

    static func isImageReference(_ text: String) -> Bool {
        guard let first = text.first, first.isLetter || first.isNumber else { return false }
        return text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-/:@".contains($0)) }
    }

    private static func readPatterns(_ reader: ObjectReader) -> [String]? {
        guard let items = reader.stringList("allowedImages") else { return nil }
        var patterns: [String] = []
        for (index, (pattern, node)) in items.enumerated() {
            guard let first = pattern.first, first != "-",
                  pattern.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-/:@*?[]!".contains($0)) }) else {
                reader.error(at: node, keyPath: "allowedImages[\(index)]", "\"\(pattern)\" is not an image pattern (an image reference, * and ? match any characters)")
                continue
            }
            patterns.append(pattern)
        }
        if patterns.isEmpty && !items.isEmpty { return nil }
        if items.isEmpty {
            reader.error("allowedImages", "an empty list would refuse every job; leave the key out to allow only image:")
        }
        return patterns
    }

    private static func readArguments(_ reader: ObjectReader) -> [String] {
        let items = reader.stringList("podmanArgs") ?? []
        for (index, (argument, node)) in items.enumerated() where argument.contains("\n") {
            reader.error(at: node, keyPath: "podmanArgs[\(index)]", "an argument cannot hold a line break")
        }
        for (index, (argument, _)) in items.enumerated() where ["--privileged", "--pid=host", "--network=host"].contains(argument) {
            reader.warning("podmanArgs", "podmanArgs[\(index)] \(argument) gives jobs power over this host")
        }
        return items.map(\.0)
    }

    private static func readSchedule(_ reader: ObjectReader) -> String {
        guard let schedule = reader.string("purgeSchedule") else { return "daily" }
        guard !schedule.isEmpty, !schedule.contains("\n") else {
            reader.error("purgeSchedule", "expected a systemd calendar expression like \"daily\" or \"*-*-* 03:00\"")
            return "daily"
        }
        return schedule
    }

    private static func readService(_ reader: ObjectReader) -> String {
        guard let service = reader.string("service") else { return "gitlab-runner.service" }
        guard isServiceName(service) else {
            reader.error("service", "\"\(service)\" is not a service unit name like \"gitlab-runner.service\"")
            return "gitlab-runner.service"
        }
        return service
    }

    static func isServiceName(_ service: String) -> Bool {
        service.hasSuffix(".service") && RunnerUnits.isValidName(String(service.dropLast(".service".count)))
    }

    /// systemd reads these unquoted on ExecStart= lines.
    static func isUnitPath(_ path: String) -> Bool {
        path.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._/+-".contains($0)) }
    }

    private static func checkPathsForUnits(_ reader: ObjectReader, _ paths: [String: String]) {
        for (key, path) in paths.sorted(by: { $0.key < $1.key }) where !isUnitPath(path) {
            reader.error(key, "may hold only letters, digits and . _ / + - (systemd reads it unquoted), found \"\(path)\"")
        }
    }
}

extension GitLabRunnerSpec {
    public func problems(name: String, state: ResourceState) -> [String] {
        var problems = SpecProblems()
        problems.check(self.name == name && RunnerUnits.isValidName(name), "name", "\(TerminalText.quoted(self.name)) is not this resource's name")
        let unitPaths = ["home": home, "config": config, "executable": executable, "hostCacheDir": hostCacheDir]
        problems.paths(unitPaths.merging(["buildsDir": buildsDir, "cacheDir": cacheDir, "scriptsDir": scriptsDir]) { first, _ in first })
        for (key, path) in unitPaths.sorted(by: { $0.key < $1.key }) {
            problems.check(Self.isUnitPath(path), key, "may hold only letters, digits and . _ / + -")
        }
        problems.check(hostCacheDir != "/" && hostCacheDir != home, "hostCacheDir", "must be a folder of its own")
        if case .file(let path)? = token { problems.path("token.file", path) }
        problems.check(state == .absent || (url != nil && token != nil), "token", "a present runner needs url and token")
        problems.account("user", user)
        problems.account("group", group)
        problems.check((1...1000).contains(concurrency), "concurrency", "must be 1-1000")
        problems.check(purgeCacheAfter >= 60, "purgeCacheAfter", "must be at least 60 seconds")
        problems.check(!purgeSchedule.isEmpty && !purgeSchedule.contains("\n"), "purgeSchedule", "not a calendar expression")
        problems.check(Self.isServiceName(service), "service", "not a service unit name")
        problems.check(!podmanArgs.contains { $0.contains("\n") }, "podmanArgs", "an argument cannot hold a line break")
        return problems.items
    }
}

extension GitLabRunnerSpec {
    public var hostIdentity: String { "runner \(name) in \(config)" }
}
