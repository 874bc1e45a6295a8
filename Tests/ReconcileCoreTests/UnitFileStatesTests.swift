import Foundation
import ReconcileCore
@testable import ReconcileProviders
import Testing

/// Unit state and enabling under a staging root, read and made from the root's files (issue 18),
/// checked against the real `systemctl --root` (systemd 252) on the same trees.
@Suite struct UnitFileStatesTests {
    static let units: [(path: String, content: String)] = [
        ("etc/systemd/system/a.service", "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\nAlias=al1.service al2.service\n"),
        ("etc/systemd/system/b.service", "[Service]\nExecStart=/bin/true\n[Install]\nRequiredBy=c.target\nWantedBy=x.target y.target\n"),
        ("etc/systemd/system/t@.service", "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\nDefaultInstance=x\n"),
        ("lib/systemd/system/l.service", "[Unit]\nDescription=l\n\n[Install]\n# a comment\nWantedBy=default.target\nWantedBy=\nWantedBy=graphical.target\n"),
        ("etc/systemd/system/s.socket", "[Socket]\nListenStream=1\n[Install]\nWantedBy=sockets.target\n"),
        ("etc/systemd/system/st.service", "[Service]\nExecStart=/bin/true\n"),
        ("etc/systemd/system/also.service", "[Service]\nExecStart=/bin/true\n[Install]\nAlso=a.service\n"),
        ("etc/systemd/system/e.service", ""),
        ("etc/systemd/system/spec.service", "[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\nAlias=spec-%i.service\n"),
        // CRLF line ends, as an editor on Windows writes them: systemd reads the lines all the same.
        ("etc/systemd/system/crlf.service", "[Service]\r\nExecStart=/bin/true\r\n[Install]\r\nWantedBy=multi-user.target \r\nAlias=crlf-alias.service\r\n"),
        ("etc/systemd/system/crlf-static.service", "[Service]\r\nExecStart=/bin/true\r\n"),
    ]

    /// The units, and `m.service` masked by a link to /dev/null.
    func tree() throws -> TemporaryDirectory {
        let directory = TemporaryDirectory()
        for (path, content) in Self.units { try directory.write(path, content) }
        try FileManager.default.createSymbolicLink(atPath: directory.path + "/etc/systemd/system/m.service", withDestinationPath: "/dev/null")
        return directory
    }

