/// `Kind/name`: how resources are named in manifests, `dependsOn`, plans and facts.
public struct ResourceAddress: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let kind: String
    public let name: String

    public init(kind: String, name: String) {
        self.kind = kind
        self.name = name
    }

    /// Splits at the first `/` only, since names may contain slashes (`storage/slowlv`).
    public init?(parsing text: String) {
        guard let slash = text.firstIndex(of: "/") else { return nil }
        let kind = String(text[..<slash])
        let name = String(text[text.index(after: slash)...])
        guard !kind.isEmpty, !name.isEmpty else { return nil }
        self.init(kind: kind, name: name)
    }

    public var description: String { "\(kind)/\(name)" }

    public static func < (lhs: ResourceAddress, rhs: ResourceAddress) -> Bool {
        (lhs.kind, lhs.name) < (rhs.kind, rhs.name)
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let parsed = ResourceAddress(parsing: text) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "\"\(text)\" is not a Kind/name address"))
        }
        self = parsed
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// `state:` of a resource.
public enum ResourceState: String, Codable, Sendable, CaseIterable {
    case present = "present"
    case absent = "absent"
}
