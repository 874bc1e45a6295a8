import Foundation

/// Writes the exact bytes `CanonicalJSON.encode` (Foundation's `JSONEncoder`, sorted keys, slashes
/// unescaped) writes, for the plain structs observations are made of, at a fraction of the cost:
/// every probed resource is encoded once for its fingerprint, and Foundation's encoder was a sixth
/// of a no-op plan. Anything whose encoding Foundation treats specially (floating point, `Data`,
/// `Date`, `URL`, `Decimal`, super encoders) is refused with `nil`, and the caller falls back.
public enum CanonicalEncoder {
    /// `dataAsString`: how `Data` is written when it is not refused (a plan document writes a
    /// reference to its content table; JSONEncoder's `.custom` strategy must write the same).
    public static func encode<T: Encodable>(_ value: T, dataAsString: ((Data) -> String)? = nil) -> [UInt8]? {
        let state = EncodingState(dataAsString: dataAsString)
        let root = Holder()
        guard (try? encodeValue(value, into: root, state: state)) != nil, !state.refused, let tree = root.tree else {
            return nil
        }
        var output: [UInt8] = []
        output.reserveCapacity(512)
        tree.write(to: &output)
        return output
    }

    /// `text` as a JSON string, the bytes `encode(text)` gives, appended: for writers that
    /// stream large documents a piece at a time.
    public static func append(string text: String, to output: inout [UInt8]) {
        Tree.writeString(text, to: &output)
    }

    /// Types JSONEncoder encodes its own way rather than through their `encode(to:)`.
    private static func isSpecial<T>(_ type: T.Type) -> Bool {
        type == Data.self || type == Date.self || type == URL.self || type == Decimal.self
    }

    fileprivate static func encodeValue<T: Encodable>(_ value: T, into holder: Holder, state: EncodingState) throws {
        if let data = value as? Data, let dataAsString = state.dataAsString {
            holder.tree = .string(dataAsString(data))
            return
        }
        if isSpecial(T.self) { throw state.refuse() }
        let unwrapped = (value as? AnyEncodable)?.value ?? value
        if let writable = unwrapped as? any CanonicalJSONWritable {
            var object = CanonicalJSONObject()
            writable.writeCanonicalJSON(to: &object)
            holder.tree = .raw(object.finished())
            return
        }
        try value.encode(to: ValueEncoder(holder: holder, state: state))
    }

    /// The tree of a nested value; Foundation writes `{}` for one that encoded nothing, left to it.
    fileprivate static func tree<T: Encodable>(of value: T, state: EncodingState) throws -> Tree {
        let holder = Holder()
        try encodeValue(value, into: holder, state: state)
        guard let tree = holder.tree else { throw state.refuse() }
        return tree
    }
}

/// A type that writes its own canonical JSON, skipping the Encoder machinery: for the few types
/// encoded once per resource (a file's facts). It must write what its `Codable` conformance
/// writes through JSONEncoder; debug builds compare every such encoding with JSONEncoder's.
public protocol CanonicalJSONWritable: Encodable {
    func writeCanonicalJSON(to object: inout CanonicalJSONObject)
}

/// One JSON object written key by key; keys must come in UTF-8 order, and nil values are left
/// out as synthesized `Codable` leaves them out.
public struct CanonicalJSONObject {
    private var bytes: [UInt8] = [UInt8(ascii: "{")]
    private var lastKey: String?

    init() {
        bytes.reserveCapacity(256)
    }

