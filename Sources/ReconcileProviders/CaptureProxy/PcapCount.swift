import Foundation

/// Counts the records of a pcap file as tcpdump writes it, without a pcap library: a 24-byte
/// header (magic tells the byte order), then per packet a 16-byte header whose third u32 is the
/// captured length. A record tcpdump has only half written yet is not counted.
public struct PcapCount: Sendable, Equatable {
    public var packets = 0
    /// Bytes parsed so far; the next read starts here.
    public var offset = 0
    public var bigEndian = false

    static let fileHeader = 24
    static let recordHeader = 16

    public init() {}

    /// Takes the bytes from `offset` on (the file's head included the first time).
    public mutating func consume(_ data: Data) {
        var position = data.startIndex
        if offset == 0 {
            guard data.count >= Self.fileHeader else { return }
            let magic = Array(data[position..<(position + 4)])
            guard magic == [0xd4, 0xc3, 0xb2, 0xa1] || magic == [0xa1, 0xb2, 0xc3, 0xd4]
                || magic == [0x4d, 0x3c, 0xb2, 0xa1] || magic == [0xa1, 0xb2, 0x3c, 0x4d] else { return }
            bigEndian = magic[0] == 0xa1
            position += Self.fileHeader
            offset = Self.fileHeader
        }
        while data.endIndex - position >= Self.recordHeader {
            let lengthBytes = data[(position + 8)..<(position + 12)]
            let length = lengthBytes.reversed().reduce(0) { $0 << 8 | Int($1) }
            let captured = bigEndian ? lengthBytes.reduce(0) { $0 << 8 | Int($1) } : length
            guard data.endIndex - position >= Self.recordHeader + captured else { break }
            position += Self.recordHeader + captured
            offset += Self.recordHeader + captured
            packets += 1
        }
    }
}
