/// Lets an existential go through `JSONEncoder`; `CanonicalEncoder` encodes the value inside.
public struct AnyEncodable: Encodable {
    public let value: any Encodable

    public init(_ value: any Encodable) {
        self.value = value
    }

    public func encode(to encoder: Encoder) throws {
        try value.encode(to: encoder)
    }
}
