import Foundation
import ReconcileCore
import Testing

/// The built binary against temp roots: what an operator or a pipeline sees.
@Suite struct BinaryTests {
    static let manifest = """
        kind: File
        name: motd
        path: /etc/motd
        content: "managed\\n"
        mode: "0644"
        ---
        kind: File
        name: app-conf
        path: /etc/app/app.conf
        content: "port = 8080\\n"
        ---
        kind: SystemdUnit
        name: app.service
        content: |
          [Service]
          ExecStart=/bin/sleep infinity
          [Install]
          WantedBy=multi-user.target
        enabled: true
        restartOn: [File/app-conf]
        """

    @Test func applyConvergesAndTheSecondPlanIsEmpty() throws {
        let stage = Stage()
        try stage.writeManifest(Self.manifest)
        let first = try reconcile(["plan", "--root", stage.root, "--detailed-exitcode", stage.manifest])
        #expect(first.status == 2)
        #expect(first.stdout.contains("Plan: 3 to create, 0 to update, 0 to replace, 0 to delete, 0 unchanged."))
        let apply = try reconcile(["apply", "--auto-approve", "--root", stage.root, stage.manifest])
        #expect(apply.status == 0, "\(apply.stderr)")
        #expect(apply.stdout.contains("Apply complete: 3 resources changed."))
        #expect(stage.read("/etc/app/app.conf") == "port = 8080\n")
        // systemctl --root links to the unit's path as the host will see it.
        let link = try? FileManager.default.destinationOfSymbolicLink(
            atPath: stage.root + "/etc/systemd/system/multi-user.target.wants/app.service")
        #expect(link == "/etc/systemd/system/app.service")
        let second = try reconcile(["plan", "--root", stage.root, "--detailed-exitcode", stage.manifest])
        #expect(second.status == 0)
        #expect(second.stdout.contains("No changes. 3 resources match their manifests."))
        let again = try reconcile(["apply", "--root", stage.root, "--detailed-exitcode", stage.manifest])
        #expect(again.status == 0, "no changes needs no approval")
    }

    /// `arguments` with stdout and stderr to pipes; `closed` of them has no reader (a pipe into
    /// `head` that has exited): (how it ended, its status, what the open one said).
    func runWithoutReader(_ arguments: [String], closed: Set<Int32>) throws -> (signalled: Bool, status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binaryPath)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        for (descriptor, pipe) in [(Int32(1), out), (2, err)] where closed.contains(descriptor) {
            try pipe.fileHandleForReading.close()
        }
        try process.run()
        let open = closed.contains(1) ? err : out
        let output = closed.count == 2 ? Data() : open.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationReason == .uncaughtSignal, process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// Output nobody reads is lost, never a trap, and never an apply stopped halfway.
    @Test func outputWithoutAReaderNeitherTrapsNorStopsAnApply() throws {
        let stage = Stage()
        try stage.writeManifest(Self.manifest)
        let validate = try runWithoutReader(["validate", stage.manifest], closed: [1, 2])
        #expect(!validate.signalled && validate.status == 0)
        // The apply's progress goes to stderr: with nobody reading it, the apply still finishes.
        let apply = try runWithoutReader(["apply", "--auto-approve", "--root", stage.root, stage.manifest], closed: [2])
        #expect(!apply.signalled && apply.status == 0, "\(apply.output)")
        #expect(apply.output.contains("Apply complete: 3 resources changed."))
        #expect(stage.read("/etc/app/app.conf") == "port = 8080\n")
        // A plan's output is what it is for: losing it is an error, said on stderr.
        let plan = try runWithoutReader(["plan", "--root", stage.root, stage.manifest], closed: [1])
        #expect(!plan.signalled && plan.status == 1)
        #expect(plan.output.contains("write standard output: Broken pipe"), "\(plan.output)")
    }

    @Test func applyWithoutATerminalNeedsAutoApprove() throws {
        let stage = Stage()
        try stage.writeManifest(Self.manifest)
        let run = try reconcile(["apply", "--root", stage.root, stage.manifest])
        #expect(run.status == 1)
        #expect(run.stderr.contains("refusing to apply without confirmation: not a terminal; pass --auto-approve"))
        #expect(stage.read("/etc/motd") == nil)
    }

