import Foundation
import ReconcileCore
import ReconcileProviders
import Testing

/// `reconcile explain` reads the schemas editors use, and says what the providers accept.
@Suite struct ExplainTests {
    @Test func listsEveryKindOfTheRegistryAndTheDocumentKinds() throws {
        let run = try reconcile(["explain"])
        #expect(run.status == 0, "\(run.stderr)")
        let listed = run.stdout.split(separator: "\n").dropFirst().compactMap { $0.split(separator: " ").first.map(String.init) }
        #expect(Set(listed) == Set(Providers.registry.kinds + ["Values", "ResourceGroup", "Use"]), "\(listed)")
    }

    @Test func eachKindsKeysAreThoseItsProviderAccepts() throws {
        for provider in Providers.registry.providers {
            let run = try reconcile(["explain", provider.kind])
            #expect(run.status == 0, "\(provider.kind): \(run.stderr)")
            // Top-level keys are indented by two spaces exactly.
            let lines = run.stdout.split(separator: "\n").drop { !$0.hasPrefix("Keys (") }.dropFirst()
            let keys = lines.filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") && $0.contains(": ") }
                .compactMap { $0.dropFirst(2).split(separator: ":").first.map(String.init) }
            #expect(Set(keys) == Set(provider.keys), "\(provider.kind): \(keys)")
        }
    }

    @Test func oneNestedKeyWithItsValues() throws {
        let run = try reconcile(["explain", "LogicalVolume", "cache.mode"])
        #expect(run.stdout.hasPrefix("LogicalVolume.cache.mode: one of \"writeback\", \"writethrough\", \"passthrough\" (required)\n"), "\(run.stdout)")
        let port = try reconcile(["explain", "capturePROXY", "port"])
        #expect(port.stdout.contains("CaptureProxy.port: integer\n") && port.stdout.contains("minimum 1") && port.stdout.contains("maximum 65535"), "\(port.stdout)")
    }

    @Test func examplesAsAManifestWritesThemOnOneLine() throws {
        let options = try reconcile(["explain", "Filesystem", "options"])
        #expect(options.stdout.hasSuffix("\n  e.g. [\"-L\", \"data\"]\n"), "\(options.stdout)")
        let rotate = try reconcile(["explain", "CaptureProxy", "rotate"])
        #expect(rotate.stdout.hasSuffix("\n  e.g. {\"files\": 10, \"megabytes\": 100}\n"), "\(rotate.stdout)")
        // A unit file's line breaks stay escaped: every line after the first is indented under the key.
        let content = try reconcile(["explain", "SystemdUnit", "content"])
        #expect(content.stdout.split(separator: "\n").dropFirst().allSatisfy { $0.hasPrefix("  ") }
            && content.stdout.contains("  e.g. \"[Unit]\\nDescription="), "\(content.stdout)")
    }

    /// A key written as `allOf [$ref]` to carry its own examples keeps its definition's pattern.
    @Test func wrappedKeysKeepTheirDefinitionsPattern() throws {
        let home = try reconcile(["explain", "GitLabRunner", "home"])
        #expect(home.stdout.contains("\n  pattern ^/[A-Za-z0-9._/+-]*$\n  e.g. "), "\(home.stdout)")
        let path = try reconcile(["explain", "File", "path"])
        #expect(path.stdout.contains("\n  pattern ^/\n  e.g. \"/etc/motd\""), "\(path.stdout)")
    }

    @Test func unknownKindsAndKeysGetTheClosest() throws {
        let kind = try reconcile(["explain", "Fiel"])
        #expect(kind.status == 1 && kind.stderr.contains("unknown kind \"Fiel\"; did you mean \"File\"?"), "\(kind.stderr)")
        let key = try reconcile(["explain", "File", "pth"])
        #expect(key.status == 1 && key.stderr.contains("File has no key \"pth\"; did you mean \"path\"?"), "\(key.stderr)")
        let nowhere = try reconcile(["explain"], environment: ["RECONCILE_SCHEMAS": "/nonexistent"])
        #expect(nowhere.status == 0, "the source tree's schemas are still found beside the build")
    }
}
