import Foundation
@testable import ReconcileCore
import ReconcileProviders
import Testing

/// `kind: Values` and `${…}` references: merging per host, typed substitution, every error at
/// both places.
@Suite struct ValuesTests {
    static let mx1 = HostIdentity(name: "mx1.example.org", labels: ["role": "mx", "zone": "a"])
    static let mx2 = HostIdentity(name: "mx2.example.org", labels: ["role": "mx"])
    static let ci1 = HostIdentity(name: "ci1.example.org", labels: ["role": "ci"])

    func load(_ text: String, hosts: [HostIdentity] = [mx1, mx2, ci1]) -> LoadedManifests {
        ManifestLoader(registry: Providers.registry).load(files: [("m.yaml", Array(text.utf8))], hosts: hosts)
    }

    func headlines(_ loaded: LoadedManifests) -> [String] { loaded.diagnostics.sorted.map(\.headline) }

    func spec<T>(_ loaded: LoadedManifests, _ address: String, for host: HostIdentity, as type: T.Type) throws -> T {
        let resource = try #require(loaded.resources.first { $0.address.description == address && $0.meta.applies(to: host) })
        return try #require(resource.spec as? T)
    }

    static let layered = """
        kind: Values
        name: everyone
        values: {concurrency: 1, greeting: hello, mode: "0644"}
        ---
        kind: Values
        name: mail
        hosts: {labels: {role: mx}}
        values: {concurrency: 2}
        ---
        kind: Values
        name: zone-a-mail
        hosts: {labels: {role: mx, zone: a}}
        values: {concurrency: 3}
        ---
        kind: Values
        name: mx2-only
        hosts: [mx2.example.org]
        values: {concurrency: 4}
        """

    @Test func theMostSpecificSelectionWinsPerName() throws {
        let loaded = load(Self.layered)
        #expect(headlines(loaded).isEmpty, "\(rendered(loaded))")
        let byHost = Dictionary(uniqueKeysWithValues: loaded.values.map { ($0.host.name, ValueReport($0)) })
        #expect(byHost["ci1.example.org"]?.values["concurrency"]?.value == .number(1))
        #expect(byHost["mx1.example.org"]?.values["concurrency"]?.value == .number(3), "two labels beat one")
        #expect(byHost["mx2.example.org"]?.values["concurrency"]?.value == .number(4), "a name beats labels")
        #expect(byHost["mx2.example.org"]?.values["concurrency"]?.document == "mx2-only")
        #expect(byHost["mx2.example.org"]?.values["concurrency"]?.source == "m.yaml:18:23")
        #expect(byHost["mx1.example.org"]?.values["greeting"]?.value == .string("hello"), "names not set closer come from further")
    }

    @Test func equallySpecificDocumentsThatDisagreeAreAnErrorAtBoth() {
        let loaded = load("""
            kind: Values
            name: one
            hosts: {labels: {role: mx}}
            values: {size: 1G}
            ---
            kind: Values
            name: two
            hosts: {labels: {zone: a}}
            values: {size: 2G}
            ---
            kind: Values
            name: agrees
            hosts: {labels: {role: mx}}
            values: {size: 1G}
            """)
        let problems = loaded.diagnostics.sorted
        #expect(problems.count == 1)
        #expect(problems.first?.headline == "m.yaml:9:16: error: values.size: values.size is set differently for host mx1.example.org by two Values documents selected equally specifically (by 1 label): one and two; set it once, or select one of them more specifically (a host name beats labels, more labels beat fewer)")
        #expect(problems.first?.notes.map(\.mark.description) == ["m.yaml:4:16"])
    }

    @Test func aWholeReferenceTakesTheValuesTypeAndPartsAreText() throws {
        let loaded = load(Self.layered + """

            ---
            kind: File
            name: motd
            path: /etc/motd
            content: "${values.greeting} from ${host.name} in ${host.labels.role}, $${not.a.reference}\\n"
            mode: ${values.mode}
            """, hosts: [Self.mx1, Self.ci1])
        #expect(headlines(loaded).isEmpty, "\(rendered(loaded))")
        let mx1 = try spec(loaded, "File/motd", for: Self.mx1, as: FileSpec.self)
        #expect(mx1.content == Data("hello from mx1.example.org in mx, ${not.a.reference}\n".utf8))
        #expect(mx1.mode == 0o644)
        let ci1 = try spec(loaded, "File/motd", for: Self.ci1, as: FileSpec.self)
        #expect(ci1.content == Data("hello from ci1.example.org in ci, ${not.a.reference}\n".utf8))
        #expect(loaded.resources.filter { $0.address.name == "motd" }.count == 2, "one resource per host")
    }

    @Test func aNumberAListAndAMapArriveTyped() throws {
        let loaded = load("""
            kind: Values
            name: v
            values:
              port: 9100
              limit: 1d
              rotation: {megabytes: 10, files: 3}
            ---
            kind: CaptureProxy
            name: app
            socket: /run/app.sock
            proxy: /run/app.sock.proxy
            port: ${values.port}
            pcap: /var/lib/capture/app.pcap
            timeLimit: ${values.limit}
            rotate: ${values.rotation}
            """, hosts: [Self.mx1])
        #expect(headlines(loaded).isEmpty, "\(rendered(loaded))")
        let proxy = try spec(loaded, "CaptureProxy/app", for: Self.mx1, as: CaptureProxySpec.self)
        #expect(proxy.port == 9100 && proxy.timeLimit == 86_400 && proxy.rotate == .init(megabytes: 10, files: 3))
    }

