#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Streams records to a file descriptor as they are added, keeping only (hash, position) per record in memory;
/// writes the tables and then the header (pwrite at offset 0) in `finish()`.
///
/// The output is byte-for-byte what tinycdb `cdb -c`, freecdb `cdbmake` and
/// python `pure-cdb` produce for the same records in the same order, so
/// generated files do not churn when the tool that builds them changes.
///
/// Records go to absolute offsets starting at 2048 (after the header); the
/// descriptor must be seekable (a regular file) and not opened with `O_APPEND`.
/// The caller owns the descriptor and closes it. Not thread-safe: one writer,
/// one thread.
public final class CDBWriter {
    /// What the writer remembers per record: enough to build the hash tables.
    struct Entry {
        var hash: UInt32
        var position: UInt32
    }

    private enum State {
        case open
        case finished
        /// A write failed; the file is in an unknown state, so refuse further use.
        case failed
    }

    private let sink: CDBSink
    /// Largest allowed file size in bytes; internal so tests can exercise the refusal cheaply.
    private let sizeLimit: UInt64
    private var entries: [Entry] = []
    private var recordCount = 0
    /// Offset where the next record starts (end of the record area so far).
    private var position = UInt64(CDBFormat.headerSize)
    private var state = State.open

    // Output buffer: records and tables are staged here and flushed in large writes.
    private let buffer: UnsafeMutableRawPointer
    private let bufferCapacity: Int
    private var buffered = 0
    /// File offset of `buffer[0]`.
    private var bufferOffset = UInt64(CDBFormat.headerSize)

    /// 256 KiB: large enough that syscalls do not show in profiles, small enough to stay in L2.
    static let defaultBufferCapacity = 256 * 1024

    /// Starts a cdb file on `fileDescriptor`, which should be an empty (or to-be-truncated)
    /// regular file; throws `.io` if the descriptor is not open.
    public convenience init(fileDescriptor: Int32) throws {
        try self.init(sink: FileDescriptorSink(fd: fileDescriptor), sizeLimit: CDBFormat.maxFileSize)
    }

    /// Same as the public initializer with a smaller size limit, so the 4 GiB refusal can be tested fast.
    convenience init(fileDescriptor: Int32, sizeLimit: UInt64) throws {
        try self.init(sink: FileDescriptorSink(fd: fileDescriptor), sizeLimit: sizeLimit)
    }

    init(sink: CDBSink, sizeLimit: UInt64, bufferCapacity: Int = CDBWriter.defaultBufferCapacity) {
        self.sink = sink
        // Never allow more than the format can address, whatever a test asks for.
        self.sizeLimit = min(sizeLimit, CDBFormat.maxFileSize)
        self.bufferCapacity = max(bufferCapacity, 64)
        self.buffer = UnsafeMutableRawPointer.allocate(byteCount: self.bufferCapacity, alignment: 16)
    }

    deinit {
        buffer.deallocate()
    }

    /// Number of records added so far.
    public var count: Int { recordCount }

    /// Appends a record. Duplicate keys are kept (lookups return the first; `values(forKey:)` all).
    /// Throws `.tooLarge` before writing anything if the finished file would pass 4 GiB;
    /// the writer stays usable after that error.
    public func add(key: some Collection<UInt8>, value: some Collection<UInt8>) throws {
        try ensureOpen()
        // Size check first, from counts alone: an oversized non-contiguous collection
        // must be refused before it is copied into memory.
        let keyLength = key.count
        let valueLength = value.count
        try checkSize(keyLength: UInt64(keyLength), valueLength: UInt64(valueLength))

        // Fast path: contiguous storage goes straight to the raw-memory core without copies.
        let handled: Void?? = try key.withContiguousStorageIfAvailable { k in
            try value.withContiguousStorageIfAvailable { v in
                try append(key: UnsafeRawBufferPointer(k), value: UnsafeRawBufferPointer(v))
            }
        }
        if case .some(.some) = handled { return }

        // Slow path for lazy or non-contiguous collections.
        let k = Array(key)
        let v = Array(value)
        guard k.count == keyLength, v.count == valueLength else {
            // A collection whose count disagrees with its contents would corrupt the record lengths.
            throw CDBError.malformed("collection count changed while adding a record")
        }
        try k.withUnsafeBytes { kb in
            try v.withUnsafeBytes { vb in
                try append(key: kb, value: vb)
            }
        }
    }

