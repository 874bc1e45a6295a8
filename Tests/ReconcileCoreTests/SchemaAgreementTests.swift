import Foundation
@testable import ReconcileCore
import ReconcileProviders
import Testing

/// The JSON Schemas editors and CI use must say what the providers accept: the same kinds,
/// and for each kind the same top-level keys.
@Suite struct SchemaAgreementTests {
    static let schemas = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("schemas")
    static let commonKeys: Set<String> = ["kind", "name", "state", "dependsOn", "hosts"]

    func json(_ relative: String) throws -> [String: Any] {
        let data = try Data(contentsOf: Self.schemas.appendingPathComponent(relative))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func theManifestSchemaListsEveryKindOfTheRegistry() throws {
        let manifest = try json("manifest.schema.json")
        let kinds = ((manifest["properties"] as? [String: Any])?["kind"] as? [String: Any])?["enum"] as? [String]
        // Values, group and Use documents are read by the loader itself, not by a provider.
        let documentKinds = Providers.registry.kinds + [ValuesDocument.kind, ResourceGroup.kind, GroupUse.kind]
        #expect(Set(try #require(kinds)) == Set(documentKinds))
        let refs = (manifest["allOf"] as? [[String: Any]])?.compactMap { ($0["then"] as? [String: Any])?["$ref"] as? String }
        #expect(Set(try #require(refs)) == Set(documentKinds.map { "kinds/\($0).schema.json" }))
        for (kind, keys) in [(ValuesDocument.kind, ValuesDocument.keys), (ResourceGroup.kind, ResourceGroup.keys), (GroupUse.kind, GroupUse.keys)] {
            let schema = try json("kinds/\(kind).schema.json")
            #expect(Set(try #require(schema["properties"] as? [String: Any]).keys) == Set(keys), "\(kind)")
        }
    }

    @Test func eachKindsSchemaHasExactlyTheKeysItsProviderAccepts() throws {
        for provider in Providers.registry.providers {
            let schema = try json("kinds/\(provider.kind).schema.json")
            let properties = try #require(schema["properties"] as? [String: Any], "\(provider.kind)")
            #expect(Set(properties.keys).subtracting(Self.commonKeys) == Set(provider.keys), "\(provider.kind)")
            #expect(schema["additionalProperties"] as? Bool == false, "\(provider.kind) must refuse unknown keys")
        }
    }
}