    @Test func savedPlanAppliesOnlyWhileTheHostMatches() throws {
        let stage = Stage()
        try stage.writeManifest(Self.manifest)
        try stage.write("/etc/motd", "before\n")
        let planFile = stage.path + "/plan.json"
        #expect(try reconcile(["plan", "--root", stage.root, "--out", planFile, stage.manifest]).status == 0)
        try stage.write("/etc/motd", "edited by hand\n")
        let stale = try reconcile(["apply", "--auto-approve", "--root", stage.root, planFile])
        #expect(stale.status == 1)
        #expect(stale.stderr.contains("stale plan"))
        #expect(stale.stderr.contains("File/motd changed since the plan was made"))
        #expect(stage.read("/etc/motd") == "edited by hand\n")
        #expect(stage.read("/etc/app/app.conf") == nil, "nothing at all is applied from a stale plan")

        #expect(try reconcile(["plan", "--root", stage.root, "--out", planFile, stage.manifest]).status == 0)
        let fresh = try reconcile(["apply", "--auto-approve", "--root", stage.root, planFile])
        #expect(fresh.status == 0, "\(fresh.stderr)")
        #expect(try reconcile(["plan", "--root", stage.root, "--detailed-exitcode", stage.manifest]).status == 0)
    }

    @Test func savedPlanForAnotherRootIsRefused() throws {
        let stage = Stage()
        try stage.writeManifest(Self.manifest)
        let planFile = stage.path + "/plan.json"
        #expect(try reconcile(["plan", "--root", stage.root, "--out", planFile, stage.manifest]).status == 0)
        let other = Stage()
        let run = try reconcile(["apply", "--auto-approve", "--root", other.root, planFile])
        #expect(run.status == 1)
        #expect(run.stderr.contains("the plan was made for root \(stage.root)"))
    }

