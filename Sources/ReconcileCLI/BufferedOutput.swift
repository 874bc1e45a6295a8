import Foundation
import ReconcileCore

/// Bytes to a file descriptor in large writes: a plan streamed a change at a time would
/// otherwise be tens of thousands of small writes.
final class BufferedOutput {
    private let descriptor: Int32
    /// Named in errors: "standard output", or the file written.
    private let name: String
    private var buffer: [UInt8] = []
    private let capacity = 1 << 16

    init(descriptor: Int32, name: String) {
        self.descriptor = descriptor
        self.name = name
        buffer.reserveCapacity(capacity)
    }

    func write(_ data: Data) throws {
        buffer.append(contentsOf: data)
        if buffer.count >= capacity { try flush() }
    }

    func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= capacity { try flush() }
    }

    func flush() throws {
        try buffer.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Foundation.write(descriptor, bytes.baseAddress?.advanced(by: offset), bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw ReconcileError.io(path: name, operation: "write", errno: errno)
                }
                offset += written
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
