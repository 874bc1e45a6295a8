import Foundation

/// Facts files in two cheap steps instead of Foundation's: bytes → `JSONValue` by a strict parser,
/// and `JSONValue` → typed values by a `Decoder` that reads the tree directly. Before, a facts
/// plan decoded every resource's facts twice through JSONDecoder (a third of `plan --facts`).
/// Both only ever answer with what Foundation would answer: anything unusual (a malformed
/// document, a number that is not a plain integer where an integer is wanted, a type JSONDecoder
/// treats specially) gives nil, and the caller asks Foundation, which also words the errors.
public enum FastJSON {
    /// Foundation's nesting limit; deeper documents are left to it (it refuses them).
    static let maximumDepth = 512

    public static func parse(_ data: Data) -> JSONValue? {
        data.withUnsafeBytes { raw in
            var parser = Parser(bytes: raw.bindMemory(to: UInt8.self))
            guard let value = parser.value(depth: 0) else { return nil }
            parser.skipWhitespace()
            return parser.position == parser.bytes.count ? value : nil
        }
    }

    /// A typed value from a tree; nil where JSONDecoder might decide otherwise.
    public static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) -> T? {
        try? TreeDecoder.decode(type, from: value)
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var position = 0

        init(bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
        }

        mutating func skipWhitespace() {
            while position < bytes.count, [0x20, 0x09, 0x0a, 0x0d].contains(bytes[position]) { position += 1 }
        }

        private mutating func literal(_ text: StaticString) -> Bool {
            let count = text.utf8CodeUnitCount
            guard position + count <= bytes.count else { return false }
            for offset in 0..<count where bytes[position + offset] != text.utf8Start[offset] { return false }
            position += count
            return true
        }

        mutating func value(depth: Int) -> JSONValue? {
            skipWhitespace()
            guard position < bytes.count, depth < FastJSON.maximumDepth else { return nil }
            switch bytes[position] {
            case UInt8(ascii: "{"): return object(depth: depth + 1)
            case UInt8(ascii: "["): return array(depth: depth + 1)
            case UInt8(ascii: "\""): return string().map(JSONValue.string)
            case UInt8(ascii: "t"): return literal("true") ? .bool(true) : nil
            case UInt8(ascii: "f"): return literal("false") ? .bool(false) : nil
            case UInt8(ascii: "n"): return literal("null") ? .null : nil
            default: return number().map(JSONValue.number)
            }
        }

        private mutating func object(depth: Int) -> JSONValue? {
            position += 1
            var members: [String: JSONValue] = [:]
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
                position += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\""), let key = string() else { return nil }
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { return nil }
                position += 1
                // A repeated key: which one Foundation keeps is its business.
                guard let member = value(depth: depth), members.updateValue(member, forKey: key) == nil else { return nil }
                skipWhitespace()
                guard position < bytes.count else { return nil }
                position += 1
                switch bytes[position - 1] {
                case UInt8(ascii: ","): continue
                case UInt8(ascii: "}"): return .object(members)
                default: return nil
                }
            }
        }

        private mutating func array(depth: Int) -> JSONValue? {
            position += 1
            var items: [JSONValue] = []
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                position += 1
                return .array(items)
            }
            while true {
                guard let item = value(depth: depth) else { return nil }
                items.append(item)
                skipWhitespace()
                guard position < bytes.count else { return nil }
                position += 1
                switch bytes[position - 1] {
                case UInt8(ascii: ","): continue
                case UInt8(ascii: "]"): return .array(items)
                default: return nil
                }
            }
        }

        /// Plain runs are copied whole; escapes other than the common ones, and raw control
        /// characters (which Foundation refuses), give nil.
        private mutating func string() -> String? {
            position += 1
            var text: [UInt8] = []
            var start = position
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    text.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<position]))
                    position += 1
                    return String(validating: text, as: UTF8.self)
                }
                guard byte >= 0x20 else { return nil }
                guard byte == UInt8(ascii: "\\") else {
                    position += 1
                    continue
                }
                text.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<position]))
                guard position + 1 < bytes.count else { return nil }
                let escaped: UInt8
                switch bytes[position + 1] {
                case UInt8(ascii: "\""): escaped = UInt8(ascii: "\"")
                case UInt8(ascii: "\\"): escaped = UInt8(ascii: "\\")
                case UInt8(ascii: "/"): escaped = UInt8(ascii: "/")
                case UInt8(ascii: "b"): escaped = 0x08
                case UInt8(ascii: "f"): escaped = 0x0c
                case UInt8(ascii: "n"): escaped = 0x0a
                case UInt8(ascii: "r"): escaped = 0x0d
                case UInt8(ascii: "t"): escaped = 0x09
                default: return nil  // \u and anything else: Foundation's
                }
                text.append(escaped)
                position += 2
                start = position
            }
            return nil
        }

        /// JSON's number grammar exactly; the value as Double parses it, as JSONDecoder's does.
        private mutating func number() -> Double? {
            let start = position
            func digits() -> Int {
                let first = position
                while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
                return position - first
            }
            if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
            let integerStart = position
            let integerDigits = digits()
            guard integerDigits > 0, integerDigits == 1 || bytes[integerStart] != UInt8(ascii: "0") else { return nil }
            if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
                position += 1
                guard digits() > 0 else { return nil }
            }
            if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
                position += 1
                if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") { position += 1 }
                guard digits() > 0 else { return nil }
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
            guard let number = Double(text), number.isFinite else { return nil }
            return number
        }
    }
}

