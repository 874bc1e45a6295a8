import Foundation
import ReconcileCore
import Testing

/// Host selection from the command line: the labels file, `--label`, facts that carry both, and
/// `reconcile summary` over saved plans.
@Suite struct FleetCLITests {
    static let manifest = """
        kind: File
        name: everyone
        path: /etc/everyone
        content: "all\\n"
        ---
        kind: File
        name: mail
        path: /etc/role
        content: "mx\\n"
        hosts: {labels: {role: mx}}
        ---
        kind: File
        name: builds
        path: /etc/role
        content: "ci\\n"
        hosts: {labels: {role: ci}}

        """

    @Test func labelsFromTheHostFileAndFlagsSelectResources() throws {
        let stage = Stage()
        try stage.writeManifest(Self.manifest)
        try stage.write(HostLabels.path, "# this host\nrole = mx\n")
        let fromFile = try reconcile(["plan", "--root", stage.root, "--host", "h1", stage.manifest])
        #expect(fromFile.status == 0, "\(fromFile.stderr)")
        #expect(fromFile.stdout.contains("File/mail") && !fromFile.stdout.contains("File/builds"))
        let overridden = try reconcile(["plan", "--root", stage.root, "--host", "h1", "--label", "role=ci", stage.manifest])
        #expect(overridden.stdout.contains("File/builds") && !overridden.stdout.contains("File/mail"))

        let factsPath = stage.path + "/h1.json"
        let facts = try reconcile(["facts", "--root", stage.root, "--host", "h1", "--out", factsPath, stage.manifest])
        #expect(facts.status == 0, "\(facts.stderr)")
        let document = try FactsDocument.load(from: try Data(contentsOf: URL(fileURLWithPath: factsPath)), path: factsPath)
        #expect(document.labels == ["role": "mx"])
        #expect(document.resources.keys.sorted() == ["File/everyone", "File/mail"])
        let fromFacts = try reconcile(["plan", "--facts", factsPath, stage.manifest])
        #expect(fromFacts.status == 0, "\(fromFacts.stderr)")
        #expect(fromFacts.stdout.contains("Plan for host h1 (from facts") && fromFacts.stdout.contains("File/mail"))
    }

    @Test func badLabelsAreUsageErrors() throws {
        let stage = Stage()
        try stage.writeManifest(Self.manifest)
        let flag = try reconcile(["plan", "--root", stage.root, "--label", "role", stage.manifest])
        #expect(flag.status != 0 && flag.stderr.contains("--label: label \"role\" is not KEY=VALUE"), "\(flag.stderr)")
        try stage.write(HostLabels.path, "role=mx\n9lives=yes\n")
        let file = try reconcile(["plan", "--root", stage.root, stage.manifest])
        #expect(file.status == 1)
        #expect(file.stderr.contains("\(stage.root)/etc/reconcile/labels:2: label key \"9lives\" must start with a letter"), "\(file.stderr)")
    }

    @Test func summaryCountsSavedPlansAndNamesDataLoss() throws {
        let stage = Stage()
        try stage.writeManifest(Self.manifest)
        let plans = stage.path + "/plans"
        try FileManager.default.createDirectory(atPath: plans, withIntermediateDirectories: true)
        for (host, role) in [("a", "mx"), ("b", "ci")] {
            let plan = try reconcile(["plan", "--root", stage.root, "--host", host, "--label", "role=\(role)", "--out", "\(plans)/\(host).json", stage.manifest])
            #expect(plan.status == 0, "\(plan.stderr)")
        }
        let summary = try reconcile(["summary", "--detailed-exitcode", plans])
        #expect(summary.status == 2)
        #expect(summary.stdout.contains("2 hosts: 2 with changes, 0 unchanged, 0 failed."), "\(summary.stdout)")
        let lines = summary.stdout.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("a ") && $0.contains("   2 ") }, "\(summary.stdout)")
        let broken = try reconcile(["summary", stage.manifest])
        #expect(broken.status == 1 && broken.stderr.contains("not a reconcile plan document"), "\(broken.stderr)")
    }

    @Test func showPrintsASavedPlanAsPlanPrintedIt() throws {
        let stage = Stage()
        try stage.writeManifest(Self.manifest)
        let planPath = stage.path + "/plan.json"
        let planned = try reconcile(["plan", "--root", stage.root, "--host", "h1", "--label", "role=mx", "--out", planPath, stage.manifest])
        #expect(planned.status == 0, "\(planned.stderr)")
        let shown = try reconcile(["show", "--detailed-exitcode", planPath])
        #expect(shown.status == 2, "\(shown.stderr)")
        #expect(planned.stdout == shown.stdout + "Saved plan to \(planPath); apply it with `reconcile apply \(planPath)`.\n")
        #expect(shown.stdout.contains("File/mail") && !shown.stdout.contains("File/builds"))
        let json = try reconcile(["show", "--json", planPath])
        let saved = try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: planPath))) as? NSDictionary
        #expect(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? NSDictionary == saved)
        let notAPlan = try reconcile(["show", stage.manifest])
        #expect(notAPlan.status == 1 && notAPlan.stderr.contains("not a reconcile plan document"), "\(notAPlan.stderr)")
    }
}