    private mutating func key(_ key: String) {
        assert(lastKey.map { ObjectBox.compareUTF8($0, key) < 0 } ?? true, "keys out of order at \(key)")
        lastKey = key
        if bytes.count > 1 { bytes.append(UInt8(ascii: ",")) }
        Tree.writeString(key, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    /// Nil values are left out, as JSONEncoder leaves out nil optionals.
    private mutating func add<Value>(_ key: String, _ value: Value?, write: (Value, inout [UInt8]) -> Void) {
        guard let value else { return }
        self.key(key)
        write(value, &bytes)
    }

    public mutating func add(_ key: String, _ value: String?) {
        add(key, value) { Tree.writeString($0, to: &$1) }
    }

    public mutating func add(_ key: String, _ value: Bool?) {
        add(key, value) { Tree.bool($0).write(to: &$1) }
    }

    /// Integers of any width as JSONEncoder writes them: their description.
    public mutating func add<Number: FixedWidthInteger>(_ key: String, _ value: Number?) {
        add(key, value) { $1.append(contentsOf: String($0).utf8) }
    }

    // The widths observations use, without the generic description (most of an object's cost).
    public mutating func add(_ key: String, _ value: UInt32?) { add(key, value.map(UInt64.init)) }
    public mutating func add(_ key: String, _ value: Int?) { add(key, value.map(Int64.init)) }

    public mutating func add(_ key: String, _ value: UInt64?) {
        add(key, value) { Tree.unsigned($0).write(to: &$1) }
    }

    public mutating func add(_ key: String, _ value: Int64?) {
        add(key, value) { Tree.signed($0).write(to: &$1) }
    }

    fileprivate consuming func finished() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }
}

/// Shared by every container of one encoding: set when something needs Foundation's own rules.
private final class EncodingState {
    var refused = false
    let dataAsString: ((Data) -> String)?

    init(dataAsString: ((Data) -> String)?) {
        self.dataAsString = dataAsString
    }

    struct Refused: Error {}

    func refuse() -> Refused {
        refused = true
        return Refused()
    }

    /// Super encoders write into the same container in Foundation; not needed by any observation.
    func refusedEncoder() -> any Encoder {
        refused = true
        return ValueEncoder(holder: Holder(), state: self)
    }
}

/// A JSON value under construction; objects and arrays are filled in by their containers.
private enum Tree {
    case null
    case bool(Bool)
    case signed(Int64)
    case unsigned(UInt64)
    case string(String)
    case array(ArrayBox)
    case object(ObjectBox)
    /// Already written by a `CanonicalJSONWritable`.
    case raw([UInt8])

