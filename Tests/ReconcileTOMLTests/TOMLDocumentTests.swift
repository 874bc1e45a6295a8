import Foundation
import Testing
@testable import ReconcileTOML

/// A config.toml in the shape gitlab-runner writes, with an entry nobody here manages.
let runnerConfig = """
concurrent = 2
check_interval = 0

[session_server]
  session_timeout = 1800

[[runners]]
  name = "docker-builds"
  url = "https://gitlab.example.org/"
  token = "glrt-unmanaged-secret"   # keep me
  executor = "docker"
  [runners.docker]
    image = "alpine:3.19"
    volumes = ["/cache",
               "/var/run/docker.sock:/var/run/docker.sock"]

[[runners]]
  name = "podman-fedora"
  url = "https://gitlab.example.org/"
  token = "glrt-old"
  executor = "custom"
  builds_dir = "/home/user"
  [runners.custom]
    prepare_exec = "/home/gitlab-runner/podman-fedora/prepare.sh"

"""

@Suite struct TOMLLayoutTests {
    @Test func findsEntriesAndTheirKeys() throws {
        let document = try TOMLDocument(runnerConfig)
        let entries = document.entries(of: "runners")
        #expect(entries.count == 2)
        let managed = try #require(try document.entry(of: "runners", where: "name", is: "podman-fedora"))
        let values = document.values(of: managed)
        #expect(values[["token"]]?.scalar == .string("glrt-old"))
        #expect(values[["custom", "prepare_exec"]]?.scalar == .string("/home/gitlab-runner/podman-fedora/prepare.sh"))
        #expect(document.topLevel("concurrent")?.scalar == .integer(2))
        let other = document.values(of: entries[0])
        #expect(other[["docker", "volumes"]]?.firstLine == 13)
        #expect(other[["docker", "volumes"]]?.lastLine == 14)
        #expect(other[["token"]]?.scalar == .string("glrt-unmanaged-secret"))
    }

    @Test func stringsThatLookLikeHeadersAreNotHeaders() throws {
        let text = """
        note = \"\"\"
        [[runners]]
        name = "fake"
        \"\"\"
        literal = '''
        [[runners]]'''
        [[runners]]
          name = "real" # comment with "quotes" and [brackets]
          list = [ "a]", 'b[', { x = "}" } ]
        """
        let document = try TOMLDocument(text)
        #expect(document.entries(of: "runners").count == 1)
        #expect(try document.entry(of: "runners", where: "name", is: "real") != nil)
        #expect(try document.entry(of: "runners", where: "name", is: "fake") == nil)
        #expect(document.topLevel("note")?.firstLine == 0)
        #expect(document.topLevel("note")?.lastLine == 3)
    }

    @Test func problemsNameLineAndColumn() {
        #expect(throws: TOMLError(line: 2, column: 8, "unterminated string")) {
            try TOMLDocument("a = 1\nname = \"open\n")
        }
        #expect(throws: TOMLError(line: 1, column: 1, "the value of list does not end (unclosed string or bracket)")) {
            try TOMLDocument("list = [1,\n2\n")
        }
        #expect(throws: TOMLError(line: 1, column: 10, "expected \"]]\" to close the table header")) {
            try TOMLDocument("[[runners]\n")
        }
        #expect(throws: TOMLError(line: 1, column: 6, "expected \"=\" after the key name")) {
            try TOMLDocument("name \"x\"\n")
        }
    }

    @Test func twoEntriesWithOneNameAreAnError() throws {
        let document = try TOMLDocument("[[runners]]\nname = \"a\"\n[[runners]]\nname = \"a\"\n")
        #expect(throws: TOMLError(line: 3, column: 1, "[[runners]] entries on lines 1 and 3 are all named \"a\"; remove all but one")) {
            try document.entry(of: "runners", where: "name", is: "a")
        }
    }
}

@Suite struct TOMLEditTests {
    @Test func settingAKeyChangesOnlyItsLine() throws {
        var document = try TOMLDocument(runnerConfig)
        try document.set([(["token"], .string("glrt-new")), (["url"], .string("https://gitlab.example.org/"))],
                         inEntryOf: "runners", where: "name", is: "podman-fedora")
        let expected = runnerConfig.replacingOccurrences(of: "token = \"glrt-old\"", with: "token = \"glrt-new\"")
        #expect(document.text == expected)
    }

