import ReconcileJSON
import ReconcileYAML

/// What `reconcile values` prints for one host, and plans record: each value as JSON, with the
/// Values document and `file:line:column` it came from.
public struct ValueReport: Codable, Sendable, Equatable {
    public struct Value: Codable, Sendable, Equatable {
        public var value: JSONValue
        public var document: String
        public var source: String

        private enum CodingKeys: String, CodingKey {
            case value = "value", document = "document", source = "source"
        }
    }

    public var host: String
    public var labels: [String: String]
    public var values: [String: Value]

    public init(_ values: HostValues) {
        host = values.host.name
        labels = values.host.labels
        var result: [String: Value] = [:]
        for (name, definition) in values.definitions {
            guard let node = values.resolved[name] else { continue }
            result[name] = Value(value: node.jsonValue, document: definition.document, source: definition.node.mark.description)
        }
        self.values = result
    }
}

extension Node {
    /// The YAML 1.2 core schema's reading: plain null, booleans and integers typed, the rest strings
    /// (the kinds read no floats).
    var jsonValue: JSONValue {
        switch value {
        case .scalar(let text, _):
            if isNull { return .null }
            if let bool { return .bool(bool) }
            if let int { return .number(Double(int)) }
            return .string(text)
        case .sequence(let items):
            return .array(items.map(\.jsonValue))
        case .mapping(let pairs):
            var object: [String: JSONValue] = [:]
            for (key, value) in pairs { object[key.scalar ?? "?"] = value.jsonValue }
            return .object(object)
        }
    }
}
