import Foundation
import ReconcileCore
import Testing

/// Shell completion: the binary's `---completion` entry point (what the generated scripts call)
/// and bash itself running the generated script.
@Suite struct CompletionTests {
    /// Two capture proxies, a file, and a file whose content is secret.
    static let manifest = ["app", "db"].enumerated().map { index, name in
        "{kind: CaptureProxy, name: \(name), socket: /run/\(name).sock, proxy: /run/\(name).sock.proxy, port: \(9000 + index), "
            + "pcap: /var/lib/reconcile/capture/\(name).pcap}\n---\n"
    }.joined() + """
        {kind: File, name: motd, path: /etc/motd, content: "managed"}
        ---
        kind: File
        name: key
        path: /etc/key
        content: "hunter2-secret"
        sensitive: true
        """

    /// A stage whose inventory records File/old-banner (applied, then no longer declared).
    func stageWithInventory() throws -> Stage {
        let stage = Stage()
        try stage.writeManifest("kind: File\nname: old-banner\npath: /etc/banner\ncontent: \"hello\\n\"\n")
        let apply = try reconcile(["apply", "--auto-approve", "--root", stage.root, stage.manifest])
        try #require(apply.status == 0, "\(apply.stderr)")
        try stage.writeManifest(Self.manifest)
        return stage
    }

    /// `reconcile ---completion SUBCOMMAND -- ARGUMENT INDEX CURSOR WORDS…`, as the scripts call it;
    /// the word completed is the last one unless `at` says which, with the cursor at its end.
    func complete(_ subcommand: String, _ argument: String, _ words: [String], at index: Int? = nil) throws -> Run {
        let index = index ?? words.count - 1
        return try reconcile(["---completion", subcommand, "--", argument, "\(index)", "\(words[index].count)"] + words)
    }

    func lines(_ run: Run) -> [String] { run.stdout.split(separator: "\n").map(String.init) }

    @Test func targetsCompleteFromTheManifestsAndTheInventory() throws {
        let stage = try stageWithInventory()
        let all = try complete("plan", "--target", ["reconcile", "plan", "--root", stage.root, stage.manifest, "--target", ""])
        #expect(all.status == 0 && all.stderr.isEmpty, "\(all.stderr)")
        #expect(lines(all) == ["CaptureProxy/app", "CaptureProxy/db", "File/key", "File/motd", "File/old-banner"])
        #expect(!all.stdout.contains("hunter2"), "addresses only, never a value")
        let files = try complete("apply", "--target", ["reconcile", "apply", "--root", stage.root, "--target", "File/", stage.manifest], at: 5)
        #expect(lines(files) == ["File/key", "File/motd", "File/old-banner"], "\(files.stdout)")
        // Before any manifest is typed: the inventory of the --root given.
        let early = try complete("plan", "--target", ["reconcile", "plan", "--root", stage.root, "--target", ""])
        #expect(lines(early) == ["File/old-banner"], "\(early.stdout)")
    }

    @Test func forgetCompletesTheInventorysAddresses() throws {
        let stage = try stageWithInventory()
        let run = try complete("forget", "positional@0", ["reconcile", "forget", "--root", stage.root, "F"])
        #expect(lines(run) == ["File/old-banner"], "\(run.stdout)")
    }

    @Test func captureCompletesTheProxiesNames() throws {
        let stage = Stage()
        try stage.writeManifest(Self.manifest)
        let run = try complete("capture", "positional@0", ["reconcile", "capture", "", stage.manifest], at: 2)
        #expect(lines(run) == ["app", "db"], "\(run.stdout)")
        #expect(lines(try complete("capture", "positional@0", ["reconcile", "capture", "d", stage.manifest], at: 2)) == ["db"])
    }

    @Test func explainCompletesKindsAndKeys() throws {
        let kinds = try complete("explain", "positional@0", ["reconcile", "explain", ""])
        #expect(lines(kinds).contains("LogicalVolume") && lines(kinds).contains("CaptureProxy") && lines(kinds).contains("Values"), "\(kinds.stdout)")
        let keys = try complete("explain", "positional@1", ["reconcile", "explain", "LogicalVolume", "cache."])
        #expect(lines(keys) == ["cache.device", "cache.mode", "cache.name", "cache.size"], "\(keys.stdout)")
    }

    /// Completion runs on every TAB: broken input gives fewer candidates, never a message, and
    /// nothing is written (no lock, no state folder, no inventory change).
    @Test func brokenInputIsSilentAndNothingIsWritten() throws {
        let stage = Stage()
        try stage.writeManifest("kind: File\nname: [broken\n")
        let broken = try complete("plan", "--target", ["reconcile", "plan", "--root", stage.root, stage.manifest, "--target", ""])
        #expect(broken.status == 0 && broken.stdout.isEmpty && broken.stderr.isEmpty, "\(broken)")
        let missing = try complete("capture", "positional@0", ["reconcile", "capture", "", stage.path + "/nonexistent"], at: 2)
        #expect(missing.stdout.isEmpty && missing.stderr.isEmpty, "\(missing)")
        let malformed = try reconcile(["---completion", "nosuchcommand", "--", "x"])
        #expect(malformed.status != 0 && malformed.stdout.isEmpty && malformed.stderr.isEmpty, "\(malformed)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: stage.root).isEmpty, "completion wrote under the root")
    }

    /// What a TAB in bash does: the generated script's function, with COMP_WORDS set as bash sets them.
    @Test func theGeneratedBashScriptCompletes() throws {
        let stage = try stageWithInventory()
        let script = try reconcile(["--generate-completion-script", "bash"])
        try #require(script.status == 0)
        let scriptPath = stage.path + "/reconcile.bash"
        try Data(script.stdout.utf8).write(to: URL(fileURLWithPath: scriptPath))
        func bashComplete(_ line: String, in directory: String = "/") throws -> [String] {
            let program = """
                source "$1"
                cd "$4"
                COMP_LINE="$2"; COMP_POINT=${#COMP_LINE}
                read -ra COMP_WORDS <<< "$COMP_LINE"
                COMP_WORDS[0]="$3"
                [[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")
                COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
                COMPREPLY=()
                _reconcile reconcile "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
                printf '%s\\n' "${COMPREPLY[@]}"
                """
            let result = try ProcessRunner().run(Command(["bash", "-c", program, "bash", scriptPath, line, binaryPath, directory]))
            try #require(result.status == 0, "\(result.stderrText)")
            return result.stdoutText.split(separator: "\n").map(String.init)
        }
        #expect(try bashComplete("reconcile plan --root \(stage.root) \(stage.manifest) --target ") == [
            "CaptureProxy/app", "CaptureProxy/db", "File/key", "File/motd", "File/old-banner",
        ])
        #expect(try bashComplete("reconcile plan --root \(stage.root) \(stage.manifest) --target Cap") == ["CaptureProxy/app", "CaptureProxy/db"])
        #expect(try bashComplete("reconcile forget --root \(stage.root) ") == ["File/old-banner"])
        #expect(try bashComplete("reconcile capture ", in: stage.path) == ["app", "db"], "capture reads the current directory by default")
        #expect(try bashComplete("reconcile explain Logical") == ["LogicalVolume"])
        #expect(try bashComplete("reconcile explain LogicalVolume cache.m") == ["cache.mode"])
    }
}