    func write(to output: inout [UInt8]) {
        switch self {
        case .raw(let bytes): output.append(contentsOf: bytes)
        case .null: output.append(contentsOf: "null".utf8)
        case .bool(let flag): output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .signed(let number):
            if number < 0 { output.append(UInt8(ascii: "-")) }
            Self.writeDigits(number.magnitude, to: &output)
        case .unsigned(let number): Self.writeDigits(number, to: &output)
        case .string(let text): Self.writeString(text, to: &output)
        case .array(let box):
            output.append(UInt8(ascii: "["))
            for (index, item) in box.items.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                item.write(to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let box):
            output.append(UInt8(ascii: "{"))
            let entries = box.takeSortedEntries()
            for (index, entry) in entries.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                Self.writeString(entry.key, to: &output)
                output.append(UInt8(ascii: ":"))
                entry.value.write(to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    static func writeDigits(_ number: UInt64, to output: inout [UInt8]) {
        guard number >= 10 else {
            output.append(UInt8(ascii: "0") + UInt8(number))
            return
        }
        writeDigits(number / 10, to: &output)
        output.append(UInt8(ascii: "0") + UInt8(number % 10))
    }

    /// Lowercase, as Foundation writes the digits of a `\u00XX` escape.
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Whether any byte of `word` is below `limit` (at most 0x80): exact for "any", the classic
    /// `(x - 0x01…·limit) & ~x & 0x80…`.
    @inline(__always)
    static func hasByte(below limit: UInt8, in word: UInt64) -> Bool {
        (word &- 0x0101_0101_0101_0101 &* UInt64(limit)) & ~word & 0x8080_8080_8080_8080 != 0
    }

    @inline(__always)
    static func hasByte(equalTo byte: UInt8, in word: UInt64) -> Bool {
        hasByte(below: 1, in: word ^ (0x0101_0101_0101_0101 &* UInt64(byte)))
    }

    /// Foundation's escapes: quote, backslash, the short control escapes, `\u00XX` for the rest below 0x20.
    static func writeString(_ text: String, to output: inout [UInt8]) {
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        output.append(quote)
        var text = text
        text.withUTF8 { bytes in
            var start = 0
            var index = 0
            let count = bytes.count
            let raw = UnsafeRawBufferPointer(bytes)
            while index < count {
                // Eight bytes at a time past those that need no escape (a file's content, mostly):
                // none below 0x20 (a borrow into its high bit), none equal to a quote or backslash.
                while index + 8 <= count {
                    let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                    if Self.hasByte(below: 0x20, in: word) || Self.hasByte(equalTo: quote, in: word)
                        || Self.hasByte(equalTo: backslash, in: word) { break }
                    index += 8
                }
                guard index < count else { break }
                let byte = bytes[index]
                index += 1
                guard byte < 0x20 || byte == quote || byte == backslash else { continue }
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<(index - 1)]))
                start = index
                output.append(backslash)
                switch byte {
                case quote, backslash: output.append(byte)
                case 0x08: output.append(UInt8(ascii: "b"))
                case 0x0c: output.append(UInt8(ascii: "f"))
                case 0x0a: output.append(UInt8(ascii: "n"))
                case 0x0d: output.append(UInt8(ascii: "r"))
                case 0x09: output.append(UInt8(ascii: "t"))
                default:
                    output.append(contentsOf: "u00".utf8)
                    output.append(hexDigits[Int(byte >> 4)])
                    output.append(hexDigits[Int(byte & 0x0f)])
                }
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
        output.append(quote)
    }
}

/// Where a single value lands: the root, or a nested value before it joins its container.
private final class Holder {
    var tree: Tree?
}

private final class ArrayBox {
    var items: [Tree] = []
}

private final class ObjectBox {
    var entries: [(key: String, value: Tree)] = []

    init() {
        entries.reserveCapacity(12)
    }

    /// Sorted by the keys' UTF-8 bytes, as Foundation sorts; of a key written twice the last wins.
    /// Called once, when the tree is written: takes the entries rather than copying them.
    func takeSortedEntries() -> [(key: String, value: Tree)] {
        var sorted = entries
        entries = []
        var duplicates = false
        // Insertion sort: a struct's keys are few; stable, so the later of two equal keys stays after the earlier.
        for index in sorted.indices.dropFirst() {
            var position = index
            while position > 0 {
                let order = Self.compareUTF8(sorted[position].key, sorted[position - 1].key)
                if order == 0 { duplicates = true }
                guard order < 0 else { break }
                sorted.swapAt(position, position - 1)
                position -= 1
            }
        }
        guard duplicates else { return sorted }
        var unique: [(key: String, value: Tree)] = []
        for entry in sorted {
            if let last = unique.last, last.key == entry.key { unique.removeLast() }
            unique.append(entry)
        }
        return unique
    }

    /// memcmp order of the UTF-8 bytes, shorter first on a common prefix.
    static func compareUTF8(_ first: String, _ second: String) -> Int {
        let fast = first.utf8.withContiguousStorageIfAvailable { a in
            second.utf8.withContiguousStorageIfAvailable { b in compare(a, b) }
        }
        if let order = fast ?? nil { return order }
        return compare(Array(first.utf8), Array(second.utf8))
    }

    private static func compare<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Int {
        for (left, right) in zip(a, b) where left != right {
            return Int(left) - Int(right)
        }
        return a.count - b.count
    }
}

private struct ValueEncoder: Encoder {
    let holder: Holder
    let state: EncodingState
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(KeyedContainer(box: objectBox(), state: state))
    }

    private func objectBox() -> ObjectBox {
        if case .object(let box) = holder.tree { return box }
        if holder.tree != nil { state.refused = true }
        let box = ObjectBox()
        holder.tree = .object(box)
        return box
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array(let box) = holder.tree { return UnkeyedContainer(box: box, state: state) }
        if holder.tree != nil { state.refused = true }
        let box = ArrayBox()
        holder.tree = .array(box)
        return UnkeyedContainer(box: box, state: state)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleValueContainer(holder: holder, state: state)
    }
}

/// The primitive writes the keyed container takes, each appended under its key.
private protocol KeyedSink {
    associatedtype Key: CodingKey
    var state: EncodingState { get }
    func put(_ tree: Tree, _ key: Key)
}

extension KeyedSink {
    mutating func encodeNil(forKey key: Key) throws { put(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { put(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { put(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { throw state.refuse() }
    mutating func encode(_ value: Float, forKey key: Key) throws { throw state.refuse() }
    mutating func encode(_ value: Int, forKey key: Key) throws { put(.signed(Int64(value)), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { put(.signed(Int64(value)), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { put(.signed(Int64(value)), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { put(.signed(Int64(value)), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { put(.signed(value), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { put(.unsigned(UInt64(value)), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { put(.unsigned(UInt64(value)), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { put(.unsigned(UInt64(value)), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { put(.unsigned(UInt64(value)), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { put(.unsigned(value), key) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        put(try CanonicalEncoder.tree(of: value, state: state), key)
    }
}

/// The same for unkeyed and single-value containers.
private protocol PositionalSink {
    var state: EncodingState { get }
    func put(_ tree: Tree) throws
}

extension PositionalSink {
    mutating func encodeNil() throws { try put(.null) }
    mutating func encode(_ value: Bool) throws { try put(.bool(value)) }
    mutating func encode(_ value: String) throws { try put(.string(value)) }
    mutating func encode(_ value: Double) throws { throw state.refuse() }
    mutating func encode(_ value: Float) throws { throw state.refuse() }
    mutating func encode(_ value: Int) throws { try put(.signed(Int64(value))) }
    mutating func encode(_ value: Int8) throws { try put(.signed(Int64(value))) }
    mutating func encode(_ value: Int16) throws { try put(.signed(Int64(value))) }
    mutating func encode(_ value: Int32) throws { try put(.signed(Int64(value))) }
    mutating func encode(_ value: Int64) throws { try put(.signed(value)) }
    mutating func encode(_ value: UInt) throws { try put(.unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt8) throws { try put(.unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt16) throws { try put(.unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt32) throws { try put(.unsigned(UInt64(value))) }
    mutating func encode(_ value: UInt64) throws { try put(.unsigned(value)) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        try put(try CanonicalEncoder.tree(of: value, state: state))
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol, KeyedSink {
    let box: ObjectBox
    let state: EncodingState
    var codingPath: [any CodingKey] { [] }

    func put(_ tree: Tree, _ key: Key) { box.entries.append((key.stringValue, tree)) }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type, forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let nested = ObjectBox()
        put(.object(nested), key)
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(box: nested, state: state))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested = ArrayBox()
        put(.array(nested), key)
        return UnkeyedContainer(box: nested, state: state)
    }

    mutating func superEncoder() -> any Encoder { state.refusedEncoder() }
    mutating func superEncoder(forKey key: Key) -> any Encoder { state.refusedEncoder() }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer, PositionalSink {
    let box: ArrayBox
    let state: EncodingState
    var codingPath: [any CodingKey] { [] }
    var count: Int { box.items.count }

    func put(_ tree: Tree) { box.items.append(tree) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let nested = ObjectBox()
        put(.object(nested))
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(box: nested, state: state))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested = ArrayBox()
        put(.array(nested))
        return UnkeyedContainer(box: nested, state: state)
    }

    mutating func superEncoder() -> any Encoder { state.refusedEncoder() }
}

private struct SingleValueContainer: SingleValueEncodingContainer, PositionalSink {
    let holder: Holder
    let state: EncodingState
    var codingPath: [any CodingKey] { [] }

    /// A second value into one container is Foundation's precondition failure; refuse instead.
    func put(_ tree: Tree) throws {
        guard holder.tree == nil else { throw state.refuse() }
        holder.tree = tree
    }
}
