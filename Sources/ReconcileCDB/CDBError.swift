#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything that can go wrong when writing or reading a cdb file; values are
/// comparable so callers and tests can match on the exact failure.
public enum CDBError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Adding the record would make the file reach `bytes` bytes, past what
    /// 32-bit positions can address. Nothing of that record was written.
    case tooLarge(bytes: UInt64)
    /// The bytes are not a well-formed cdb file (truncated header, table or
    /// record outside the file, ...). The string says where.
    case malformed(String)
    /// A system call failed. For writers, `path` names the descriptor (`fd N`)
    /// since the writer never sees a path.
    case io(path: String, errno: Int32)

    public var description: String {
        switch self {
        case .tooLarge(let bytes):
            return "cdb: the file would need \(bytes) bytes, but cdb positions are 32-bit, "
                + "so a cdb file must stay below 4 GiB (at most \(CDBFormat.maxFileSize) bytes)"
        case .malformed(let detail):
            return "cdb: malformed file: \(detail)"
        case .io(let path, let code):
            return "cdb: \(path): \(String(cString: strerror(code))) (errno \(code))"
        }
    }
}
