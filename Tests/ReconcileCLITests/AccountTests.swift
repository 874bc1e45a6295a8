import Foundation
import Testing

/// Owners and groups are the host's: checked at plan time, and under --root read from the root's
/// own etc/passwd and etc/group.
@Suite struct AccountTests {
    static let passwd = "root:x:0:0:root:/root:/bin/bash\napp:x:4321:4322:App:/srv/app:/usr/sbin/nologin\n"
    static let group = "root:x:0:\napp:x:4322:\n"

    @Test func anUnknownOwnerIsAPlanErrorAtItsLineNotAHalfDoneApply() throws {
        let stage = Stage()
        try stage.write("/etc/passwd", Self.passwd)
        try stage.write("/etc/group", Self.group)
        try stage.writeManifest("""
            kind: File
            name: first
            path: /etc/first
            content: "1"
            ---
            kind: File
            name: conf
            path: /etc/app.conf
            content: "x"
            owner: rot
            group: whel
            ---
            kind: Directory
            name: data
            path: /srv/data
            owner: ap
            """)
        let plan = try reconcile(["apply", "--auto-approve", "--root", stage.root, stage.manifest])
        #expect(plan.status == 1)
        #expect(plan.stderr.contains("manifest.yaml:10:8: error: owner: File/conf: no user \"rot\" on this host"), "\(plan.stderr)")
        #expect(plan.stderr.contains("manifest.yaml:11:8: error: group: File/conf: no group \"whel\" on this host"), "\(plan.stderr)")
        #expect(plan.stderr.contains("error: owner: Directory/data: no user \"ap\" on this host"), "\(plan.stderr)")
        #expect(stage.read("/etc/first") == nil, "nothing is applied")
    }

    @Test func aStagedRootsOwnAccountsNameTheOwners() throws {
        let stage = Stage()
        try stage.write("/etc/passwd", Self.passwd)
        try stage.write("/etc/group", Self.group)
        try stage.writeManifest("kind: File\nname: conf\npath: /srv/app/app.conf\ncontent: x\nowner: app\ngroup: app\n")
        let apply = try reconcile(["apply", "--auto-approve", "--root", stage.root, stage.manifest])
        #expect(apply.status == 0, "\(apply.stderr)")
        var info = stat()
        #expect(stat(stage.root + "/srv/app/app.conf", &info) == 0)
        #expect(info.st_uid == 4321 && info.st_gid == 4322, "the root's app, not this machine's")
        let facts = try reconcile(["facts", "--root", stage.root, stage.manifest])
        #expect(facts.stdout.contains("\"owner\" : \"app\""), "\(facts.stdout)")
        #expect(try reconcile(["plan", "--detailed-exitcode", "--root", stage.root, stage.manifest]).status == 0)
    }

    @Test func aCaptureProxysSocketOwnerIsCheckedToo() throws {
        let stage = Stage()
        try stage.write("/etc/passwd", Self.passwd)
        try stage.write("/etc/group", Self.group)
        try stage.writeManifest("""
            kind: CaptureProxy
            name: app
            socket: /run/app.sock
            proxy: /run/app.sock.proxy
            port: 9000
            pcap: /var/lib/reconcile/capture/app.pcap
            timeLimit: 1h
            group: wheel
            """)
        let plan = try reconcile(["plan", "--root", stage.root, stage.manifest])
        #expect(plan.status == 1)
        #expect(plan.stderr.contains("manifest.yaml:8:8: error: group: CaptureProxy/app: no group \"wheel\" on this host"), "\(plan.stderr)")
    }
}