/// A saved plan belongs to the host it was made for: its name and the labels that chose its resources.
@Suite struct SavedPlanIdentityTests {
    @Test func aPlanForAnotherNameOrOtherLabelsIsRefused() throws {
        let stage = Stage()
        try stage.writeManifest(FleetCLITests.manifest)
        try stage.write(HostLabels.path, "role=mx\n")
        let planPath = stage.path + "/plan.json"
        let plan = try reconcile(["plan", "--root", stage.root, "--host", "h1", "--out", planPath, stage.manifest])
        #expect(plan.status == 0, "\(plan.stderr)")
        let otherName = try reconcile(["apply", "--auto-approve", "--root", stage.root, "--host", "h2", planPath])
        #expect(otherName.status == 1)
        #expect(otherName.stderr.contains("the plan is for host h1, and this is h2"), "\(otherName.stderr)")
        try stage.write(HostLabels.path, "role=ci\n")
        let otherLabels = try reconcile(["apply", "--auto-approve", "--root", stage.root, "--host", "h1", planPath])
        #expect(otherLabels.status == 1)
        #expect(otherLabels.stderr.contains("stale plan") && otherLabels.stderr.contains("labels changed since the plan was made (role=mx → role=ci)"),
                "\(otherLabels.stderr)")
        #expect(stage.read("/etc/role") == nil, "nothing applied")
        try stage.write(HostLabels.path, "role=mx\n")
        let json = try reconcile(["apply", "--auto-approve", "--json", "--root", stage.root, "--host", "h1", planPath])
        #expect(json.status == 0, "\(json.stderr)")
        #expect((try? JSONSerialization.jsonObject(with: Data(json.stdout.utf8))) != nil, "stdout is the plan alone: \(json.stdout)")
        #expect(json.stderr.contains("Apply complete"))
        #expect(stage.read("/etc/role") == "mx\n")
    }

    /// One host with damaged facts (an extent size of 0) and one unreadable facts file: both are
    /// named in the summary, the other hosts are planned and saved, and the run fails.
    @Test func aBadHostFailsAloneInAFleetRun() throws {
        let stage = Stage()
        let facts = stage.path + "/facts"
        try FileManager.default.createDirectory(atPath: facts, withIntermediateDirectories: true)
        for host in ["ci1", "mx1", "mx2"] {
            var text = try String(contentsOfFile: "\(repositoryRoot)/manifests/example/facts/\(host).example.org.json", encoding: .utf8)
            if host == "mx1" { text = text.replacingOccurrences(of: "\"extentSize\" : 4194304", with: "\"extentSize\" : 0") }
            try Data(text.utf8).write(to: URL(fileURLWithPath: "\(facts)/\(host).example.org.json"))
        }
        try Data("{\"formatVersion\": 1,".utf8).write(to: URL(fileURLWithPath: "\(facts)/zz1.example.org.json"))
        let plans = stage.path + "/plans"
        let run = try reconcile(["plan", "--facts", facts, "--out", plans, repositoryRoot + "/manifests/example"])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr.contains("LVM reports an extent size of 0 bytes for volume group storage"), "\(run.stderr)")
        #expect(run.stdout.contains("4 hosts: 2 with changes, 0 unchanged, 2 failed."), "\(run.stdout)")
        #expect(run.stdout.contains("FAILED mx1.example.org: 1 problem(s), printed above"), "\(run.stdout)")
        #expect(run.stdout.contains("FAILED zz1.example.org: \(facts)/zz1.example.org.json: cannot read facts"), "\(run.stdout)")
        let saved = try FileManager.default.contentsOfDirectory(atPath: plans).sorted()
        #expect(saved == ["ci1.example.org.json", "mx2.example.org.json", "summary.json"])
        let summary = try JSONDecoder().decode(FleetSummary.self, from: Data(contentsOf: URL(fileURLWithPath: plans + "/summary.json")))
        #expect(summary.hosts.filter { $0.error != nil }.map(\.host) == ["zz1.example.org", "mx1.example.org"])
    }
}