    /// Writes the hash tables and the header. After this, `add` and `finish` throw.
    public func finish() throws {
        try ensureOpen()
        do {
            try writeTablesAndHeader()
            state = .finished
        } catch {
            state = .failed
            throw error
        }
    }

    // MARK: - Internals

    private func ensureOpen() throws {
        switch state {
        case .open:
            return
        case .finished, .failed:
            // The descriptor is, for this writer, no longer writable: EBADF says so without
            // adding a case to the public error enum.
            throw CDBError.io(path: "\(sink.label) (cdb writer already finished or failed)", errno: EBADF)
        }
    }

    /// Refuses a record that would push the finished file (records plus two slots per record) past the limit.
    private func checkSize(keyLength: UInt64, valueLength: UInt64) throws {
        let recordSize = UInt64(CDBFormat.recordHeaderSize) + keyLength + valueLength
        let tables = CDBFormat.tableBytesPerRecord * UInt64(recordCount + 1)
        // Lengths come from Int counts, so none of these additions can overflow UInt64.
        let projected = position + recordSize + tables
        if projected > sizeLimit {
            throw CDBError.tooLarge(bytes: projected)
        }
    }

    /// The raw-memory core of `add`; the size check has already passed.
    private func append(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) throws {
        let start = position
        do {
            try reserve(CDBFormat.recordHeaderSize)
            buffer.storeBytes(of: UInt32(truncatingIfNeeded: key.count).littleEndian, toByteOffset: buffered, as: UInt32.self)
            buffer.storeBytes(of: UInt32(truncatingIfNeeded: value.count).littleEndian, toByteOffset: buffered + 4, as: UInt32.self)
            buffered += CDBFormat.recordHeaderSize
            try emit(key)
            try emit(value)
        } catch {
            state = .failed
            throw error
        }
        // `start` fits in UInt32: checkSize kept the whole file below sizeLimit <= UInt32.max.
        entries.append(Entry(hash: CDBHash.hash(raw: key), position: UInt32(truncatingIfNeeded: start)))
        recordCount += 1
        position = start + UInt64(CDBFormat.recordHeaderSize + key.count + value.count)
    }

    /// Makes room for `n` contiguous bytes in the buffer (n <= bufferCapacity).
    @inline(__always)
    private func reserve(_ n: Int) throws {
        if bufferCapacity - buffered < n {
            try flush()
        }
    }

    /// Copies `bytes` into the buffer, or writes them directly when they would not fit anyway.
    private func emit(_ bytes: UnsafeRawBufferPointer) throws {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        if bytes.count <= bufferCapacity - buffered {
            (buffer + buffered).copyMemory(from: source, byteCount: bytes.count)
            buffered += bytes.count
            return
        }
        try flush()
        if bytes.count >= bufferCapacity {
            // Large values skip the buffer: one write instead of many copies.
            try sink.write(bytes, at: bufferOffset)
            bufferOffset += UInt64(bytes.count)
        } else {
            buffer.copyMemory(from: source, byteCount: bytes.count)
            buffered = bytes.count
        }
    }

    private func flush() throws {
        guard buffered > 0 else { return }
        try sink.write(UnsafeRawBufferPointer(start: buffer, count: buffered), at: bufferOffset)
        bufferOffset += UInt64(buffered)
        buffered = 0
    }

