#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a `CDBWriter` puts its bytes. Writes address absolute file offsets
/// because the header is only known at the end and goes back to offset 0.
/// Called once per buffer flush, not per record, so the dynamic dispatch is cheap.
protocol CDBSink: AnyObject {
    /// Writes all of `bytes` at `offset`.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws
    /// Called once after the header is written; `size` is the final file size.
    func finish(size: UInt64) throws
    /// How errors name this destination.
    var label: String { get }
}

/// Writes through `pwrite(2)` to a descriptor the caller owns (and closes).
final class FileDescriptorSink: CDBSink {
    let fd: Int32
    let label: String

    init(fd: Int32) throws {
        self.fd = fd
        self.label = "fd \(fd)"
        // Fail early on a closed descriptor instead of after buffering a megabyte.
        let flags = fcntl(fd, F_GETFL)
        if flags == -1 {
            throw CDBError.io(path: label, errno: errno)
        }
        // On Linux pwrite ignores the offset under O_APPEND, which would put the
        // header at the end of the file.
        if flags & O_APPEND != 0 {
            throw CDBError.io(path: "\(label) (opened with O_APPEND)", errno: EINVAL)
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, base + done, bytes.count - done, off_t(offset + UInt64(done)))
            if n < 0 {
                if errno == EINTR { continue }
                throw CDBError.io(path: label, errno: errno)
            }
            if n == 0 {
                // pwrite making no progress would loop forever; report it as a full device.
                throw CDBError.io(path: label, errno: ENOSPC)
            }
            done += n
        }
    }

    func finish(size: UInt64) throws {
        // A reused regular file may be longer than the new cdb; cut off the stale tail
        // so readers that look at the file size (tinycdb checks it) see a clean file.
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw CDBError.io(path: label, errno: errno) }
        if (st.st_mode & S_IFMT) == S_IFREG && UInt64(st.st_size) > size {
            guard ftruncate(fd, off_t(size)) == 0 else { throw CDBError.io(path: label, errno: errno) }
        }
    }
}

/// Collects the file in memory, for `CDBWriter.build` (tests and small maps).
final class MemorySink: CDBSink {
    private(set) var bytes: [UInt8] = []
    let label = "<memory>"

    func write(_ chunk: UnsafeRawBufferPointer, at offset: UInt64) throws {
        let start = Int(offset)
        if start > bytes.count {
            // The writer leaves the header for last; fill the gap like a file hole would.
            bytes.append(contentsOf: repeatElement(0, count: start - bytes.count))
        }
        let overlap = min(chunk.count, bytes.count - start)
        if overlap > 0 {
            // Only the header write at offset 0 lands on bytes already present.
            bytes.replaceSubrange(start..<start + overlap, with: UnsafeRawBufferPointer(rebasing: chunk[..<overlap]))
        }
        if overlap < chunk.count {
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[overlap...]))
        }
    }

    func finish(size: UInt64) throws {}
}