    @Test func aHeldLockIsNamedAndWaitedFor() throws {
        let stage = Stage()
        try stage.writeManifest(Self.manifest)
        let state = StateDirectory(stage.root + "/var/lib/reconcile")
        let held = LockHolder(try ApplyLock.acquire(state, holder: "pid 4242 (reconcile apply) on host test"))
        let refused = try reconcile(["apply", "--auto-approve", "--root", stage.root, stage.manifest])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("another apply holds the lock"))
        #expect(refused.stderr.contains("pid 4242 (reconcile apply) on host test"))
        #expect(stage.read("/etc/motd") == nil)
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.5) { held.release() }
        let waited = try reconcile(["apply", "--auto-approve", "--lock-timeout", "20", "--root", stage.root, stage.manifest])
        #expect(waited.status == 0, "\(waited.stderr)")
        #expect(held.isReleased)
    }

    @Test func twoAppliesAtOnceNeitherCorruptsAnything() throws {
        let stage = Stage()
        let count = 300
        try stage.writeManifest((0..<count).map {
            "kind: File\nname: f\($0)\npath: /srv/f\($0)\ncontent: \"file \($0)\\n\"\n"
        }.joined(separator: "---\n"))
        let arguments = ["apply", "--auto-approve", "--detailed-exitcode", "--root", stage.root, stage.manifest]
        let results = ResultBox()
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            results.append(try? reconcile(arguments))
        }
        let runs = results.values
        #expect(runs.count == 2)
        // One applies (2); the other is refused by the lock (1) or, if it came second, finds nothing to do (0).
        #expect(runs.filter { $0.status == 2 }.count == 1, "\(runs.map(\.stderr))")
        for run in runs where run.status == 1 {
            #expect(run.stderr.contains("another apply holds the lock"))
        }
        for index in 0..<count {
            #expect(stage.read("/srv/f\(index)") == "file \(index)\n")
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: stage.root + "/srv").filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty)
        #expect(try reconcile(["plan", "--root", stage.root, "--detailed-exitcode", stage.manifest]).status == 0)
    }

    @Test func validateReportsEveryErrorAndExitsOne() throws {
        let stage = Stage()
        try stage.writeManifest("kind: File\nname: a\npath: a\ncontent: x\nmod: \"0644\"\n")
        let run = try reconcile(["validate", stage.manifest])
        #expect(run.status == 1)
        #expect(run.stderr.contains("\(stage.manifest):3:7: error: path: must be an absolute path"))
        #expect(run.stderr.contains("\(stage.manifest):5:1: error: mod: unknown key; did you mean \"mode\"?"))
        #expect(run.stderr.hasSuffix("2 errors, 0 warnings\n"))
        try stage.writeManifest(Self.manifest)
        let good = try reconcile(["validate", "--host", "test-host", stage.manifest])
        #expect(good.status == 0)
        #expect(good.stdout == "3 resources in 1 files: valid for host test-host.\n")
    }

    @Test func planWithManifestErrorsChangesNothingAndExitsOne() throws {
        let stage = Stage()
        try stage.writeManifest(Self.manifest + "\n---\nkind: File\nname: broken\npath: /x\n")
        let run = try reconcile(["apply", "--auto-approve", "--root", stage.root, stage.manifest])
        #expect(run.status == 1)
        #expect(stage.read("/etc/motd") == nil)
    }

    @Test func noColourWhenPipedOrAsked() throws {
        let stage = Stage()
        try stage.writeManifest(Self.manifest)
        let piped = try reconcile(["plan", "--root", stage.root, stage.manifest])
        #expect(!piped.stdout.contains("\u{1B}["))
        let asked = try reconcile(["plan", "--root", stage.root, stage.manifest], environment: ["NO_COLOR": "1"])
        #expect(!asked.stdout.contains("\u{1B}["))
    }

    @Test func factsThenPlanFromFactsAgreesWithLivePlan() throws {
        let stage = Stage()
        try stage.writeManifest(Self.manifest)
        try stage.write("/etc/motd", "old\n")
        let factsFile = stage.path + "/facts.json"
        #expect(try reconcile(["facts", "--root", stage.root, "--host", "web1", "--out", factsFile, stage.manifest]).status == 0)
        let fromFacts = try reconcile(["plan", "--json", "--facts", factsFile, stage.manifest])
        let live = try reconcile(["plan", "--json", "--root", stage.root, stage.manifest])
        let factsPlan = try Plan.load(from: Data(fromFacts.stdout.utf8), path: "facts-plan.json")
        let livePlan = try Plan.load(from: Data(live.stdout.utf8), path: "live-plan.json")
        #expect(factsPlan.source == .facts)
        #expect(factsPlan.host == "web1")
        #expect(factsPlan.changes.map(\.action) == livePlan.changes.map(\.action))
        #expect(factsPlan.changes.map(\.fingerprint) == livePlan.changes.map(\.fingerprint))
        #expect(factsPlan.changes.map(\.steps) == livePlan.changes.map(\.steps))
    }

    @Test func missingFactsForAResourceIsAClearError() throws {
        let stage = Stage()
        try stage.writeManifest(Self.manifest)
        let factsFile = stage.path + "/facts.json"
        try Data(#"{"formatVersion":1,"host":"h","root":"/","probedAt":"2026-01-01T00:00:00Z","resources":{}}"#.utf8)
            .write(to: URL(fileURLWithPath: factsFile))
        let run = try reconcile(["plan", "--facts", factsFile, stage.manifest])
        #expect(run.status == 1)
        #expect(run.stderr.contains("no facts for File/motd; run `reconcile facts` on h with these manifests"))
    }

    @Test func helpAndVersion() throws {
        #expect(try reconcile(["--version"]).stdout == ReconcileVersion.current + "\n")
        let help = try reconcile(["plan", "--help"])
        #expect(help.stdout.contains("--facts <PATH>"))
        #expect(help.stdout.contains("--label <KEY=VALUE>"))
        #expect(help.stdout.contains("--detailed-exitcode"))
        let completion = try reconcile(["--generate-completion-script", "bash"])
        #expect(completion.status == 0)
        #expect(completion.stdout.contains("_reconcile"))
        let missing = try reconcile(["plan", "/nonexistent/manifests"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("/nonexistent/manifests"))
    }
}

private final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Run] = []
    func append(_ run: Run?) { if let run { lock.withLock { stored.append(run) } } }
    var values: [Run] { lock.withLock { stored } }
}