    @Test func missingKeysGoIntoTheirTable() throws {
        var document = try TOMLDocument(runnerConfig)
        try document.set(
            [(["cache_dir"], .string("/home/user/cache")), (["custom", "run_exec"], .string("/r.sh")),
             (["feature_flags", "FF_X"], .boolean(true)), (["limit"], .integer(4))],
            inEntryOf: "runners", where: "name", is: "podman-fedora")
        let expected = runnerConfig.replacingOccurrences(
            of: "  builds_dir = \"/home/user\"\n",
            with: "  builds_dir = \"/home/user\"\n  cache_dir = \"/home/user/cache\"\n  limit = 4\n"
        ).replacingOccurrences(
            of: "    prepare_exec = \"/home/gitlab-runner/podman-fedora/prepare.sh\"\n",
            with: "    prepare_exec = \"/home/gitlab-runner/podman-fedora/prepare.sh\"\n    run_exec = \"/r.sh\"\n"
                + "  [runners.feature_flags]\n    FF_X = true\n")
        #expect(document.text == expected)
    }

    @Test func dottedKeysStayDotted() throws {
        var document = try TOMLDocument("[[runners]]\n  name = \"a\"\n  custom.run_exec = \"/old\"\n")
        try document.set([(["custom", "run_exec"], .string("/new")), (["custom", "cleanup_exec"], .string("/c"))],
                         inEntryOf: "runners", where: "name", is: "a")
        #expect(document.text == "[[runners]]\n  name = \"a\"\n  custom.run_exec = \"/new\"\n  custom.cleanup_exec = \"/c\"\n")
    }

    @Test func inlineTablesAreRefusedWithAHint() throws {
        var document = try TOMLDocument("[[runners]]\n  name = \"a\"\n  custom = { run_exec = \"/old\" }\n")
        #expect(throws: TOMLError(line: 3, column: 1, "runners.custom is an inline value; write it as a [runners.custom] table so its keys can be set")) {
            try document.set([(["custom", "run_exec"], .string("/new"))], inEntryOf: "runners", where: "name", is: "a")
        }
    }

    @Test func appendingKeepsEverythingBefore() throws {
        var document = try TOMLDocument(runnerConfig)
        try document.appendEntry(
            to: "runners", comment: ["Managed by reconcile (GitLabRunner/new)."],
            settings: [(["name"], .string("new")), (["custom", "run_exec"], .string("/r.sh")), (["limit"], .integer(1))])
        #expect(document.text == runnerConfig + """

        [[runners]]
          # Managed by reconcile (GitLabRunner/new).
          name = "new"
          limit = 1
          [runners.custom]
            run_exec = "/r.sh"

        """)
        for start in ["", "a = 1", "a = 1\n"] {
            var small = try TOMLDocument(start)
            try small.appendEntry(to: "runners", comment: [], settings: [(["name"], .string("x"))])
            let separator = start.isEmpty ? "" : "a = 1\n\n"
            #expect(small.text == separator + "[[runners]]\n  name = \"x\"\n")
        }
    }

    @Test func removingAnEntryKeepsTheOthers() throws {
        var document = try TOMLDocument(runnerConfig)
        let entry = try #require(try document.entry(of: "runners", where: "name", is: "podman-fedora"))
        try document.remove(entry)
        let managedStart = try #require(runnerConfig.range(of: "\n[[runners]]\n  name = \"podman-fedora\""))
        #expect(document.text == String(runnerConfig[..<managedStart.lowerBound]))
    }

    @Test func topLevelKeys() throws {
        var document = try TOMLDocument(runnerConfig)
        try document.setTopLevel("concurrent", to: .integer(6))
        #expect(document.text == runnerConfig.replacingOccurrences(of: "concurrent = 2", with: "concurrent = 6"))
        var fresh = try TOMLDocument("# comment\n[[runners]]\n  name = \"a\"\n")
        try fresh.setTopLevel("concurrent", to: .integer(1))
        #expect(fresh.text == "concurrent = 1\n# comment\n[[runners]]\n  name = \"a\"\n")
    }
}

@Suite struct TOMLScalarTests {
    @Test func parsesWhatItRenders() {
        for value: TOMLScalar in [.string("plain"), .string("quote \" back \\ tab \t nl \n del \u{7F} é"), .integer(-42), .boolean(true)] {
            #expect(TOMLScalar.parse(value.rendered) == value)
        }
        #expect(TOMLScalar.parse("'literal \\n'") == .string("literal \\n"))
        #expect(TOMLScalar.parse("1_000") == .integer(1000))
        #expect(TOMLScalar.parse("0x1F") == .integer(31))
        #expect(TOMLScalar.parse("012") == nil)
        #expect(TOMLScalar.parse("[1, 2]") == nil)
        #expect(TOMLScalar.parse("\"a\" junk") == nil)
        #expect(TOMLScalar.quote("\u{01}") == "\"\\u0001\"")
    }
}