    private func writeTablesAndHeader() throws {
        let n = entries.count

        // One counting pass, then a stable bucket sort by table number: every table's
        // entries end up contiguous and in insertion order, which is the order the
        // reference implementations insert them in (and so decides probe positions).
        var counts = [Int](repeating: 0, count: CDBFormat.tableCount)
        for entry in entries {
            counts[Int(entry.hash & 0xff)] += 1
        }
        var starts = [Int](repeating: 0, count: CDBFormat.tableCount)
        var running = 0
        for t in 0..<CDBFormat.tableCount {
            starts[t] = running
            running += counts[t]
        }
        // The sort moves 4-byte indices rather than 8-byte entries: it halves the
        // extra memory at the peak (all entries plus the sorted order).
        let order = [UInt32](unsafeUninitializedCapacity: n) { out, initialized in
            var next = starts
            for (index, entry) in entries.enumerated() {
                let t = Int(entry.hash & 0xff)
                out.initializeElement(at: next[t], to: UInt32(truncatingIfNeeded: index))
                next[t] += 1
            }
            initialized = n
        }

        let largest = counts.max() ?? 0
        var slots = [Entry](repeating: Entry(hash: 0, position: 0), count: 2 * largest)
        var header = [UInt8](repeating: 0, count: CDBFormat.headerSize)
        var tablePosition = position

        for t in 0..<CDBFormat.tableCount {
            let length = 2 * counts[t]
            header.withUnsafeMutableBytes { h in
                h.storeBytes(of: UInt32(truncatingIfNeeded: tablePosition).littleEndian, toByteOffset: t * 8, as: UInt32.self)
                h.storeBytes(of: UInt32(truncatingIfNeeded: length).littleEndian, toByteOffset: t * 8 + 4, as: UInt32.self)
            }
            if length == 0 { continue }
            try entries.withUnsafeBufferPointer { all in
                try order.withUnsafeBufferPointer { order in
                    try slots.withUnsafeMutableBufferPointer { table in
                        try emitTable(table, length: length, members: order[starts[t]..<(starts[t] + counts[t])], entries: all)
                    }
                }
            }
            tablePosition += UInt64(length * CDBFormat.slotSize)
        }
        entries = []
        try flush()
        try header.withUnsafeBytes { try sink.write($0, at: 0) }
        try sink.finish(size: tablePosition)
    }

    /// Fills one table by open addressing with linear probing, in insertion order, and
    /// queues its slots for output. Position 0 marks an empty slot (no record starts
    /// inside the header).
    private func emitTable(
        _ table: UnsafeMutableBufferPointer<Entry>,
        length: Int,
        members: Slice<UnsafeBufferPointer<UInt32>>,
        entries: UnsafeBufferPointer<Entry>
    ) throws {
        for i in 0..<length { table[i] = Entry(hash: 0, position: 0) }
        let divisor = UInt32(truncatingIfNeeded: length)
        for index in members {
            let entry = entries[Int(index)]
            var slot = Int((entry.hash >> 8) % divisor)
            while table[slot].position != 0 {
                slot += 1
                if slot == length { slot = 0 }
            }
            table[slot] = entry
        }
        for i in 0..<length {
            try reserve(CDBFormat.slotSize)
            buffer.storeBytes(of: table[i].hash.littleEndian, toByteOffset: buffered, as: UInt32.self)
            buffer.storeBytes(of: table[i].position.littleEndian, toByteOffset: buffered + 4, as: UInt32.self)
            buffered += CDBFormat.slotSize
        }
    }
}

extension CDBWriter {
    /// In memory, for tests and small maps.
    public static func build(_ records: some Sequence<(key: [UInt8], value: [UInt8])>) throws -> [UInt8] {
        try build(records, sizeLimit: CDBFormat.maxFileSize)
    }

    /// `build` with a custom size limit, for testing the refusal without gigabytes.
    static func build(_ records: some Sequence<(key: [UInt8], value: [UInt8])>, sizeLimit: UInt64) throws -> [UInt8] {
        let sink = MemorySink()
        let writer = CDBWriter(sink: sink, sizeLimit: sizeLimit, bufferCapacity: 64 * 1024)
        for record in records {
            try writer.add(key: record.key, value: record.value)
        }
        try writer.finish()
        return sink.bytes
    }
}
