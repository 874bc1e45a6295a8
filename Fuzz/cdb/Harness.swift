import ReconcileCDB

/// The cdb reader on any bytes: the OnionRelay probe reads the host's cdb, which may be damaged.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let reader = try? CDBReader(bytes: FuzzInput.bytes(data, size)) else { return 0 }
    let records = (try? reader.records()) ?? []
    for record in records.prefix(64) {
        _ = reader.value(forKey: record.key)
        _ = reader.values(forKey: record.key)
    }
    _ = reader.value(forKey: Array("example.org".utf8))
    return 0
}