/// Reads a `JSONValue` tree as JSONDecoder reads the same JSON text.
private struct TreeDecoder: Decoder {
    let value: JSONValue
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// Nothing to report: any failure sends the caller to Foundation.
    struct Unanswered: Error {}

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else { throw Unanswered() }
        return KeyedDecodingContainer(KeyedContainer<Key>(members: members))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let items) = value else { throw Unanswered() }
        return UnkeyedContainer(items: items)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleValueContainer(value: value)
    }

    /// Types JSONDecoder decodes its own way; `JSONValue` itself is the subtree as it is.
    static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        if T.self == JSONValue.self, let tree = value as? T { return tree }
        guard type != Data.self, type != Date.self, type != URL.self, type != Decimal.self else { throw Unanswered() }
        return try T(from: TreeDecoder(value: value))
    }

    static func bool(_ value: JSONValue) throws -> Bool {
        guard case .bool(let flag) = value else { throw Unanswered() }
        return flag
    }

    static func string(_ value: JSONValue) throws -> String {
        guard case .string(let text) = value else { throw Unanswered() }
        return text
    }

    static func double(_ value: JSONValue) throws -> Double {
        guard case .number(let number) = value else { throw Unanswered() }
        return number
    }

    /// Integers only when the number is a whole one that Double holds exactly (below 2^53);
    /// bigger ones JSONEncoder writes with an exponent, and those are left to Foundation.
    static func integer<Number: FixedWidthInteger>(_ value: JSONValue) throws -> Number {
        guard case .number(let number) = value, number.magnitude < 9_007_199_254_740_992,
              let integer = Number(exactly: number) else { throw Unanswered() }
        return integer
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [String: JSONValue]
    var codingPath: [any CodingKey] { [] }
    var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }

    private func member(_ key: Key) throws -> JSONValue {
        guard let value = members[key.stringValue] else { throw TreeDecoder.Unanswered() }
        return value
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        if case .null = try member(key) { return true }
        return false
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try TreeDecoder.bool(try member(key)) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try TreeDecoder.string(try member(key)) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try TreeDecoder.double(try member(key)) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { throw TreeDecoder.Unanswered() }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try TreeDecoder.integer(try member(key)) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try TreeDecoder.integer(try member(key)) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try TreeDecoder.integer(try member(key)) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try TreeDecoder.integer(try member(key)) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try TreeDecoder.integer(try member(key)) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try TreeDecoder.integer(try member(key)) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try TreeDecoder.integer(try member(key)) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try TreeDecoder.integer(try member(key)) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try TreeDecoder.integer(try member(key)) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try TreeDecoder.integer(try member(key)) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try TreeDecoder.decode(type, from: try member(key)) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try TreeDecoder(value: try member(key)).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try TreeDecoder(value: try member(key)).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { throw TreeDecoder.Unanswered() }
    func superDecoder(forKey key: Key) throws -> any Decoder { throw TreeDecoder.Unanswered() }
}

/// The reads unkeyed and single-value containers share, each from `nextValue()`.
private protocol PositionalSource {
    func nextValue() throws -> JSONValue
}

extension PositionalSource {
    func decode(_ type: Bool.Type) throws -> Bool { try TreeDecoder.bool(try nextValue()) }
    func decode(_ type: String.Type) throws -> String { try TreeDecoder.string(try nextValue()) }
    func decode(_ type: Double.Type) throws -> Double { try TreeDecoder.double(try nextValue()) }
    func decode(_ type: Float.Type) throws -> Float { throw TreeDecoder.Unanswered() }
    func decode(_ type: Int.Type) throws -> Int { try TreeDecoder.integer(try nextValue()) }
    func decode(_ type: Int8.Type) throws -> Int8 { try TreeDecoder.integer(try nextValue()) }
    func decode(_ type: Int16.Type) throws -> Int16 { try TreeDecoder.integer(try nextValue()) }
    func decode(_ type: Int32.Type) throws -> Int32 { try TreeDecoder.integer(try nextValue()) }
    func decode(_ type: Int64.Type) throws -> Int64 { try TreeDecoder.integer(try nextValue()) }
    func decode(_ type: UInt.Type) throws -> UInt { try TreeDecoder.integer(try nextValue()) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try TreeDecoder.integer(try nextValue()) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try TreeDecoder.integer(try nextValue()) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try TreeDecoder.integer(try nextValue()) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try TreeDecoder.integer(try nextValue()) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try TreeDecoder.decode(type, from: try nextValue()) }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer, PositionalSource {
    /// A class, so the shared non-mutating reads can advance it.
    private final class Cursor {
        var index = 0
    }

    let items: [JSONValue]
    private let cursor = Cursor()
    var codingPath: [any CodingKey] { [] }
    var count: Int? { items.count }
    var isAtEnd: Bool { cursor.index >= items.count }
    var currentIndex: Int { cursor.index }

    init(items: [JSONValue]) {
        self.items = items
    }

    func nextValue() throws -> JSONValue {
        guard !isAtEnd else { throw TreeDecoder.Unanswered() }
        cursor.index += 1
        return items[cursor.index - 1]
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else { throw TreeDecoder.Unanswered() }
        guard case .null = items[cursor.index] else { return false }
        cursor.index += 1
        return true
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try TreeDecoder(value: try nextValue()).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try TreeDecoder(value: try nextValue()).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder { throw TreeDecoder.Unanswered() }
}

private struct SingleValueContainer: SingleValueDecodingContainer, PositionalSource {
    let value: JSONValue
    var codingPath: [any CodingKey] { [] }

    func nextValue() -> JSONValue { value }

    func decodeNil() -> Bool {
        if case .null = value { return true }
        return false
    }
}