    func systemctl(_ root: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/systemctl")
        process.arguments = ["--root=\(root)"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// Every path below `root`, with what a link points at, a folder's mode, a file's content.
    func listing(_ root: String) throws -> [String] {
        let manager = FileManager.default
        return try (manager.subpathsOfDirectory(atPath: root)).sorted().map { relative in
            let full = root + "/" + relative
            let attributes = try manager.attributesOfItem(atPath: full)
            switch attributes[.type] as? FileAttributeType {
            case .typeSymbolicLink?: return "\(relative) -> \(try manager.destinationOfSymbolicLink(atPath: full))"
            case .typeDirectory?: return "\(relative)/ \(String((attributes[.posixPermissions] as? Int) ?? 0, radix: 8))"
            default: return "\(relative) = \(String(decoding: manager.contents(atPath: full) ?? Data(), as: UTF8.self).count) bytes"
            }
        }
    }

    static let asked = [
        "a.service", "b.service", "l.service", "s.socket", "st.service", "also.service", "e.service", "m.service", "crlf.service",
        "crlf-static.service",
    ]

    @Test func statesReadFromTheRootAreSystemctls() throws {
        let directory = try tree()
        // Some enabled by systemctl itself, some left disabled.
        #expect(try systemctl(directory.path, ["enable", "a.service", "l.service", "crlf.service"]).status == 0)
        let staged = try UnitFileStates(files: LocalFileSystem(root: HostRoot(directory.path)))
        for unit in Self.asked {
            let ours = try #require(try staged.state(of: unit), "\(unit) is read from the files")
            let theirs = try systemctl(directory.path, ["is-enabled", unit]).output.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(ours == theirs, "\(unit): ours \(ours), systemctl \(theirs)")
        }
        #expect(try staged.state(of: "a.service") == "enabled")
        #expect(try staged.state(of: "b.service") == "disabled")
        #expect(try staged.state(of: "st.service") == "static")
        #expect(try staged.state(of: "also.service") == "indirect")
        #expect(try staged.state(of: "m.service") == "masked")
        // Left to systemctl: templates and instances, specifiers, an alias's own name.
        for unit in ["t@.service", "t@x.service", "spec.service", "al1.service"] {
            #expect(try staged.state(of: unit) == nil, "\(unit) is asked of systemctl")
        }
    }

    @Test func aLinkOnlySystemdUnderstandsLeavesTheUnitToSystemctl() throws {
        let directory = try tree()
        // An alias the unit's Alias= does not name: systemd calls the unit indirect.
        try FileManager.default.createSymbolicLink(
            atPath: directory.path + "/etc/systemd/system/other.service", withDestinationPath: "/etc/systemd/system/b.service")
        let staged = try UnitFileStates(files: LocalFileSystem(root: HostRoot(directory.path)))
        #expect(try staged.state(of: "b.service") == nil)
        #expect(try staged.state(of: "a.service") == "disabled")
        // Runtime and generator folders (never empty on a booted host): the units they name are
        // asked of systemctl (a runtime link, a generated file, a drop-in), the others are read.
        try directory.write("run/systemd/system/x.service", "[Service]\n")
        try directory.write("run/systemd/generator.late/l.service", "[Service]\n")
        try directory.write("run/systemd/system/s.socket.d/override.conf", "[Socket]\n")
        try FileManager.default.createDirectory(
            atPath: directory.path + "/run/systemd/system/multi-user.target.wants", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: directory.path + "/run/systemd/system/multi-user.target.wants/a.service", withDestinationPath: "/etc/systemd/system/a.service")
        let withRuntime = try UnitFileStates(files: LocalFileSystem(root: HostRoot(directory.path)))
        for unit in ["a.service", "l.service", "s.socket", "x.service"] {
            #expect(try withRuntime.state(of: unit) == nil, "\(unit) is asked of systemctl")
        }
        #expect(try withRuntime.state(of: "st.service") == "static")
        #expect(try systemctl(directory.path, ["is-enabled", "a.service"]).output == "enabled-runtime\n")
    }

    @Test func enablingMakesTheLinksSystemctlMakes() throws {
        let ours = try tree()
        let theirs = try tree()
        let enabled = [
            ("a.service", "/etc/systemd/system/a.service"), ("b.service", "/etc/systemd/system/b.service"),
            ("t@.service", "/etc/systemd/system/t@.service"), ("l.service", "/lib/systemd/system/l.service"),
            ("s.socket", "/etc/systemd/system/s.socket"), ("crlf.service", "/etc/systemd/system/crlf.service"),
        ]
        let files = LocalFileSystem(root: HostRoot(ours.path))
        for (unit, path) in enabled {
            let content = try #require(Self.units.first { "/" + $0.path == path }?.content)
            let links = try #require(InstallSection(content).enableLinks(unit: unit, path: path), "\(unit)'s links are known")
            for link in links { try files.createSymlink(link.path, target: link.target) }
        }
        #expect(try systemctl(theirs.path, ["enable"] + enabled.map(\.0)).status == 0)
        let mine = try listing(ours.path)
        #expect(mine == (try listing(theirs.path)))
        #expect(mine.contains("etc/systemd/system/multi-user.target.wants/t@x.service -> /etc/systemd/system/t@.service"))
        #expect(mine.contains("etc/systemd/system/al2.service -> /etc/systemd/system/a.service"))
        #expect(mine.contains("etc/systemd/system/c.target.requires/b.service -> /etc/systemd/system/b.service"))
        #expect(mine.contains("etc/systemd/system/crlf-alias.service -> /etc/systemd/system/crlf.service"))
        // And both read back as enabled.
        let staged = try UnitFileStates(files: files)
        for unit in ["a.service", "b.service", "l.service", "s.socket"] { #expect(try staged.state(of: unit) == "enabled") }
    }

    @Test func whatOnlySystemctlKnowsHowToEnableIsLeftToIt() {
        let section: (String) -> InstallSection = { InstallSection("[Install]\n" + $0) }
        #expect(section("Also=a.service\nWantedBy=x.target").enableLinks(unit: "u.service", path: "/etc/systemd/system/u.service") == nil)
        #expect(section("WantedBy=multi-user.target").enableLinks(unit: "t@.service", path: "/etc/systemd/system/t@.service") == nil)
        #expect(section("WantedBy=multi-user.target").enableLinks(unit: "t@x.service", path: "/etc/systemd/system/t@x.service") == nil)
        #expect(section("Alias=u-%i.service").enableLinks(unit: "u.service", path: "/etc/systemd/system/u.service") == nil)
        #expect(section("WantedBy=a.target \\\n  b.target").enableLinks(unit: "u.service", path: "/etc/systemd/system/u.service") == nil)
        #expect(section("WantedBy=a.target a.target").enableLinks(unit: "u.service", path: "/etc/systemd/system/u.service")?.count == 1)
    }

    /// A unit's file is the one in the first folder of systemd's search path that has it, else
    /// its template's; each folder is listed once for all units.
    @Test func unitFilesAreFoundInSearchPathOrder() throws {
        let directory = TemporaryDirectory()
        let plain = "[Service]\nExecStart=/bin/true\n"
        try directory.write("usr/lib/systemd/system/p.service", plain)
        try directory.write("usr/lib/systemd/system/o.service", plain + "[Install]\nWantedBy=multi-user.target\n")
        try directory.write("etc/systemd/system/o.service", plain)
        try directory.write("run/systemd/system/r.service", plain)
        try directory.write("usr/lib/systemd/system/r.service", plain)
        try directory.write("usr/lib/systemd/system/t@.service", plain)
        try directory.write("usr/local/lib/systemd/system/t@y.service", plain)
        try FileManager.default.createSymbolicLink(atPath: directory.path + "/lib", withDestinationPath: "usr/lib")
        let files = LocalFileSystem(root: HostRoot(directory.path))
        let searchPath = try UnitSearchPath(files: files)
        #expect(searchPath.unitFile("p.service") == "/lib/systemd/system/p.service")
        #expect(searchPath.unitFile("o.service") == "/etc/systemd/system/o.service")
        #expect(searchPath.unitFile("r.service") == "/run/systemd/system/r.service")
        #expect(searchPath.unitFile("t@x.service") == "/lib/systemd/system/t@.service")
        #expect(searchPath.unitFile("t@y.service") == "/usr/local/lib/systemd/system/t@y.service")
        #expect(searchPath.unitFile("nope.service") == nil)
        #expect(try searchPath.isInstallable("o.service", files: files) == false)
        #expect(try searchPath.isInstallable("nope.service", files: files) == nil)
    }
}