/// Lets another thread drop the lock while the binary waits for it.
private final class LockHolder: @unchecked Sendable {
    private let guardian = NSLock()
    private var lock: ApplyLock?
    init(_ lock: ApplyLock) { self.lock = lock }
    func release() { guardian.withLock { lock = nil } }
    var isReleased: Bool { guardian.withLock { lock == nil } }
}

/// A real pseudo-terminal through util-linux `script`, to see the confirmation prompt as an operator does.
@Suite struct TerminalTests {
    func inTerminal(_ arguments: [String], typing input: String) throws -> Run {
        let command = ([binaryPath] + arguments).map(ShellQuote.quote).joined(separator: " ")
        let result = try ProcessRunner().run(Command(
            ["script", "--quiet", "--return", "--command", command, "/dev/null"],
            environment: ["TERM": "xterm", "NO_COLOR": ""], standardInput: Data(input.utf8)))
        return Run(status: result.status, stdout: result.stdoutText, stderr: result.stderrText)
    }

    @Test func onATerminalApplyAsksAndOnlyYesProceeds() throws {
        let stage = Stage()
        try stage.writeManifest(BinaryTests.manifest)
        let declined = try inTerminal(["apply", "--root", stage.root, stage.manifest], typing: "y\n")
        #expect(declined.stdout.contains("Only 'yes' is accepted:"))
        #expect(declined.stdout.contains("Apply cancelled; nothing changed."))
        #expect(declined.status == 1)
        #expect(stage.read("/etc/motd") == nil)
        let accepted = try inTerminal(["apply", "--root", stage.root, stage.manifest], typing: "yes\n")
        #expect(accepted.status == 0, "\(accepted.stdout)")
        #expect(accepted.stdout.contains("\u{1B}["), "colour on a terminal")
        #expect(stage.read("/etc/motd") == "managed\n")
    }

