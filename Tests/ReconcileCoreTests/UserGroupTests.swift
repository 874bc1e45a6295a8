import Foundation
import ReconcileCore
@testable import ReconcileProviders
import Testing

/// Users and groups planned against account files in a staged root: ranges, clashes, and
/// owners that the same plan creates.
@Suite struct UserGroupTests {
    static let passwd = "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n"
    static let group = "root:x:0:\nalice:x:1000:\nci:x:990:alice\n"

    func stage(subuid: String = "alice:100000:65536\n", subgid: String = "alice:100000:65536\n") throws -> TemporaryDirectory {
        let root = TemporaryDirectory()
        try root.write("etc/passwd", Self.passwd)
        try root.write("etc/group", Self.group)
        try root.write("etc/subuid", subuid)
        try root.write("etc/subgid", subgid)
        return root
    }

    func plan(_ manifest: String, root: TemporaryDirectory) throws -> Plan {
        let loaded = loadManifest(manifest)
        guard !loaded.diagnostics.hasErrors else { throw ReconcileError.notAllowed(rendered(loaded)) }
        let files = LocalFileSystem(root: HostRoot(root.path))
        return try Planner(registry: Providers.registry, version: "test").plan(
            loaded.resources, from: .live(HostContext(files: files, commands: RecordedRunner())), root: HostRoot(root.path), hostName: "h")
    }

    func argvs(_ plan: Plan, _ name: String) -> [[String]] {
        (plan.changes.first { $0.address.name == name }?.steps ?? []).compactMap {
            if case .command(let command) = $0 { return command.argv }
            return nil
        }
    }

    @Test func newUsersGetRangesPastEveryRangeInUseAndFromEachOther() throws {
        let root = try stage()
        let plan = try plan("""
            kind: User
            name: gitlab-runner
            system: true
            home: /home/gitlab-runner
            subordinateIds: {count: 65536}
            ---
            kind: User
            name: builder
            subordinateIds: {count: 1000}
            """, root: root)
        let runner = argvs(plan, "gitlab-runner")
        #expect(runner.first?.starts(with: ["useradd", "--prefix", root.path, "--system", "--user-group"]) == true)
        #expect(runner.first?.contains("--create-home") == true)
        #expect(runner.last == ["usermod", "--prefix", root.path, "--add-subuids", "165536-231071", "--add-subgids", "165536-231071", "--", "gitlab-runner"])
        #expect(argvs(plan, "builder").last?.contains("231072-232071") == true)
    }

    @Test func rangesFillTheFirstGapThatFits() {
        let used = [IdRange(start: 100_000, count: 10), IdRange(start: 100_020, count: 10)]
        #expect(UserObservation.free(10, avoiding: used) == IdRange(start: 100_010, count: 10))
        #expect(UserObservation.free(11, avoiding: used) == IdRange(start: 100_030, count: 11))
        // A hostile file with a range at the top of the id space: no overflow, no range.
        #expect(UserObservation.free(65536, avoiding: [IdRange(start: 100_000, count: UInt32.max)]) == nil)
    }

    @Test func clashesAreReportedAtTheManifestLocation() throws {
        let root = try stage()
        let loaded = loadManifest("""
            kind: User
            name: a
            uid: 2000
            subordinateIds: {count: 100, start: 300000}
            ---
            kind: User
            name: b
            uid: 2000
            subordinateIds: {count: 100, start: 300050}
            """)
        let text = rendered(loaded)
        #expect(text.contains("m.yaml:8:6: error: uid: User/b: uid 2000 is also asked for by User/a"))
        #expect(text.contains("User/b: subordinate ids 300050-300149 overlap User/a's 300000-300099"))
        #expect(throws: DiagnosticsError.self) {
            try plan("kind: User\nname: bob\nuid: 1000\n", root: root)
        }
        #expect(throws: DiagnosticsError.self) {
            try plan("kind: User\nname: bob\nsubordinateIds: {count: 10, start: 100005}\n", root: root)
        }
        #expect(throws: DiagnosticsError.self) {
            try plan("kind: User\nname: alice\nuid: 1001\n", root: root)
        }
    }

    @Test func ownersAndGroupsTheSamePlanCreatesArePlannedAfterThem() throws {
        let root = try stage()
        let plan = try plan("""
            kind: File
            name: f
            path: /srv/f
            content: x
            owner: svc
            group: team
            ---
            kind: User
            name: svc
            groups: [team]
            ---
            kind: Group
            name: team
            """, root: root)
        #expect(plan.changes.map(\.address.description) == ["Group/team", "User/svc", "File/f"])
        #expect(plan.changes.last?.dependsOn.map(\.description) == ["User/svc", "Group/team"])
        #expect(throws: DiagnosticsError.self) { try self.plan("kind: File\nname: f\npath: /srv/f\ncontent: x\nowner: nobody-here\n", root: root) }
        #expect(throws: DiagnosticsError.self) { try self.plan("kind: User\nname: svc\ngroups: [nogroup-here]\n", root: root) }
    }

    @Test func existingAccountsAreChangedNotRenumbered() throws {
        let root = try stage()
        let plan = try plan("""
            kind: User
            name: alice
            shell: /usr/sbin/nologin
            groups: [ci]
            subordinateIds: {count: 65536}
            linger: true
            """, root: root)
        let change = try #require(plan.changes.first)
        #expect(change.action == .update)
        #expect(argvs(plan, "alice") == [["usermod", "--prefix", root.path, "--shell", "/usr/sbin/nologin", "--", "alice"]])
        #expect(change.steps.count == 2)  // and the linger flag file, staged
        #expect(try self.plan("kind: Group\nname: ci\n", root: root).changes.first?.action == .noop)
        #expect(throws: DiagnosticsError.self) { try self.plan("kind: Group\nname: ci\ngid: 991\n", root: root) }
        #expect(throws: DiagnosticsError.self) { try self.plan("kind: Group\nname: alice\nstate: absent\n", root: root) }
    }

    @Test func badNamesNeverReachTheTools() {
        for bad in ["Root", "-r", "a b", "a:b", "1abc", String(repeating: "a", count: 33)] {
            #expect(AccountName.problem(bad) != nil, "\(bad)")
        }
        for good in ["gitlab-runner", "_apt", "debian-tor", "u1", "machine$"] {
            #expect(AccountName.problem(good) == nil, "\(good)")
        }
    }
}

/// The one parser of `etc/passwd` and `etc/group` lines, for the probes and the owner lookups.
@Suite struct AccountFileEntryTests {
    @Test func linesWithANameAndANumericIdInFileOrder() {
        let text = "root:x:0:0:root:/root:/bin/bash\n# a comment:x:5\n:x:7:7\nbroken:x:abc:1\nshort:x\nrunner:x:999:998::/home/runner:/bin/sh\n"
        let entries = AccountFileEntry.parse(Data(text.utf8))
        #expect(entries.map(\.name) == ["root", "runner"])
        #expect(entries.map(\.id) == [0, 999])
        #expect(entries.last?.rest.map(String.init) == ["998", "", "/home/runner", "/bin/sh"])
        let groups = AccountFileEntry.parse(Data("docker:x:120:a,b\nempty:x:5:\n".utf8))
        #expect(groups.map { $0.rest.map(String.init) } == [["a,b"], [""]])
    }
}
