import Foundation
import Testing

/// Secrets in files: canaries written inline, read from a host file and from the environment
/// reach their target files and nothing else (output, facts, saved plans, journal, backups).
@Suite struct SensitiveContentTests {
    static let inline = "CANARY-inline-7f3a9"
    static let fromFile = "CANARY-file-52c1e"
    static let fromEnvironment = "CANARY-env-d84b0"
    static let all = [inline, fromFile, fromEnvironment]

    static func manifest(version: String) -> String {
        """
        kind: File
        name: inline-key
        path: /etc/app/inline.key
        content: "\(inline)-\(version)\\n"
        sensitive: true
        mode: "0600"
        ---
        kind: File
        name: file-key
        path: /etc/app/file.key
        content: {file: /etc/reconcile/secrets/app.key}
        mode: "0600"
        ---
        kind: File
        name: env-key
        path: /etc/app/env.key
        content: {env: APP_KEY}
        mode: "0600"
        """
    }

    /// Every byte reconcile wrote outside the managed files themselves.
    private func leaks(in stage: Stage, runs: [Run]) throws -> [String] {
        var texts = runs.flatMap { [$0.stdout, $0.stderr] }
        let enumerator = FileManager.default.enumerator(atPath: stage.path)
        while let relative = enumerator?.nextObject() as? String {
            let full = stage.path + "/" + relative
            // The managed targets and the secret sources are where the secrets belong.
            if full.hasPrefix(stage.root + "/etc/app/") || full.hasPrefix(stage.root + "/etc/reconcile/secrets/") { continue }
            if full == stage.manifest { continue }
            if let data = FileManager.default.contents(atPath: full) { texts.append("\(relative): " + String(decoding: data, as: UTF8.self)) }
        }
        return texts.filter { text in Self.all.contains { text.contains($0) } }.map { String($0.prefix(300)) }
    }

    @Test func secretsReachTheirFilesAndNothingElse() throws {
        let stage = Stage()
        try stage.writeManifest(Self.manifest(version: "1"))
        try stage.write("/etc/reconcile/secrets/app.key", "\(Self.fromFile)-1\n")
        let environment = ["APP_KEY": "\(Self.fromEnvironment)-1"]
        var runs: [Run] = []
        func run(_ arguments: [String]) throws -> Run {
            let result = try reconcile(arguments, environment: environment)
            runs.append(result)
            return result
        }
        let plan = try run(["plan", "--root", stage.root, "--show-unchanged", stage.manifest])
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("sensitive content"), "\(plan.stdout)")
        _ = try run(["plan", "--json", "--root", stage.root, "--out", stage.path + "/plan.json", stage.manifest])
        _ = try run(["facts", "--root", stage.root, "--out", stage.path + "/facts.json", stage.manifest])
        let first = try run(["apply", "--auto-approve", "--log-level", "debug", "--root", stage.root, stage.manifest])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(stage.read("/etc/app/inline.key") == "\(Self.inline)-1\n")
        #expect(stage.read("/etc/app/file.key") == "\(Self.fromFile)-1\n")
        #expect(stage.read("/etc/app/env.key") == "\(Self.fromEnvironment)-1")

        // Every secret changes: the plan says so with hashes, the old ones are not backed up.
        try stage.writeManifest(Self.manifest(version: "2"))
        try stage.write("/etc/reconcile/secrets/app.key", "\(Self.fromFile)-2\n")
        let environment2 = ["APP_KEY": "\(Self.fromEnvironment)-2"]
        let update = try reconcile(["plan", "--root", stage.root, stage.manifest], environment: environment2)
        runs.append(update)
        #expect(update.stdout.contains("/etc/app/inline.key: sensitive content changed (sha256 "), "\(update.stdout)")
        #expect(update.stdout.contains("/etc/app/file.key: sensitive content changed (sha256 "), "\(update.stdout)")
        #expect(!update.stdout.contains("+++"), "no diff for sensitive files")
        let saved = stage.path + "/update.json"
        runs.append(try reconcile(["plan", "--root", stage.root, "--out", saved, stage.manifest], environment: environment2))
        // The saved plan holds no inline secret, so it cannot write one: refused before anything changes.
        let refused = try reconcile(["apply", "--auto-approve", "--root", stage.root, saved], environment: environment2)
        runs.append(refused)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("sensitive content written inline in the manifest is never kept in saved plans"), "\(refused.stderr)")
        #expect(stage.read("/etc/app/file.key") == "\(Self.fromFile)-1\n", "nothing was applied")
        let second = try reconcile(
            ["apply", "--auto-approve", "--log-level", "debug", "--root", stage.root, stage.manifest], environment: environment2)
        runs.append(second)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(stage.read("/etc/app/inline.key") == "\(Self.inline)-2\n")
        #expect(stage.read("/etc/app/file.key") == "\(Self.fromFile)-2\n")
        let converged = try reconcile(["plan", "--root", stage.root, "--detailed-exitcode", stage.manifest], environment: environment2)
        runs.append(converged)
        #expect(converged.status == 0, "\(converged.stdout)\(converged.stderr)")
        #expect(FileManager.default.fileExists(atPath: stage.root + "/var/lib/reconcile/journal.jsonl"))
        #expect(try leaks(in: stage, runs: runs) == [])
    }

    @Test func aSavedPlanReadsHostSecretsWhenApplied() throws {
        let stage = Stage()
        try stage.writeManifest("""
            kind: File
            name: file-key
            path: /etc/app/file.key
            content: {file: /etc/reconcile/secrets/app.key}
            """)
        try stage.write("/etc/reconcile/secrets/app.key", "\(Self.fromFile)\n")
        let saved = stage.path + "/plan.json"
        #expect(try reconcile(["plan", "--root", stage.root, "--out", saved, stage.manifest]).status == 0)
        let planText = try String(contentsOfFile: saved, encoding: .utf8)
        #expect(!planText.contains(Self.fromFile))
        #expect(planText.contains("\"contentFrom\""))
        let applied = try reconcile(["apply", "--auto-approve", "--root", stage.root, saved])
        #expect(applied.status == 0, "\(applied.stderr)")
        #expect(stage.read("/etc/app/file.key") == "\(Self.fromFile)\n")

        // The secret changed between plan and apply: the saved plan is stale, nothing is written.
        try stage.write("/etc/app/file.key", "old\n")
        #expect(try reconcile(["plan", "--root", stage.root, "--out", saved, stage.manifest]).status == 0)
        try stage.write("/etc/reconcile/secrets/app.key", "rotated\n")
        let stale = try reconcile(["apply", "--auto-approve", "--root", stage.root, saved])
        #expect(stale.status == 1)
        #expect(stale.stderr.contains("stale plan"), "\(stale.stderr)")
        #expect(stage.read("/etc/app/file.key") == "old\n")
    }

    @Test func aMissingSecretIsAPlanErrorAtItsLine() throws {
        let stage = Stage()
        try stage.writeManifest("kind: File\nname: k\npath: /etc/k\ncontent: {file: /etc/reconcile/secrets/missing}\n")
        let run = try reconcile(["plan", "--root", stage.root, stage.manifest])
        #expect(run.status == 1)
        #expect(run.stderr.contains("manifest.yaml:4:10: error: content: File/k: cannot read the content: file /etc/reconcile/secrets/missing does not exist"), "\(run.stderr)")
    }
}
