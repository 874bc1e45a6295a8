#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole cdb file held in memory. The header and table bounds are checked
/// once at init so lookups need only cheap per-record checks; nothing in a
/// hostile file can make it read out of bounds or trap.
public struct CDBReader: Sendable {
    private let bytes: [UInt8]
    /// End of the record area: the position of table 0, which every writer
    /// places right after the last record (cdbdump relies on this too).
    private let recordsEnd: Int

    /// Number of records: half the total slot count, since writers give every
    /// record two slots. Equal to the record count for files any cdb maker wrote.
    public let count: Int

    /// Validates the header and that every non-empty table lies inside the file.
    public init(bytes: [UInt8]) throws {
        guard bytes.count >= CDBFormat.headerSize else {
            throw CDBError.malformed("truncated header: file has \(bytes.count) bytes, the header alone needs \(CDBFormat.headerSize)")
        }
        let size = UInt64(bytes.count)
        var slotTotal = 0
        var end = 0
        try bytes.withUnsafeBytes { file in
            for t in 0..<CDBFormat.tableCount {
                let position = UInt64(file.loadLE(at: t * 8))
                let length = UInt64(file.loadLE(at: t * 8 + 4))
                if t == 0 {
                    guard position >= UInt64(CDBFormat.headerSize), position <= size else {
                        throw CDBError.malformed("record area end (table 0 position) \(position) is outside 2048...\(size)")
                    }
                    end = Int(position)
                }
                guard length > 0 else { continue }
                guard position >= UInt64(CDBFormat.headerSize),
                      position + length * UInt64(CDBFormat.slotSize) <= size
                else {
                    throw CDBError.malformed("table \(t) (\(length) slots at \(position)) lies outside the \(size)-byte file")
                }
                slotTotal += Int(length)
            }
        }
        self.bytes = bytes
        self.recordsEnd = end
        self.count = slotTotal / 2
    }

    /// Reads the whole file at `path` (cdb maps for Exim are small; reading beats mmap lifetimes).
    public init(contentsOf path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CDBError.io(path: path, errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw CDBError.io(path: path, errno: errno) }
        let expected = Int(st.st_size)
        var readError: Int32 = 0
        let data = [UInt8](unsafeUninitializedCapacity: expected) { buffer, initialized in
            initialized = 0
            guard let base = buffer.baseAddress else { return }
            while initialized < expected {
                let n = read(fd, base + initialized, expected - initialized)
                if n < 0 {
                    if errno == EINTR { continue }
                    readError = errno
                    return
                }
                if n == 0 { return }  // file shrank underneath us; validation judges what we got
                initialized += n
            }
        }
        if readError != 0 { throw CDBError.io(path: path, errno: readError) }
        try self.init(bytes: data)
    }

    /// The first value stored under `key`, found through the hash table.
    public func value(forKey key: some Collection<UInt8>) -> [UInt8]? {
        var result: [UInt8]?
        withKey(key) { k in
            lookup(k) { value in
                result = Array(value)
                return false
            }
        }
        return result
    }

    /// Every value stored under `key`, in insertion order.
    public func values(forKey key: some Collection<UInt8>) -> [[UInt8]] {
        var result: [[UInt8]] = []
        withKey(key) { k in
            lookup(k) { value in
                result.append(Array(value))
                return true
            }
        }
        return result
    }

    /// Every record in file (insertion) order, by scanning the record area; validates lengths.
    public func records() throws -> [(key: [UInt8], value: [UInt8])] {
        var result: [(key: [UInt8], value: [UInt8])] = []
        result.reserveCapacity(count)
        let end = recordsEnd
        try bytes.withUnsafeBytes { file in
            var p = CDBFormat.headerSize
            while p < end {
                guard end - p >= CDBFormat.recordHeaderSize else {
                    throw CDBError.malformed("record header at \(p) runs past the end of the record area (\(end))")
                }
                let keyLength = Int(file.loadLE(at: p))
                let valueLength = Int(file.loadLE(at: p + 4))
                let keyStart = p + CDBFormat.recordHeaderSize
                guard keyLength <= end - keyStart, valueLength <= end - keyStart - keyLength else {
                    throw CDBError.malformed("record at \(p) (key \(keyLength) bytes, value \(valueLength) bytes) runs past the end of the record area (\(end))")
                }
                let valueStart = keyStart + keyLength
                result.append((
                    key: Array(UnsafeRawBufferPointer(rebasing: file[keyStart..<valueStart])),
                    value: Array(UnsafeRawBufferPointer(rebasing: file[valueStart..<(valueStart + valueLength)]))
                ))
                p = valueStart + valueLength
            }
        }
        return result
    }

    // MARK: - Internals

    /// Gives `body` the key as raw memory, copying only if the collection is not contiguous.
    private func withKey(_ key: some Collection<UInt8>, _ body: (UnsafeRawBufferPointer) -> Void) {
        if key.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) != nil {
            return
        }
        Array(key).withUnsafeBytes(body)
    }

    /// Walks the probe sequence for `key`, calling `found` with each matching value
    /// until it returns false, an empty slot ends the chain, or every slot was visited.
    /// Records that point outside the file are skipped, never trusted.
    private func lookup(_ key: UnsafeRawBufferPointer, _ found: (UnsafeRawBufferPointer) -> Bool) {
        let h = CDBHash.hash(raw: key)
        bytes.withUnsafeBytes { file in
            let t = Int(h & 0xff)
            let tablePosition = Int(file.loadLE(at: t * 8))
            let length = Int(file.loadLE(at: t * 8 + 4))
            guard length > 0 else { return }
            // Bounds of the table were validated in init.
            var slot = Int((h >> 8) % UInt32(truncatingIfNeeded: length))
            for _ in 0..<length {
                let slotOffset = tablePosition + slot * CDBFormat.slotSize
                let recordPosition = Int(file.loadLE(at: slotOffset + 4))
                if recordPosition == 0 { return }
                if file.loadLE(at: slotOffset) == h,
                   let value = recordValue(file, at: recordPosition, ifKeyIs: key),
                   !found(value) {
                    return
                }
                slot += 1
                if slot == length { slot = 0 }
            }
        }
    }

    /// The value of the record at `position` if its key equals `key` and it lies inside the file.
    @inline(__always)
    private func recordValue(_ file: UnsafeRawBufferPointer, at position: Int, ifKeyIs key: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        let size = file.count
        guard position <= size - CDBFormat.recordHeaderSize else { return nil }
        let keyLength = Int(file.loadLE(at: position))
        guard keyLength == key.count else { return nil }
        let valueLength = Int(file.loadLE(at: position + 4))
        let keyStart = position + CDBFormat.recordHeaderSize
        guard keyLength <= size - keyStart, valueLength <= size - keyStart - keyLength else { return nil }
        if keyLength > 0 {
            guard let stored = file.baseAddress, let wanted = key.baseAddress,
                  memcmp(stored + keyStart, wanted, keyLength) == 0
            else { return nil }
        }
        let valueStart = keyStart + keyLength
        return UnsafeRawBufferPointer(rebasing: file[valueStart..<(valueStart + valueLength)])
    }
}

extension UnsafeRawBufferPointer {
    /// A little-endian UInt32 at any alignment; callers guarantee `offset + 4 <= count`.
    @inline(__always)
    func loadLE(at offset: Int) -> UInt32 {
        UInt32(littleEndian: loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
}
