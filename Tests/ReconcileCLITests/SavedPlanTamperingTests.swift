import Foundation
import ReconcileCore
import Testing

/// A saved plan edited the way an attacker with write access to a CI artifact would: every edit is
/// refused with a message naming what differs, and the host is left exactly as it was.
@Suite struct SavedPlanTamperingTests {
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
        """

    /// Plans into a fresh stage, applies `edit` to the saved JSON and tries to apply it.
    private func applyEdited(_ edit: (inout [String: Any]) throws -> Void) throws -> (run: Run, stage: Stage) {
        let stage = Stage()
        try stage.writeManifest(Self.manifest)
        try stage.write("/etc/motd", "before\n")
        let planFile = stage.path + "/plan.json"
        #expect(try reconcile(["plan", "--root", stage.root, "--out", planFile, stage.manifest]).status == 0)
        let data = try Data(contentsOf: URL(fileURLWithPath: planFile))
        var document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        try edit(&document)
        try JSONSerialization.data(withJSONObject: document).write(to: URL(fileURLWithPath: planFile))
        let run = try reconcile(["apply", "--auto-approve", "--root", stage.root, planFile])
        return (run, stage)
    }

    private func expectRefused(_ outcome: (run: Run, stage: Stage), mentioning texts: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(outcome.run.status == 1, "\(outcome.run.stdout)\(outcome.run.stderr)", sourceLocation: sourceLocation)
        for text in texts {
            #expect(outcome.run.stderr.contains(text), "\(outcome.run.stderr)", sourceLocation: sourceLocation)
        }
        #expect(outcome.stage.read("/etc/motd") == "before\n", "nothing is applied", sourceLocation: sourceLocation)
        #expect(outcome.stage.read("/etc/app/app.conf") == nil, "nothing is applied", sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: outcome.stage.path + "/pwned"), sourceLocation: sourceLocation)
    }

    /// `changes[index].steps[step][key] = value`
    private static func setStep(_ document: inout [String: Any], change: Int, step: Int, _ key: String, _ value: Any) throws {
        var changes = try #require(document["changes"] as? [[String: Any]])
        var steps = try #require(changes[change]["steps"] as? [[String: Any]])
        steps[step][key] = value
        changes[change]["steps"] = steps
        document["changes"] = changes
    }

    private static func setChange(_ document: inout [String: Any], change: Int, _ key: String, _ value: Any) throws {
        var changes = try #require(document["changes"] as? [[String: Any]])
        changes[change][key] = value
        document["changes"] = changes
    }

    private static func desired(_ document: [String: Any], change: Int) throws -> [String: Any] {
        let changes = try #require(document["changes"] as? [[String: Any]])
        return try #require(changes[change]["desired"] as? [String: Any])
    }

    @Test func anAddedCommandIsRefusedWhateverItsSummarySays() throws {
        let stage = Stage()
        let outcome = try applyEdited { document in
            var changes = try #require(document["changes"] as? [[String: Any]])
            var steps = try #require(changes[0]["steps"] as? [[String: Any]])
            steps.append([
                "type": "command", "argv": ["/bin/sh", "-c", "touch \(stage.path)/../pwned"], "environment": [String: String](),
                "summary": "run systemctl daemon-reload",
            ])
            changes[0]["steps"] = steps
            document["changes"] = changes
        }
        expectRefused(outcome, mentioning: ["the saved plan is not what its own desired state plans to", "plan.changes[0].steps", "(resource File/motd)"])
        #expect(!outcome.run.stdout.contains("daemon-reload"), "the forged summary is never shown")
    }

    /// Not an attack, but refused the same way: a newer major version may mean something else by
    /// the same document, so the plan is made again by this version.
    @Test func aPlanFromANewerMajorVersionIsRefused() throws {
        let major = try #require(ReconcileVersion.major(of: ReconcileVersion.current))
        let outcome = try applyEdited { $0["reconcileVersion"] = "\(major + 1).0.0" }
        expectRefused(outcome, mentioning: [
            "cannot read plan: it was written by reconcile \(major + 1).0.0, a newer major version than this reconcile "
                + "(\(ReconcileVersion.current)); make the plan again with reconcile \(major).x",
        ])
    }

    @Test func anEditedStepPathIsRefused() throws {
        let outcome = try applyEdited { try Self.setStep(&$0, change: 0, step: 0, "path", "/etc/passwd") }
        expectRefused(outcome, mentioning: ["plan.changes[0].steps[0].path: saved \"/etc/passwd\", derived \"/etc/motd\""])
    }

    @Test func aStepPathEscapingTheRootIsRefused() throws {
        let outcome = try applyEdited { document in
            try Self.setStep(&document, change: 0, step: 0, "path", "/../../../../tmp/escaped")
            var desired = try Self.desired(document, change: 0)
            desired["path"] = "/../../../../tmp/escaped"
            try Self.setChange(&document, change: 0, "desired", desired)
        }
        expectRefused(outcome, mentioning: ["its desired state is not valid", "desired.path: must not contain \"..\" components"])
    }

    /// Adds `text` to the plan's contents, as the plan itself would; returns its reference.
    private static func addContent(_ document: inout [String: Any], _ text: String) throws -> String {
        var contents = try #require(document["contents"] as? [String: Any])
        let hex = Fingerprint.sha256(Data(text.utf8))
        contents[hex] = text
        document["contents"] = contents
        return "sha256:" + hex
    }

    @Test func contentWrittenInlineIsRefused() throws {
        let outcome = try applyEdited { try Self.setStep(&$0, change: 0, step: 0, "content", Data("evil\n".utf8).base64EncodedString()) }
        expectRefused(outcome, mentioning: [
            "plan.changes[0].steps[0].content (resource File/motd, step: write /etc/motd (mode 0644))", "not a sha256: reference",
        ])
    }

    @Test func aWriteOfOtherContentIsRefused() throws {
        let outcome = try applyEdited { document in
            try Self.setStep(&document, change: 0, step: 0, "content", try Self.addContent(&document, "evil\n"))
        }
        expectRefused(outcome, mentioning: ["plan.changes[0].steps[0].content: saved \"sha256:", "(resource File/motd)"])
    }

    @Test func editedContentUnderItsOldHashIsRefused() throws {
        let hex = Fingerprint.sha256(Data("managed\n".utf8))
        let outcome = try applyEdited { document in
            var contents = try #require(document["contents"] as? [String: Any])
            contents[hex] = "evil\n"
            document["contents"] = contents
        }
        expectRefused(outcome, mentioning: [
            "plan.contents[\"\(hex)\"] holds content whose sha256 is \(Fingerprint.sha256(Data("evil\n".utf8)))",
            "File/motd (write /etc/motd",
        ])
    }

    @Test func aMissingContentIsRefused() throws {
        let outcome = try applyEdited { document in
            var contents = try #require(document["contents"] as? [String: Any])
            contents[Fingerprint.sha256(Data("managed\n".utf8))] = nil
            document["contents"] = contents
        }
        expectRefused(outcome, mentioning: ["plan.changes[0].steps[0].content (resource File/motd", "that the plan's contents do not hold"])
    }

    @Test func anAddedContentIsRefused() throws {
        let outcome = try applyEdited { document in _ = try Self.addContent(&document, "unused\n") }
        expectRefused(outcome, mentioning: ["plan.contents.\(Fingerprint.sha256(Data("unused\n".utf8))) is in the saved plan but not in the derived one"])
    }

    @Test func anEditedDiffIsRefused() throws {
        let outcome = try applyEdited { try Self.setStep(&$0, change: 0, step: 0, "diff", "--- harmless\n") }
        expectRefused(outcome, mentioning: ["plan.changes[0].steps[0].diff"])
    }

    @Test func anEditedReasonIsRefused() throws {
        let outcome = try applyEdited { document in
            var changes = try #require(document["changes"] as? [[String: Any]])
            changes[0]["reasons"] = ["nothing to see here"]
            document["changes"] = changes
        }
        expectRefused(outcome, mentioning: ["plan.changes[0].reasons[0]"])
    }

    @Test func anEditedRiskIsRefused() throws {
        let outcome = try applyEdited { try Self.setChange(&$0, change: 0, "risk", "data-loss") }
        expectRefused(outcome, mentioning: ["summary counts do not match"])
        let both = try applyEdited { document in
            try Self.setChange(&document, change: 0, "risk", "restart")
            document["summary"] = ["create": 1, "update": 1, "replace": 0, "delete": 0, "no-op": 0, "risk": ["safe": 1, "restart": 1]]
        }
        expectRefused(both, mentioning: ["plan.changes[0].risk: saved \"restart\", derived \"safe\""])
    }

    @Test func editedCountsAreRefused() throws {
        let outcome = try applyEdited { document in
            var summary = try #require(document["summary"] as? [String: Any])
            summary["create"] = 0
            document["summary"] = summary
        }
        expectRefused(outcome, mentioning: ["its summary counts do not match its changes"])
    }

    @Test func anEditedDesiredStateIsRefused() throws {
        let outcome = try applyEdited { document in
            var desired = try Self.desired(document, change: 0)
            desired["content"] = try Self.addContent(&document, "evil\n")
            try Self.setChange(&document, change: 0, "desired", desired)
        }
        expectRefused(outcome, mentioning: ["plan.changes[0].reasons[0]"])
    }

    @Test func aDesiredStateNamingMissingContentIsRefused() throws {
        let outcome = try applyEdited { document in
            var desired = try Self.desired(document, change: 0)
            desired["content"] = "sha256:" + Fingerprint.sha256(Data("evil\n".utf8))
            try Self.setChange(&document, change: 0, "desired", desired)
        }
        expectRefused(outcome, mentioning: ["changes[0] (File/motd): desired state is not a File: content names content sha256:"])
    }

    @Test func aRemovedStepIsRefused() throws {
        let outcome = try applyEdited { try Self.setChange(&$0, change: 1, "steps", [Any]()) }
        expectRefused(outcome, mentioning: ["plan.changes[1].steps has 0 entries in the saved plan, 1 derived"])
    }

    @Test func aDesiredStateOfTheWrongShapeIsAnErrorNotATrap() throws {
        let outcome = try applyEdited { try Self.setChange(&$0, change: 0, "desired", ["path": 42]) }
        expectRefused(outcome, mentioning: ["desired state is not a File"])
    }

    @Test func anUntouchedPlanStillApplies() throws {
        let outcome = try applyEdited { _ in }
        #expect(outcome.run.status == 0, "\(outcome.run.stderr)")
        #expect(outcome.stage.read("/etc/motd") == "managed\n")
    }

    // MARK: signatures

    /// A fresh ed25519 key pair and an allowed_signers line for it.
    private func makeKey(_ stage: Stage, _ name: String) throws -> (key: String, allowed: String) {
        let key = "\(stage.path)/\(name)"
        let made = try ProcessRunner().run(Command(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", key]))
        #expect(made.status == 0, "\(made.stderrText)")
        let publicKey = try String(contentsOfFile: key + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return (key, "\(name)@example.org namespaces=\"reconcile-plan\" \(publicKey)\n")
    }

    private func signedPlan() throws -> (stage: Stage, plan: String, ci: (key: String, allowed: String), other: (key: String, allowed: String)) {
        let stage = Stage()
        try stage.writeManifest(Self.manifest)
        let ci = try makeKey(stage, "ci")
        let other = try makeKey(stage, "other")
        let plan = stage.path + "/plan.json"
        let run = try reconcile(["plan", "--root", stage.root, "--out", plan, "--sign-key", ci.key, stage.manifest])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: plan + ".sig"))
        return (stage, plan, ci, other)
    }

    private func apply(_ stage: Stage, _ plan: String, allowed: String, extra: [String] = []) throws -> Run {
        let file = stage.path + "/allowed_signers"
        try Data(allowed.utf8).write(to: URL(fileURLWithPath: file))
        return try reconcile(["apply", "--auto-approve", "--root", stage.root, "--allowed-signers", file] + extra + [plan])
    }

    @Test func aPlanSignedByAnAllowedKeyApplies() throws {
        let (stage, plan, ci, _) = try signedPlan()
        let run = try apply(stage, plan, allowed: ci.allowed)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(stage.read("/etc/motd") == "managed\n")
    }

    @Test func aPlanSignedByAnotherKeyIsRefused() throws {
        let (stage, plan, _, other) = try signedPlan()
        let run = try apply(stage, plan, allowed: other.allowed)
        #expect(run.status == 1)
        #expect(run.stderr.contains("is by no key in"), "\(run.stderr)")
        #expect(stage.read("/etc/motd") == nil)
    }

    @Test func anUnsignedPlanIsRefusedWhenSignersAreRequired() throws {
        let (stage, plan, ci, _) = try signedPlan()
        try FileManager.default.removeItem(atPath: plan + ".sig")
        let run = try apply(stage, plan, allowed: ci.allowed)
        #expect(run.status == 1)
        #expect(run.stderr.contains("the plan is not signed"), "\(run.stderr)")
        #expect(stage.read("/etc/motd") == nil)
    }

    @Test func aPlanEditedAfterSigningIsRefused() throws {
        let (stage, plan, ci, _) = try signedPlan()
        var text = try String(contentsOfFile: plan, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"createdAt\":\"", with: "\"createdAt\":\"1")
        try Data(text.utf8).write(to: URL(fileURLWithPath: plan))
        let run = try apply(stage, plan, allowed: ci.allowed)
        #expect(run.status == 1)
        #expect(run.stderr.contains("does not verify"), "\(run.stderr)")
        #expect(stage.read("/etc/motd") == nil)
    }

    @Test func aSignatureForAnotherNamespaceIsRefused() throws {
        let (stage, plan, ci, _) = try signedPlan()
        let signed = try ProcessRunner().run(Command(
            ["ssh-keygen", "-Y", "sign", "-f", ci.key, "-n", "git"], standardInput: try Data(contentsOf: URL(fileURLWithPath: plan))))
        try signed.stdout.write(to: URL(fileURLWithPath: plan + ".sig"))
        let run = try apply(stage, plan, allowed: ci.allowed.replacingOccurrences(of: "reconcile-plan", with: "reconcile-plan,git"))
        #expect(run.status == 1)
        #expect(run.stderr.contains("does not verify"), "\(run.stderr)")
    }

    // MARK: terminal output

    @Test func controlCharactersFromContentAndPlansNeverReachTheTerminalRaw() throws {
        let stage = Stage()
        try stage.writeManifest("kind: File\nname: motd\npath: /etc/motd\ncontent: \"fine\\n\\e[2J\\rforged line\\n\"\n")
        let plan = try reconcile(["plan", "--root", stage.root, "--out", stage.path + "/plan.json", stage.manifest])
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(!plan.stdout.contains("\u{1B}") && !plan.stdout.contains("\r"), "\(plan.stdout)")
        #expect(plan.stdout.contains("+\\e[2J\\rforged line"), "\(plan.stdout)")
        let shown = try reconcile(["show", stage.path + "/plan.json"])
        #expect(!shown.stdout.contains("\u{1B}") && shown.stdout.contains("\\e[2J"), "\(shown.stdout)")
        // JSON stays exact.
        let json = try reconcile(["plan", "--json", "--root", stage.root, stage.manifest])
        #expect(json.stdout.contains("\\u001b[2J\\rforged line"), "\(json.stdout)")
    }
}
