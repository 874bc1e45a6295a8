import Foundation
import ReconcileJSON

/// A kind's keys as its JSON Schema documents them: what `reconcile explain` prints, read from
/// the same files editors and check-jsonschema use, so the two cannot disagree.
public struct KindDocumentation: Sendable, Equatable {
    public struct Key: Sendable, Equatable {
        /// Dotted for nested keys: `cache.mode`.
        public let path: String
        public let type: String
        public let required: Bool
        public let description: String
        /// Allowed values, patterns, examples: what a reader needs beyond the type.
        public let details: [String]
    }

    public let kind: String
    public let description: String
    public let keys: [Key]

    /// The folder holding `manifest.schema.json` and `kinds/`: `$RECONCILE_SCHEMAS`, the
    /// package's, or the source tree's above a development build (`.build/…/debug/reconcile`).
    public static func schemaFolder(environment: [String: String], executable: String) -> String? {
        var candidates = [environment["RECONCILE_SCHEMAS"], "/usr/share/reconcile/schemas"].compactMap { $0 }
        var folder = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            folder = folder.deletingLastPathComponent()
            candidates.append(folder.appendingPathComponent("schemas").path)
        }
        return candidates.first { FileManager.default.fileExists(atPath: "\($0)/manifest.schema.json") }
    }

    /// Every kind a manifest may name, from `manifest.schema.json`.
    public static func kinds(in folder: String) throws -> [String] {
        guard case .object(let manifest) = try load("\(folder)/manifest.schema.json"),
              case .object(let properties)? = manifest["properties"], case .object(let kind)? = properties["kind"],
              case .array(let names)? = kind["enum"] else {
            throw ReconcileError.notAllowed("\(folder)/manifest.schema.json does not list the kinds")
        }
        return names.compactMap { if case .string(let name) = $0 { return name } else { return nil } }
    }

    public init(kind: String, folder: String) throws {
        guard case .object(let schema) = try Self.load("\(folder)/kinds/\(kind).schema.json") else {
            throw ReconcileError.notAllowed("\(folder)/kinds/\(kind).schema.json is not a schema")
        }
        let common = try? Self.load("\(folder)/common.schema.json")
        let local = schema["$defs"]
        self.kind = kind
        description = schema["description"]?.stringValue ?? ""
        var keys: [Key] = []
        Self.collect(schema, prefix: "", common: common, local: local, into: &keys)
        self.keys = keys
    }

    static let commonKeys: Set<String> = ["kind", "name", "state", "dependsOn", "hosts"]

    private static func collect(
        _ schema: [String: JSONValue], prefix: String, common: JSONValue?, local: JSONValue?, into keys: inout [Key]
    ) {
        guard case .object(let properties)? = schema["properties"] else { return }
        let required = Set(schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        for (name, value) in properties.sorted(by: { $0.key < $1.key }) {
            guard case .object(let property) = value, !prefix.isEmpty || !commonKeys.contains(name) else { continue }
            let path = prefix + name
            let shape = valueShape(property)
            let resolved = shape["$ref"]?.stringValue.flatMap { resolve($0, common: common, local: local) } ?? shape
            let description = property["description"]?.stringValue ?? resolved["description"]?.stringValue ?? ""
            let lookUp = { (reference: String) in resolve(reference, common: common, local: local) }
            keys.append(Key(
                path: path, type: typeName(resolved, lookUp: lookUp), required: required.contains(name), description: description,
                details: details(resolved, lookUp: lookUp)))
            collect(resolved, prefix: path + ".", common: common, local: local, into: &keys)
        }
    }

    /// A key's own schema, without the `anyOf [value, reference]` every key has.
    static func valueShape(_ property: [String: JSONValue]) -> [String: JSONValue] {
        guard let alternatives = property["anyOf"]?.arrayValue else { return property }
        let own = alternatives.compactMap { value -> [String: JSONValue]? in
            guard case .object(let object) = value, object["$ref"]?.stringValue?.hasSuffix("$defs/reference") != true else { return nil }
            return object
        }
        return own.count == 1 ? own[0] : property
    }

    /// `#/$defs/size` (the kind's own) or `../common.schema.json#/$defs/mode` → that definition.
    private static func resolve(_ reference: String, common: JSONValue?, local: JSONValue?) -> [String: JSONValue]? {
        guard let name = reference.split(separator: "/").last else { return nil }
        let definitions: JSONValue?
        if reference.hasPrefix("#/$defs/") {
            definitions = local
        } else if reference.contains("common.schema.json#/$defs/"), case .object(let root)? = common {
            definitions = root["$defs"]
        } else {
            return nil
        }
        guard case .object(let all)? = definitions, case .object(let definition)? = all[String(name)] else { return nil }
        return definition
    }

    /// `lookUp` resolves a `$ref` to its definition.
    static func typeName(_ schema: [String: JSONValue], lookUp: (String) -> [String: JSONValue]?) -> String {
        if let reference = schema["$ref"]?.stringValue {
            return lookUp(reference).map { typeName($0, lookUp: lookUp) } ?? "any"
        }
        if let type = schema["type"]?.stringValue {
            if type == "array", case .object(let items)? = schema["items"] { return "list of \(typeName(items, lookUp: lookUp))" }
            if type == "object", schema["properties"] == nil { return "map" }
            return type
        }
        if let alternatives = (schema["oneOf"] ?? schema["anyOf"])?.arrayValue {
            return alternatives.compactMap { if case .object(let object) = $0 { return typeName(object, lookUp: lookUp) } else { return nil } }
                .joined(separator: " or ")
        }
        if let values = schema["enum"]?.arrayValue { return values.isEmpty ? "value" : "one of " + values.map(\.shortDescription).joined(separator: ", ") }
        if schema["const"] != nil { return "constant" }
        if let all = schema["allOf"]?.arrayValue, case .object(let first)? = all.first { return typeName(first, lookUp: lookUp) }
        return "any"
    }

    /// `lookUp` resolves a `$ref`: a key written as `allOf [$ref]` (to carry examples of its own)
    /// keeps its definition's pattern and bounds.
    static func details(_ schema: [String: JSONValue], lookUp: (String) -> [String: JSONValue]?) -> [String] {
        var limits = schema
        for part in schema["allOf"]?.arrayValue ?? [] {
            guard case .object(let object) = part else { continue }
            let definition = object["$ref"]?.stringValue.flatMap(lookUp) ?? object
            for key in ["pattern", "minimum", "maximum"] where limits[key] == nil { limits[key] = definition[key] }
        }
        var details: [String] = []
        if let pattern = limits["pattern"]?.stringValue { details.append("pattern \(pattern)") }
        if case .number(let minimum)? = limits["minimum"] { details.append("minimum \(JSONValue.number(minimum).shortDescription)") }
        if case .number(let maximum)? = limits["maximum"] { details.append("maximum \(JSONValue.number(maximum).shortDescription)") }
        if let examples = schema["examples"]?.arrayValue, !examples.isEmpty {
            details.append("e.g. " + examples.map(exampleText).joined(separator: ", "))
        }
        return details
    }

    /// An example on one line, as a manifest may write it (JSON, which YAML reads too): strings
    /// quoted with line breaks escaped, lists and maps in full; each cut at 120 characters.
    static func exampleText(_ example: JSONValue) -> String {
        let text = flowText(example)
        return text.count > 120 ? String(text.prefix(119)) + "…" : text
    }

    private static func flowText(_ value: JSONValue) -> String {
        switch value {
        case .string(let text):
            return (try? CanonicalJSON.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "\"\(text)\""
        case .array(let values):
            return "[" + values.map(flowText).joined(separator: ", ") + "]"
        case .object(let members):
            return "{" + members.sorted { $0.key < $1.key }.map { flowText(.string($0.key)) + ": " + flowText($0.value) }
                .joined(separator: ", ") + "}"
        case .null, .bool, .number:
            return value.shortDescription
        }
    }

    static func load(_ path: String) throws -> JSONValue {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ReconcileError.io(path: path, operation: "read", errno: ENOENT)
        }
        return try JSONDecoder().decode(JSONValue.self, from: data)
    }
}

extension JSONValue {
    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var arrayValue: [JSONValue]? {
        if case .array(let values) = self { return values }
        return nil
    }
}