    /// A unit a package ships (its file in /lib/systemd/system): enabled by systemctl --root,
    /// its file never written or owned.
    @Test func aPackagesUnitIsEnabledInAStagedRootWithoutWritingItsFile() throws {
        let stage = Stage()
        try stage.writeManifest("kind: SystemdUnit\nname: pkg-demo.service\nenabled: true\nactive: true\n")
        let missing = try reconcile(["plan", "--root", stage.root, stage.manifest])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("pkg-demo.service does not exist on this host (no unit file for it under"), "\(missing.stderr)")
        try stage.write("/lib/systemd/system/pkg-demo.service", "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n")
        let apply = try reconcile(["apply", "--auto-approve", "--root", stage.root, stage.manifest])
        #expect(apply.status == 0, "\(apply.stdout)\(apply.stderr)")
        #expect(apply.stdout.contains("warning: active: is not managed under --root"), "\(apply.stdout)")
        let link = try? FileManager.default.destinationOfSymbolicLink(
            atPath: stage.root + "/etc/systemd/system/multi-user.target.wants/pkg-demo.service")
        #expect(link == "/lib/systemd/system/pkg-demo.service")
        #expect(stage.read("/etc/systemd/system/pkg-demo.service") == nil, "the package's file is not copied or owned")
        #expect(try reconcile(["plan", "--root", stage.root, "--detailed-exitcode", stage.manifest]).status == 0)
    }

    @Test func aMistypedCommandNamesTheCommandMeant() throws {
        let run = try reconcile(["plna", "manifests/"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("error: unknown command \"plna\"; did you mean \"plan\"?"), "\(run.stderr)")
        #expect(try reconcile(["help"]).status == 0)
    }

    /// An empty plan from an empty selection must not pass for a converged host.
    @Test func anEmptySelectionWarns() throws {
        let stage = Stage()
        try stage.writeManifest("kind: File\nname: a\npath: /a\ncontent: x\nhosts: [elsewhere.example.org]\n")
        // Nothing to change is the truth, so --detailed-exitcode stays 0; the warning says why.
        for extra in [[], ["--detailed-exitcode"]] {
            let run = try reconcile(["plan", "--root", stage.root, "--host", "mx1.example.org"] + extra + [stage.manifest])
            #expect(run.status == 0, "\(extra)")
            #expect(run.stderr.contains("warning: none of the 1 resources in \(stage.manifest) is for host mx1.example.org (no labels)"), "\(run.stderr)")
        }
        let validate = try reconcile(["validate", "--root", stage.root, "--host", "mx1.example.org", stage.manifest])
        #expect(validate.status == 0 && validate.stderr.contains("warning: none of the 1 resources"), "\(validate.stderr)")
        #expect(validate.stdout.contains("1 of them do not apply to this host"), "\(validate.stdout)")
        try FileManager.default.createDirectory(atPath: stage.path + "/none", withIntermediateDirectories: true)
        let empty = try reconcile(["plan", "--root", stage.root, "--detailed-exitcode", stage.path + "/none"])
        #expect(empty.status == 0)
        #expect(empty.stderr.contains("warning: no resources in \(stage.path)/none: no *.yaml or *.yml document declares one"), "\(empty.stderr)")
        let applied = try reconcile(["apply", "--auto-approve", "--root", stage.root, stage.path + "/none"])
        #expect(applied.status == 0 && applied.stderr.contains("warning: no resources in"), "\(applied.stderr)")
        #expect(try filesOutsideTheStateFolder(stage).isEmpty, "an empty selection changes nothing")
    }

    /// Every mistake of a manifest at once, each located with its key path, and nothing applied.
    @Test func commonMistakesAreAllReportedAndNothingChanges() throws {
        let stage = Stage()
        let onion = "tdgbhiqjnq7osklj6k7e4y37xhx6ytznp7ozqc2qxoqfhxfg3c5ygsid.onion"
        try stage.writeManifest("""
            kind: LogicalVolume
            name: storage/data
            size: 100GB
            ---
            kind: LogicalVolume
            name: storage/more
            size: +200G
            ---
            kind: OnionRelay
            name: mx
            entries:
              example.org: \(onion.dropLast(7))e.onion
            ---
            {kind: File, name: a, path: /a, content: &shared "x"}
            ---
            {kind: File, name: b, content: *shared, path: /b}
            ---
            kind: File
            name: c
            path: /c
            source: files/missing.txt
            """)
        let manifest = stage.manifest
        let validate = try reconcile(["validate", "--root", stage.root, manifest])
        #expect(validate.status == 1)
        for expected in [
            "\(manifest):3:7: error: size: \"100GB\" is not a size", "did you mean \"100G\"?",
            "\(manifest):7:7: error: size: \"+200G\" is not a size", "e.g. size: 300G for a 100G LV grown by 200G",
            "\(manifest):12:16: error: entries.example.org: ", "ends in \"e\" where every v3 address ends in \"d\" (a typo?)",
            "\(manifest):16:32: error: undefined alias *shared: &shared is defined in an earlier document (line 14, column 42), and anchors end at `---`",
            "\(manifest):21:9: error: source: cannot read \(stage.path)/files/missing.txt (relative to the manifest's folder): No such file or directory",
        ] {
            #expect(validate.stderr.contains(expected), "\(expected)\n\(validate.stderr)")
        }
        let apply = try reconcile(["apply", "--auto-approve", "--root", stage.root, manifest])
        #expect(apply.status == 1)
        #expect(try filesOutsideTheStateFolder(stage).isEmpty, "nothing on the host changes")
    }

    /// What is under the stage's root besides reconcile's own state (apply takes its lock first).
    func filesOutsideTheStateFolder(_ stage: Stage) throws -> [String] {
        let state = "var/lib/reconcile"
        return try FileManager.default.subpathsOfDirectory(atPath: stage.root)
            .filter { !state.hasPrefix($0) && !$0.hasPrefix(state + "/") }
    }
}