    @Test func everyReferenceProblemAtOnceWithDidYouMean() {
        let loaded = load("""
            kind: Values
            name: v
            values: {greeting: hi, list: [a, b]}
            ---
            kind: File
            name: f
            path: /etc/f
            content: "${values.greting} ${host.labels.zone} ${values.list} ${env.HOME}"
            """, hosts: [Self.mx2])
        #expect(headlines(loaded) == [
            "m.yaml:8:11: error: content: values.greting is not defined for host mx2.example.org (defined: greeting, list); did you mean \"greeting\"?",
            "m.yaml:8:29: error: content: host mx2.example.org has no label zone (its labels: role)",
            "m.yaml:8:49: error: content: values.list is a sequence: only a scalar can be part of a longer string (use it alone as the whole value)",
            "m.yaml:8:64: error: content: \"${env.HOME}\" is not a reference: write ${values.NAME}, ${host.name} or ${host.labels.KEY} (no expressions; \"$${\" for a literal \"${\")",
        ].sorted(), "\(headlines(loaded))")
    }

    @Test func malformedReferencesAreErrorsAtTheirColumn() {
        let loaded = load("kind: File\nname: f\npath: /etc/f\ncontent: \"ok ${env.HOME}\"\n---\nkind: File\nname: g\npath: /etc/g\ncontent: x ${values.a\n", hosts: [Self.mx1])
        #expect(headlines(loaded) == [
            "m.yaml:4:14: error: content: \"${env.HOME}\" is not a reference: write ${values.NAME}, ${host.name} or ${host.labels.KEY} (no expressions; \"$${\" for a literal \"${\")",
            "m.yaml:9:12: error: content: \"${\" is not closed by \"}\" (write \"$${\" for a literal \"${\")",
        ])
    }

    @Test func cyclesBetweenValuesAreNamed() {
        let loaded = load("""
            kind: Values
            name: v
            values: {a: "${values.b}", b: "x${values.c}", c: "${values.a}", fine: "${values.d}", d: "${host.name}"}
            """, hosts: [Self.mx1])
        let messages = loaded.diagnostics.sorted.map(\.message)
        #expect(messages.contains { $0.contains("values refer to each other in a cycle: values.a → values.b → values.c → values.a") }, "\(messages)")
        let report = ValueReport(loaded.values[0])
        #expect(report.values["fine"]?.value == .string("mx1.example.org"), "values may use the host and other values")
    }

    @Test func aKindsErrorAboutAValueShowsTheUseAndTheDefinition() {
        let loaded = load("kind: Values\nname: v\nvalues: {mode: \"999\"}\n---\nkind: File\nname: f\npath: /etc/f\ncontent: x\nmode: ${values.mode}\n", hosts: [Self.mx1])
        let problem = loaded.diagnostics.sorted.first
        #expect(problem?.headline == "m.yaml:9:7: error: mode: \"999\" is not an octal mode like \"0644\"")
        #expect(problem?.notes.map { "\($0.mark): \($0.message)" } == ["m.yaml:3:16: values.mode is defined here (in v)"])
    }

    @Test func aProblemOnlySomeHostsHaveNamesThem() {
        let loaded = load("kind: File\nname: f\npath: /etc/f\ncontent: \"${host.labels.zone}\"\n", hosts: [Self.mx1, Self.mx2, Self.ci1])
        #expect(headlines(loaded) == [
            "m.yaml:4:11: error: content: host mx2.example.org has no label zone (its labels: role)",
            "m.yaml:4:11: error: content: host ci1.example.org has no label zone (its labels: role)",
        ], "\(headlines(loaded))")
        let shared = load("kind: Values\nname: v\nhosts: {labels: {role: mx}}\nvalues: {mode: \"999\"}\n---\nkind: Values\nname: w\nhosts: {labels: {role: ci}}\nvalues: {mode: \"0644\"}\n---\nkind: File\nname: f\npath: /etc/f\ncontent: x\nmode: ${values.mode}\n")
        #expect(headlines(shared) == ["m.yaml:15:7: error: mode: \"999\" is not an octal mode like \"0644\" (for hosts mx1.example.org, mx2.example.org)"])
        #expect(loaded.resources.filter { $0.meta.applies(to: Self.mx1) }.count == 1)
    }

    @Test func aResourceForSomeHostsIsResolvedOnlyForThem() {
        let loaded = load("kind: File\nname: f\npath: /etc/f\nhosts: {labels: {zone: a}}\ncontent: \"${host.labels.zone}\"\n")
        #expect(headlines(loaded).isEmpty, "hosts without the label do not get the resource, so never resolve it")
        #expect(loaded.declared.count == 1 && loaded.declared.first?.meta.resolvedFor == "mx1.example.org")
    }

    @Test func valueNamesAndTheValuesKeyAreChecked() {
        let loaded = load("kind: Values\nname: v\nvalues: {9lives: x, ok: y}\n---\nkind: Values\nname: w\nvalues: [a]\n---\nkind: Values\nvalues: {a: 1}\n", hosts: [Self.mx1])
        #expect(headlines(loaded) == [
            "m.yaml:3:10: error: values: \"9lives\" is not a value name (letters, digits and _, not first a digit)",
            "m.yaml:7:9: error: values: expected a mapping of value names to values, like {cacheSize: 200M}",
            "m.yaml:9:1: error: name: missing required key \"name\"",
        ], "\(headlines(loaded))")
    }

    @Test func manifestsWithoutReferencesAreDecodedOnceForAllHosts() {
        let loaded = load("kind: File\nname: f\npath: /etc/f\ncontent: \"$ {not} a reference\"\n")
        #expect(loaded.declared.count == 1 && loaded.declared.first?.meta.resolvedFor == nil)
    }
}
