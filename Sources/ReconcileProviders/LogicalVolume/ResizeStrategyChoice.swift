/// Whether a cached LV can grow in place on this host, and why: lvm2 ≥ 2.03.12 can extend a dm-cache
/// LV, but lvm2's own test of it skips kernels 5.19 and 6.0–6.3 ("Skippen test that kills this kernel").
struct ResizeStrategyChoice: Equatable {
    let online: Bool
    let reason: String

    static func choose(_ wanted: LVSpec.ResizeStrategy, lvmVersion: String?, kernel: String?) -> ResizeStrategyChoice {
        switch wanted {
        case .recache:
            return .init(online: false, reason: "strategy recache (asked for): uncache, resize, recache")
        case .online:
            return .init(online: true, reason: "strategy online (asked for): resize with the cache attached")
        case .auto:
            guard let lvmVersion, version(lvmVersion, atLeast: [2, 3, 12]) else {
                return .init(online: false, reason: "strategy recache: lvm2 \(lvmVersion ?? "of unknown version") cannot extend a cached LV in place (needs 2.03.12)")
            }
            guard let kernel, let (major, minor) = kernelVersion(kernel) else {
                return .init(online: false, reason: "strategy recache: kernel version unknown")
            }
            if (major == 5 && minor == 19) || (major == 6 && minor <= 3) {
                return .init(online: false, reason: "strategy recache: lvm2 \(lvmVersion) could resize in place, but lvm2's own test skips kernel \(major).\(minor) as one the in-place resize of a cached LV can crash")
            }
            return .init(online: true, reason: "strategy online: lvm2 \(lvmVersion) with kernel \(major).\(minor) extends a cached LV in place")
        }
    }

    static func version(_ text: String, atLeast minimum: [Int]) -> Bool {
        let parts = text.split(separator: ".").map { Int($0) ?? 0 }
        for (index, required) in minimum.enumerated() {
            let have = index < parts.count ? parts[index] : 0
            if have != required { return have > required }
        }
        return true
    }

    /// "6.1.0-56-amd64" → (6, 1)
    static func kernelVersion(_ release: String) -> (Int, Int)? {
        let parts = release.split(whereSeparator: { $0 == "." || $0 == "-" }).prefix(2).compactMap { Int($0) }
        return parts.count == 2 ? (parts[0], parts[1]) : nil
    }
}
