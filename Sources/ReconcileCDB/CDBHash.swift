/// The cdb hash (Bernstein's "times 33 xor"), which decides both the table and
/// the starting slot of a record; it has to match every other cdb implementation
/// bit for bit, so it is kept in one place.
public enum CDBHash {
    /// The initial value defined by the cdb format.
    static let seed: UInt32 = 5381

    /// Hashes `bytes` as cdb does: `h = 5381; h = ((h << 5) + h) ^ byte`, wrapping at 32 bits.
    public static func hash<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        // Contiguous inputs (arrays, buffers, UTF-8 views) take the pointer loop,
        // which avoids one generic iterator call per byte across module boundaries.
        if let h = bytes.withContiguousStorageIfAvailable({ hash(raw: UnsafeRawBufferPointer($0)) }) {
            return h
        }
        var h = seed
        for byte in bytes {
            h = ((h &<< 5) &+ h) ^ UInt32(byte)
        }
        return h
    }

    /// The non-generic core used by the writer and reader on raw memory.
    @inline(__always)
    static func hash(raw bytes: UnsafeRawBufferPointer) -> UInt32 {
        var h = seed
        for byte in bytes {
            h = ((h &<< 5) &+ h) ^ UInt32(byte)
        }
        return h
    }
}
