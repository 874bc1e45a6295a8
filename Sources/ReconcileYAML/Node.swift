/// How a scalar was written; needed because only plain scalars are
/// implicitly typed (`"true"` is a string, `true` is a boolean).
public enum ScalarStyle: Sendable, Hashable {
    case plain, singleQuoted, doubleQuoted, literal, folded
}

/// One composed YAML node with its source position.
///
/// Immutable, so a class behaves as a value: copying a node (readers and lookups do it for
/// every key of every resource) is one retain instead of one per string it holds. An alias
/// shares the anchored node's value rather than copying it, so aliases cost nothing until a
/// consumer walks them.
public final class Node: Sendable {
    public enum Value: Sendable {
        case scalar(String, ScalarStyle)
        case sequence([Node])
        /// Pairs in source order; YAML mappings are ordered in the text and
        /// error messages should follow that order.
        case mapping([(key: Node, value: Node)])
    }

    public let value: Value
    /// Start of the node. For an alias, where the alias is written.
    public let mark: Mark
    /// End of the node (exclusive), as libyaml reports it.
    public let endMark: Mark
    /// Explicit tag (`!`, `tag:yaml.org,2002:str`, …), nil when none was written.
    public let tag: String?

    /// Public so other modules' tests can build trees without YAML text.
    public init(value: Value, mark: Mark, endMark: Mark, tag: String? = nil) {
        self.value = value
        self.mark = mark
        self.endMark = endMark
        self.tag = tag
    }
}

extension Node {
    static let nullTag = "tag:yaml.org,2002:null"
    static let boolTag = "tag:yaml.org,2002:bool"
    static let intTag = "tag:yaml.org,2002:int"

    /// The text if this is a scalar.
    public var scalar: String? {
        if case .scalar(let text, _) = value { return text }
        return nil
    }

    /// The text of a scalar that may be implicitly typed under `typeTag`:
    /// untagged plain scalars, or any scalar explicitly tagged `typeTag`.
    private func resolvable(as typeTag: String) -> String? {
        guard case .scalar(let text, let style) = value else { return nil }
        if let tag { return tag == typeTag ? text : nil }
        return style == .plain ? text : nil
    }

    /// YAML 1.2 core null: plain `""`, `~`, `null`, `Null`, `NULL`, or tagged `!!null`.
    public var isNull: Bool {
        if tag == Node.nullTag, case .scalar = value { return true }
        guard let text = resolvable(as: Node.nullTag) else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(text)
    }

    /// YAML 1.2 core booleans only; `yes`/`on` stay strings to avoid the
    /// YAML 1.1 "Norway problem".
    public var bool: Bool? {
        switch resolvable(as: Node.boolTag) {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }

    /// YAML 1.2 core integers: `[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`.
    /// Nil on overflow rather than a wrapped value.
    public var int: Int? {
        guard let text = resolvable(as: Node.intTag), !text.isEmpty else { return nil }
        if text.hasPrefix("0o") { return Node.parseDigits(text.dropFirst(2), radix: 8) }
        if text.hasPrefix("0x") { return Node.parseDigits(text.dropFirst(2), radix: 16) }
        var digits = Substring(text)
        if let first = digits.first, first == "-" || first == "+" { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) }) else { return nil }
        // Int(_:) accepts the sign and handles Int.min; nil on overflow.
        return Int(text)
    }

    /// Strict digit parsing: `Int(_:radix:)` alone would accept signs and
    /// `_` is not allowed in YAML 1.2 core.
    private static func parseDigits(_ digits: Substring, radix: Int) -> Int? {
        guard !digits.isEmpty,
              digits.unicodeScalars.allSatisfy({ $0.isASCII && $0.properties.isASCIIHexDigit })
        else { return nil }
        return Int(digits, radix: radix)
    }

    public var sequence: [Node]? {
        if case .sequence(let items) = value { return items }
        return nil
    }

    public var mapping: [(key: Node, value: Node)]? {
        if case .mapping(let pairs) = value { return pairs }
        return nil
    }

    /// First value whose key is a scalar with this text; duplicate keys are
    /// reported at load time, so "first" is unambiguous in valid input.
    public subscript(key: String) -> Node? {
        mapping?.first(where: { $0.key.scalar == key })?.value
    }

    /// For messages like "expected a mapping, found a sequence".
    public var kindName: String {
        switch value {
        case .scalar: return "scalar"
        case .sequence: return "sequence"
        case .mapping: return "mapping"
        }
    }
}

/// One document of a YAML stream.
public struct YAMLDocument: Sendable {
    /// The content; an empty document has a null plain scalar root.
    public let root: Node
    /// True when the document has no content at all (`---` then `---`, or only comments).
    public let isEmpty: Bool
    /// Where the document starts (its `---`, or its first token when implicit).
    public let mark: Mark
    /// 0-based position in the stream.
    public let index: Int

    public init(root: Node, isEmpty: Bool, mark: Mark, index: Int) {
        self.root = root
        self.isEmpty = isEmpty
        self.mark = mark
        self.index = index
    }
}
