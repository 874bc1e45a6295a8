import Foundation
@testable import ReconcileCore
import ReconcileProviders
import Testing

/// Writes under a root with real symlinks planted the way an attacker (or an accident) would.
@Suite struct RootWalkTests {
    /// A stage with a root inside it and a folder outside the root that must stay untouched.
    final class Sandbox {
        let directory = TemporaryDirectory()
        var root: String { directory.path + "/root" }
        var outside: String { directory.path + "/outside" }
        var files: LocalFileSystem { LocalFileSystem(root: HostRoot(root)) }

        init() throws {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        }

        func link(_ hostPath: String, to target: String, owner: uid_t? = nil) throws {
            let full = root + hostPath
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            #expect(symlink(target, full) == 0)
            if let owner { #expect(lchown(full, owner, owner) == 0) }
        }

        func outsideEntries() -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: outside)) ?? [] }
    }

    @Test func anAbsoluteParentLinkResolvesInsideTheRoot() throws {
        let box = try Sandbox()
        try box.link("/etc", to: box.outside)
        try box.files.createDirectories("/etc", mode: 0o755)
        try box.files.writeAtomically("/etc/x", content: Data("x".utf8), mode: 0o644, uid: nil, gid: nil)
        #expect(box.outsideEntries().isEmpty, "nothing leaves the root")
        #expect(FileManager.default.contents(atPath: box.root + box.outside + "/x") == Data("x".utf8), "the link's target is read as a path inside the root")
    }

    @Test func aRelativeParentLinkCannotClimbAboveTheRoot() throws {
        let box = try Sandbox()
        try box.link("/etc", to: "../../../../../../outside")
        try box.files.createDirectories("/etc", mode: 0o755)
        try box.files.writeAtomically("/etc/x", content: Data("x".utf8), mode: 0o644, uid: nil, gid: nil)
        #expect(box.outsideEntries().isEmpty)
        #expect(FileManager.default.fileExists(atPath: box.root + "/outside/x"), ".. stops at the root, as RESOLVE_IN_ROOT does")
    }

    @Test func aUserOwnedLinkIsNeverFollowed() throws {
        let box = try Sandbox()
        try FileManager.default.createDirectory(atPath: box.root + "/home/runner", withIntermediateDirectories: true)
        #expect(chown(box.root + "/home/runner", 1000, 1000) == 0)
        try box.link("/home/runner/scripts", to: box.outside, owner: 1000)
        #expect(throws: ReconcileError.self) {
            try box.files.writeAtomically("/home/runner/scripts/prepare.sh", content: Data("x".utf8), mode: 0o755, uid: nil, gid: nil)
        }
        do {
            try box.files.writeAtomically("/home/runner/scripts/prepare.sh", content: Data("x".utf8), mode: 0o755, uid: nil, gid: nil)
        } catch {
            #expect("\(error)".contains("refusing to follow the link \"\(box.root)/home/runner/scripts\""), "\(error)")
            #expect("\(error)".contains("owned by uid 1000, not root"), "\(error)")
        }
        for operation in [
            { try box.files.remove("/home/runner/scripts/prepare.sh") },
            { try box.files.setAttributes("/home/runner/scripts/prepare.sh", mode: 0o777, uid: nil, gid: nil) },
            { _ = try box.files.status("/home/runner/scripts/prepare.sh") },
            { _ = try box.files.read("/home/runner/scripts/prepare.sh") },
            { try box.files.createDirectories("/home/runner/scripts/sub", mode: 0o755) },
        ] {
            #expect(throws: ReconcileError.self) { try operation() }
        }
        #expect(box.outsideEntries().isEmpty)
    }

    @Test func aRootOwnedLinkInAUserOwnedFolderIsNotFollowedEither() throws {
        let box = try Sandbox()
        try FileManager.default.createDirectory(atPath: box.root + "/home/runner", withIntermediateDirectories: true)
        #expect(chown(box.root + "/home/runner", 1000, 1000) == 0)
        try box.link("/home/runner/scripts", to: "/etc")
        do {
            try box.files.writeAtomically("/home/runner/scripts/x", content: Data("x".utf8), mode: 0o644, uid: nil, gid: nil)
            Issue.record("the write went through a link in a user's folder")
        } catch {
            #expect("\(error)".contains("its folder \(box.root)/home/runner is owned by uid 1000"), "\(error)")
        }
    }

    @Test func aRootOwnedLinkInARootOwnedFolderIsFollowed() throws {
        let box = try Sandbox()
        try FileManager.default.createDirectory(atPath: box.root + "/run", withIntermediateDirectories: true)
        try box.link("/var/run", to: "/run")
        try box.files.writeAtomically("/var/run/app.pid", content: Data("1".utf8), mode: 0o644, uid: nil, gid: nil)
        #expect(FileManager.default.contents(atPath: box.root + "/run/app.pid") == Data("1".utf8))
        #expect(try box.files.status("/var/run/app.pid")?.type == .file)
    }

    @Test func aLinkAtTheTargetIsReplacedNotFollowed() throws {
        let box = try Sandbox()
        try Data("secret".utf8).write(to: URL(fileURLWithPath: box.outside + "/shadow"))
        try box.link("/etc/motd", to: box.outside + "/shadow")
        #expect(throws: ReconcileError.self) { _ = try box.files.read("/etc/motd") }
        #expect(throws: ReconcileError.self) { try box.files.setAttributes("/etc/motd", mode: 0o666, uid: nil, gid: nil) }
        try box.files.writeAtomically("/etc/motd", content: Data("hello".utf8), mode: 0o644, uid: nil, gid: nil)
        #expect(try box.files.status("/etc/motd")?.type == .file)
        #expect(FileManager.default.contents(atPath: box.outside + "/shadow") == Data("secret".utf8))
        try box.link("/etc/old", to: box.outside + "/shadow")
        try box.files.remove("/etc/old")
        #expect(FileManager.default.contents(atPath: box.outside + "/shadow") == Data("secret".utf8), "remove unlinks the link only")
    }

    @Test func aNulByteIsRefusedNotCut() throws {
        let box = try Sandbox()
        try box.files.createDirectories("/etc", mode: 0o755)
        try box.files.writeAtomically("/etc/link", content: Data("keep".utf8), mode: 0o644, uid: nil, gid: nil)
        #expect(throws: ReconcileError.self) { try box.files.remove("/etc/link\u{0}.x") }
        #expect(FileManager.default.contents(atPath: box.root + "/etc/link") == Data("keep".utf8))
        #expect(HostPath.problem("/etc/link\u{0}.x") != nil)
    }

    @Test func dotDotAfterACombiningMarkIsStillDotDot() throws {
        let box = try Sandbox()
        let path = "/../\u{301}x/f"
        #expect(HostPath.problem(path) == "must not contain \"..\" components")
        #expect(throws: ReconcileError.self) { try box.files.writeAtomically(path, content: Data(), mode: 0o644, uid: nil, gid: nil) }
        let loaded = loadManifest("kind: File\nname: f\npath: \"/../\\u0301x/f\"\ncontent: x\n")
        #expect(rendered(loaded).contains("path: must not contain \"..\" components"), "\(rendered(loaded))")
    }

    @Test func onePathHasOneSpelling() throws {
        #expect(HostPath.problem("//etc/./motd") == "must be written in one form: \"/etc/motd\" (no \"//\", \".\" components or trailing \"/\")")
        #expect(HostPath.problem("/etc/motd/") != nil)
        #expect(HostPath.problem("/etc/motd") == nil)
        #expect(HostPath.problem("/etc/mo\ntd") == "must not contain control characters (found U+000A)")
        let loaded = loadManifest("""
            kind: File
            name: a
            path: /etc/motd
            content: a
            ---
            kind: File
            name: b
            path: //etc/./motd
            content: b
            """)
        #expect(loaded.diagnostics.hasErrors)
        #expect(rendered(loaded).contains("must be written in one form: \"/etc/motd\""), "\(rendered(loaded))")
    }

    @Test func controlCharactersAreEscapedForTerminals() {
        #expect(TerminalText.escaped("a\nb\u{1B}[2J\r\u{7F}\u{85}") == "a\\nb\\e[2J\\r\\u{7F}\\u{85}")
        #expect(TerminalText.quoted("say \"hi\"\n") == "\"say \\\"hi\\\"\\n\"")
        #expect(TerminalText.escapedKeepingLineFeeds("one\ntwo\u{1B}") == "one\ntwo\\e")
    }

    @Test func plainPathsSplitInOnePassOthersTakeTheFullWalk() {
        #expect(RootWalk.plainSplit("/etc/app/motd").map { "\($0.folder)|\($0.name)" } == "/etc/app|motd")
        #expect(RootWalk.plainSplit("/motd").map { "\($0.folder)|\($0.name)" } == "|motd")
        for odd in ["", "/", "etc/motd", "//etc/motd", "/etc//motd", "/etc/./motd", "/etc/../motd", "/etc/motd/", "/etc/..", "/e\u{0}/x", "/../\u{301}x/f"] {
            #expect(RootWalk.plainSplit(odd) == nil, "\(odd)")
        }
    }
}
