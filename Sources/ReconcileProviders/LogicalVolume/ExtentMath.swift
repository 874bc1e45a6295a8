/// Extent counts and sizes come from facts files and LVM reports, which can hold any 64-bit value:
/// every product and sum of them is checked, so a damaged report is an error, never a trap.
enum ExtentMath {
    /// `extents × extentSize` bytes, nil when that does not fit in 64 bits.
    static func bytes(_ extents: UInt64, _ extentSize: UInt64) -> UInt64? {
        let (product, overflow) = extents.multipliedReportingOverflow(by: extentSize)
        return overflow ? nil : product
    }

    /// A sum of extent counts; past 2^64 it stays at the largest value (more than any VG has).
    static func sum<S: Sequence>(_ values: S) -> UInt64 where S.Element == UInt64 {
        values.reduce(UInt64(0)) { total, value in
            let (next, overflow) = total.addingReportingOverflow(value)
            return overflow ? .max : next
        }
    }

    /// For messages: "1 GiB", or the extent count when the bytes do not fit in 64 bits.
    static func describe(_ extents: UInt64, _ extentSize: UInt64) -> String {
        bytes(extents, extentSize).map { "\(ByteSize(bytes: $0))" } ?? "\(extents) extents of \(ByteSize(bytes: extentSize))"
    }

    /// The next multiple of `extentSize` above `bytes`, nil past 2^64.
    static func roundedUp(_ bytes: UInt64, _ extentSize: UInt64) -> UInt64? {
        let (extents, overflow) = (bytes / extentSize).addingReportingOverflow(1)
        return overflow ? nil : self.bytes(extents, extentSize)
    }
}
