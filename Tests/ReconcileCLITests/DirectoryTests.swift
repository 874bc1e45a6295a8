import Foundation
import Testing

/// `kind: Directory` against a staged root with real folders, files and links.
@Suite struct DirectoryTests {
    static let present = """
        kind: Directory
        name: data
        path: /srv/data
        mode: "0750"
        owner: "1000"
        group: "1000"
        """

    static let absent = "kind: Directory\nname: data\npath: /srv/data\nstate: absent\n"

    func mode(_ path: String) -> String? {
        (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int).map { String($0, radix: 8) }
    }

    @Test func createdWithItsAttributesThenKept() throws {
        let stage = Stage()
        try stage.writeManifest(Self.present)
        let apply = try reconcile(["apply", "--auto-approve", "--root", stage.root, stage.manifest])
        #expect(apply.status == 0, "\(apply.stdout)\(apply.stderr)")
        var info = stat()
        #expect(stat(stage.root + "/srv/data", &info) == 0)
        #expect(info.st_mode & 0o7777 == 0o750 && info.st_uid == 1000 && info.st_gid == 1000)
        #expect(try reconcile(["plan", "--detailed-exitcode", "--root", stage.root, stage.manifest]).status == 0)
        chmod(stage.root + "/srv/data", 0o777)
        let drifted = try reconcile(["plan", "--root", stage.root, stage.manifest])
        #expect(drifted.stdout.contains("/srv/data: mode 0777 → 0750"), "\(drifted.stdout)")
        #expect(try reconcile(["apply", "--auto-approve", "--root", stage.root, stage.manifest]).status == 0)
        #expect(mode(stage.root + "/srv/data") == "750")
    }

    @Test func anEmptyFolderIsRemovedAFullOneOnlyAsDataLoss() throws {
        let stage = Stage()
        try stage.writeManifest(Self.absent)
        try FileManager.default.createDirectory(atPath: stage.root + "/srv/data", withIntermediateDirectories: true)
        let empty = try reconcile(["plan", "--root", stage.root, stage.manifest])
        #expect(empty.stdout.contains("remove empty directory /srv/data") && empty.stdout.contains("[disruptive]"), "\(empty.stdout)")

        // Full, with a link to a file outside the root: the link goes, its target stays.
        let outside = stage.path + "/outside.txt"
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: outside))
        try stage.write("/srv/data/a.txt", "a")
        try stage.write("/srv/data/sub/b.txt", "b")
        #expect(symlink(outside, stage.root + "/srv/data/link") == 0)
        #expect(symlink(stage.path, stage.root + "/srv/data/sub/dirlink") == 0)
        let full = try reconcile(["plan", "--root", stage.root, stage.manifest])
        #expect(full.stdout.contains("holds 3 entries: removing it deletes them"), "\(full.stdout)")
        #expect(full.stdout.contains("[data-loss]"), "\(full.stdout)")
        let refused = try reconcile(["apply", "--auto-approve", "--root", stage.root, stage.manifest])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("this plan can lose data (Directory/data)"), "\(refused.stderr)")
        #expect(stage.read("/srv/data/a.txt") == "a", "nothing is removed without the allowance")
        let allowed = try reconcile(["apply", "--auto-approve", "--allow-data-loss", "--root", stage.root, stage.manifest])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: stage.root + "/srv/data"))
        #expect(FileManager.default.contents(atPath: outside) == Data("keep me".utf8), "links are removed, never followed")
        #expect(FileManager.default.fileExists(atPath: stage.manifest), "the folder a link pointed at is untouched")
        #expect(try reconcile(["plan", "--detailed-exitcode", "--root", stage.root, stage.manifest]).status == 0)
    }

    @Test func aFolderFilledSinceThePlanMakesItsSavedPlanStale() throws {
        let stage = Stage()
        try stage.writeManifest(Self.absent)
        try stage.write("/srv/data/a.txt", "a")
        let saved = stage.path + "/plan.json"
        #expect(try reconcile(["plan", "--root", stage.root, "--out", saved, stage.manifest]).status == 0)
        try stage.write("/srv/data/new.txt", "written after the review")
        let stale = try reconcile(["apply", "--auto-approve", "--allow-data-loss", "--root", stage.root, saved])
        #expect(stale.status == 1)
        #expect(stale.stderr.contains("stale plan"), "\(stale.stderr)")
        #expect(stage.read("/srv/data/new.txt") == "written after the review")
    }

    @Test func aFileInTheWayIsAPlanErrorAtItsLine() throws {
        let stage = Stage()
        try stage.writeManifest(Self.present)
        try stage.write("/srv/data", "a file")
        let plan = try reconcile(["plan", "--root", stage.root, stage.manifest])
        #expect(plan.status == 1)
        #expect(plan.stderr.contains("manifest.yaml:3:7: error: path: Directory/data: /srv/data is a file, not a directory"), "\(plan.stderr)")
    }
}
