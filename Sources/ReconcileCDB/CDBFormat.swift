/// Layout constants of the cdb format, shared by the writer and the reader so
/// the two can never disagree.
enum CDBFormat {
    /// 256 (position, length) pairs of little-endian UInt32.
    static let headerSize = 2048
    /// Number of hash tables; a record goes to table `hash & 255`.
    static let tableCount = 256
    /// `klen` and `vlen`, each a little-endian UInt32.
    static let recordHeaderSize = 8
    /// A hash-table slot: (hash, record position), each a little-endian UInt32.
    static let slotSize = 8
    /// Each record costs two slots in its table (tables are half full).
    static let tableBytesPerRecord: UInt64 = 2 * UInt64(slotSize)
    /// Positions are UInt32, so the file has to end at or before this offset;
    /// "below 4 GiB" means at most 2^32 - 1 bytes.
    static let maxFileSize: UInt64 = UInt64(UInt32.max)
}
