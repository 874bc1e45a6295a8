import Foundation
import ReconcileCore
import ReconcileProviders
import Testing

/// `hosts:` on resources and files: which resources a host gets, and checks across resources
/// made per host, so resources meant for different hosts never conflict.
@Suite struct HostSelectionTests {
    static let mx1 = HostIdentity(name: "mx1.example.org", labels: ["role": "mx"])
    static let mx2 = HostIdentity(name: "mx2.example.org", labels: ["role": "mx", "env": "staging"])
    static let ci1 = HostIdentity(name: "ci1.example.org", labels: ["role": "ci"])

    func load(_ text: String, hosts: [HostIdentity]?) -> LoadedManifests {
        ManifestLoader(registry: Providers.registry).load(files: [("m.yaml", Array(text.utf8))], hosts: hosts)
    }

    @Test func selectorsMatchNamesAndLabels() {
        #expect(HostSelector(names: ["mx*.example.org"]).matches(Self.mx1))
        #expect(!HostSelector(names: ["mx*.example.org"]).matches(Self.ci1))
        #expect(HostSelector(labels: ["role": "mx"]).matches(Self.mx2))
        #expect(!HostSelector(labels: ["role": "mx", "env": "prod"]).matches(Self.mx2))
        #expect(HostSelector(names: ["ci1.*", "mx2.*"], labels: ["env": "staging"]).matches(Self.mx2))
        #expect(HostSelector().matches(Self.ci1), "an empty selector is every host")
    }

    @Test func oneHostGetsOnlyItsResources() throws {
        let loaded = load("""
            kind: File
            name: motd
            path: /etc/motd
            content: "all\\n"
            ---
            kind: File
            name: relay
            path: /etc/relay
            content: "mx\\n"
            hosts: {labels: {role: mx}}
            ---
            kind: File
            name: staging
            path: /etc/staging
            content: "s\\n"
            hosts: ["mx2.*"]
            """, hosts: [Self.mx1])
        #expect(!loaded.diagnostics.hasErrors, "\(rendered(loaded))")
        #expect(loaded.resources.map(\.address.name) == ["motd", "relay"])
        #expect(loaded.declared.count == 3)
    }

    @Test func aFileScopeLimitsEveryResourceOfItsFile() {
        let text = """
            hosts: {labels: {role: ci}}
            ---
            kind: File
            name: runner-note
            path: /etc/runner-note
            content: "x"
            ---
            kind: File
            name: ci1-only
            path: /etc/only
            content: "y"
            hosts: [ci1.example.org]
            """
        #expect(load(text, hosts: [Self.mx1]).resources.isEmpty)
        #expect(load(text, hosts: [Self.ci1]).resources.map(\.address.name) == ["runner-note", "ci1-only"])
        let misplaced = load("kind: File\nname: a\npath: /a\ncontent: x\n---\nhosts: [x]\n", hosts: [Self.mx1])
        #expect(misplaced.diagnostics.items.map(\.message) == ["a document of only hosts: limits its whole file and must come first in it"])
    }

    /// Two Files on one path are fine for different hosts, an error where one host gets both.
    @Test func conflictsAreCheckedPerHostAndNameTheirHosts() {
        let text = """
            kind: File
            name: motd-mx
            path: /etc/motd
            content: "mx\\n"
            hosts: {labels: {role: mx}}
            ---
            kind: File
            name: motd-ci
            path: /etc/motd
            content: "ci\\n"
            hosts: {labels: {role: ci}}
            ---
            kind: File
            name: motd-staging
            path: /etc/motd
            content: "staging\\n"
            hosts: {labels: {env: staging}}
            """
        let loaded = load(text, hosts: [Self.mx1, Self.mx2, Self.ci1])
        #expect(loaded.diagnostics.items.map(\.message) == ["/etc/motd is already managed by File/motd-mx (on host mx2.example.org)"])
        #expect(!load(text, hosts: [Self.mx1, Self.ci1]).diagnostics.hasErrors)
    }

    @Test func aDependencyOnAnotherHostsResourceSaysSo() {
        let loaded = load("""
            kind: File
            name: ci-conf
            path: /etc/ci
            content: x
            hosts: {labels: {role: ci}}
            ---
            kind: File
            name: motd
            path: /etc/motd
            content: y
            dependsOn: [File/ci-conf]
            """, hosts: [Self.mx1, Self.ci1])
        #expect(rendered(loaded) == """
            m.yaml:11:13: error: dependsOn[0]: File/ci-conf does not apply to host mx1.example.org (its hosts: labels role=ci), but this resource does (on host mx1.example.org)
            11 | dependsOn: [File/ci-conf]
               |             ^~~~~~~~~~~~
            1 error, 0 warnings

            """)
    }

    @Test func badSelectorsAreErrorsAtTheirPlace() {
        let loaded = load("""
            kind: File
            name: a
            path: /a
            content: x
            hosts: {names: ["mx 1"], labels: {1role: mx, env: [a, b]}, roles: [x]}
            """, hosts: nil)
        #expect(loaded.diagnostics.items.map { "\($0.keyPath): \($0.message)" } == [
            "hosts.roles: unknown key",
            "hosts.names[0]: \"mx 1\" is not a host name pattern",
            "hosts.labels: \"1role\" is not a label key (letters, digits, . _ - /)",
            "hosts.labels.env: a label value is a string",
        ])
    }

    @Test func labelsParse() throws {
        #expect(try HostLabels.parse("role=mx").key == "role")
        #expect(try HostLabels.parse("dc = west ").value == "west")
        #expect(throws: ReconcileError.notAllowed("label \"role\" is not KEY=VALUE")) { try HostLabels.parse("role") }
    }
}
