import Foundation
import ReconcileCore
import Testing

/// The inventory's commands and exit codes as a pipeline sees them: the built binary on a staged root.
@Suite struct InventoryCLITests {
    static let twoFiles = "kind: File\nname: a\npath: /etc/a\ncontent: \"a\\n\"\n---\nkind: File\nname: b\npath: /etc/b\ncontent: \"b\\n\"\n"
    static let onlyA = "kind: File\nname: a\npath: /etc/a\ncontent: \"a\\n\"\n"

    func applied(_ manifest: String) throws -> Stage {
        let stage = Stage()
        try stage.writeManifest(manifest)
        let apply = try reconcile(["apply", "--auto-approve", "--root", stage.root, stage.manifest])
        #expect(apply.status == 0, "\(apply.stderr)")
        return stage
    }

    @Test func driftExitcodeTellsDriftFromManifestChanges() throws {
        let stage = try applied(Self.twoFiles)
        func status(_ extra: String...) throws -> Int32 {
            try reconcile(["plan", "--root", stage.root, stage.manifest] + extra).status
        }
        #expect(try status("--drift-exitcode") == 0)
        try stage.writeManifest(Self.twoFiles.replacingOccurrences(of: "content: \"b\\n\"", with: "content: \"B\\n\""))
        #expect(try status("--drift-exitcode") == 2, "a manifest change alone")
        try stage.write("/etc/a", "edited\n")
        #expect(try status("--drift-exitcode") == 3, "drift, with a manifest change beside it")
        #expect(try status("--detailed-exitcode") == 2, "--detailed-exitcode keeps its codes")
        let text = try reconcile(["plan", "--root", stage.root, stage.manifest])
        #expect(text.stdout.contains("~   File/a  update (changed outside reconcile)"))
        #expect(text.stdout.contains("Of these: 1 changed outside reconcile (drift), 0 no longer declared."))
    }

    @Test func forgetDropsAnEntryWithoutTouchingTheHost() throws {
        let stage = try applied(Self.twoFiles)
        try stage.writeManifest(Self.onlyA)
        let unknown = try reconcile(["forget", "--root", stage.root, "File/bb", "File/b"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("File/bb is not in the inventory; did you mean \"File/b\"?"), "\(unknown.stderr)")
        #expect(unknown.stderr.contains("nothing was forgotten"))
        #expect(try reconcile(["plan", "--detailed-exitcode", "--root", stage.root, stage.manifest]).status == 2)
        let forgot = try reconcile(["forget", "--root", stage.root, "File/b"])
        #expect(forgot.status == 0 && forgot.stdout == "forgot File/b (the host is unchanged)\n", "\(forgot.stderr)")
        #expect(try reconcile(["plan", "--detailed-exitcode", "--root", stage.root, stage.manifest]).status == 0)
        #expect(stage.read("/etc/b") == "b\n")
    }

    @Test func historyListsAppliesAndShowsOneWithItsSteps() throws {
        let stage = try applied(Self.twoFiles)
        try stage.writeManifest(Self.onlyA)
        let saved = stage.path + "/plan.json"
        #expect(try reconcile(["plan", "--root", stage.root, "--out", saved, stage.manifest]).status == 0)
        let removal = try reconcile(["apply", "--auto-approve", "--root", stage.root, saved], environment: ["SUDO_USER": "alice"])
        #expect(removal.status == 0, "\(removal.stderr)")
        let list = try reconcile(["history", "--root", stage.root])
        let lines = list.stdout.split(separator: "\n")
        #expect(lines.count == 3 && lines[0].hasPrefix("APPLY"), "\(list.stdout)")
        #expect(lines[1].contains("complete") && lines[1].contains("1 delete; 1 disruptive") && lines[1].contains("alice via sudo as root"))
        #expect(lines[2].contains("2 create; 2 safe"))
        let id = String(lines[1].prefix { $0 != " " })
        let shown = try reconcile(["history", "--root", stage.root, id])
        #expect(shown.stdout.contains("from:     saved plan \(saved)"), "\(shown.stdout)")
        #expect(shown.stdout.contains("step-done  File/b: remove /etc/b"))
        let missing = try reconcile(["history", "--root", stage.root, "20200101T000000-1"])
        #expect(missing.status == 1 && missing.stderr.contains("no apply 20200101T000000-1"))
    }

    @Test func aTargetNamingNothingIsAnErrorWithSuggestionsAndNothingChanges() throws {
        let stage = Stage()
        try stage.writeManifest(Self.twoFiles)
        let wrong = try reconcile(["apply", "--auto-approve", "--target", "File/c", "--root", stage.root, stage.manifest])
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("--target File/c names no resource of this host; did you mean File/a?"), "\(wrong.stderr)")
        #expect(stage.read("/etc/a") == nil && stage.read("/etc/b") == nil)
        let targeted = try reconcile(["apply", "--auto-approve", "--target", "File/b", "--root", stage.root, stage.manifest])
        #expect(targeted.status == 0 && targeted.stdout.contains("Targets: File/b; left out: 1 resource (File/a)"), "\(targeted.stdout)")
        #expect(stage.read("/etc/a") == nil && stage.read("/etc/b") == "b\n")
        let saved = stage.path + "/plan.json"
        _ = try reconcile(["plan", "--root", stage.root, "--out", saved, stage.manifest])
        let mixed = try reconcile(["apply", "--auto-approve", "--target", "File/a", "--root", stage.root, saved])
        #expect(mixed.status != 0 && mixed.stderr.contains("a saved plan keeps the --target"), "\(mixed.stderr)")
    }

    @Test func metricsFileIsWrittenForAPlanAndForAFailedOne() throws {
        let stage = try applied(Self.twoFiles)
        try stage.write("/etc/a", "edited\n")
        let metrics = stage.path + "/reconcile.prom"
        _ = try reconcile(["plan", "--metrics-file", metrics, "--root", stage.root, stage.manifest])
        let text = try String(contentsOfFile: metrics, encoding: .utf8)
        #expect(text.contains("reconcile_drifted_resources{host=\""), "\(text)")
        #expect(text.contains("state=\"drifted\"} 1") && text.contains("state=\"in_sync\"} 1"))
        #expect(text.contains("reconcile_last_apply_success{host=") && text.contains("reconcile_plan_success{host=") )
        try stage.writeManifest("kind: File\nname: a\npath: relative\n")
        let failed = try reconcile(["plan", "--metrics-file", metrics, "--host", "metrics-host", "--root", stage.root, stage.manifest])
        #expect(failed.status == 1)
        let failure = try String(contentsOfFile: metrics, encoding: .utf8)
        #expect(failure.contains("reconcile_plan_success{host=\"metrics-host\"} 0"), "\(failure)")
        #expect(!failure.contains("reconcile_resources") && failure.contains("reconcile_last_apply_success"))
    }
}
