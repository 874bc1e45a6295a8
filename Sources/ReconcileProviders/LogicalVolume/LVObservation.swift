import ReconcileCore

/// What LVM reports about one LV, its VG and the VG's PVs, and the versions that decide how a
/// cached LV may grow. Volatile counters (dirty blocks) are left out, so saved plans do not go stale.
public struct LVObservation: Codable, Sendable, Equatable {
    public struct PV: Codable, Sendable, Equatable {
        public var name: String
        public var freeExtents: UInt64
    }

    public struct VG: Codable, Sendable, Equatable {
        public var name: String
        public var extentSize: UInt64
        public var freeExtents: UInt64
        public var pvs: [PV]
    }

    public struct Cache: Codable, Sendable, Equatable {
        /// The cache pool (`slowlv_cache_cpool` for `--name slowlv_cache`).
        public var pool: String
        public var mode: String
        /// Size of the pool's data LV.
        public var size: UInt64
        public var devices: [String]
    }

    public struct LV: Codable, Sendable, Equatable {
        public var size: UInt64
        public var segtype: String
        public var attributes: String
        /// PVs holding the LV's own data (the origin's, when cached).
        public var devices: [String]
        public var cache: Cache?
        /// What wipefs finds on the LV (`ext4`), probed when `resizeFilesystem` is set; nil
        /// when not probed. Empty: no filesystem yet, so `--resizefs` would fail in fsadm.
        public var signatures: [String]?
        /// Bytes its ext2/3/4 filesystem spans (`FilesystemSize`), probed with the signatures;
        /// nil when not probed or another filesystem.
        public var filesystemSize: UInt64?
    }

    public var lvmVersion: String?
    public var kernel: String?
    public var vgNames: [String]
    public var vg: VG?
    public var lv: LV?

    static func extract(_ report: LVMReport, vg vgName: String, lv lvName: String, lvmVersion: String?, kernel: String?) -> LVObservation {
        let number = { (text: String?) in UInt64(text ?? "") ?? 0 }
        var observation = LVObservation(
            lvmVersion: lvmVersion, kernel: kernel, vgNames: report.vgs.compactMap { $0["vg_name"] }.sorted())
        if let vg = report.vgs.first(where: { $0["vg_name"] == vgName }) {
            let pvs = report.pvs.filter { $0["vg_name"] == vgName }.map { row -> PV in
                let total = number(row["pv_pe_count"])
                return PV(name: row["pv_name"] ?? "", freeExtents: total - min(total, number(row["pv_pe_alloc_count"])))
            }
            observation.vg = VG(
                name: vgName, extentSize: number(vg["vg_extent_size"]), freeExtents: number(vg["vg_free_count"]), pvs: pvs)
        }
        let rows = report.lvs.filter { $0["vg_name"] == vgName }
        func row(_ name: String) -> LVMReport.Row? { rows.first { unbracketed($0["lv_name"] ?? "") == name } }
        guard let main = row(lvName) else { return observation }
        var lv = LV(
            size: number(main["lv_size"]), segtype: main["segtype"] ?? "", attributes: main["lv_attr"] ?? "",
            devices: devicePaths(main["devices"] ?? ""))
        if main["segtype"] == "cache", let poolField = main["pool_lv"], !poolField.isEmpty {
            let pool = unbracketed(poolField)
            let data = row("\(pool)_cdata")
            lv.devices = devicePaths(row(unbracketed(main["origin"] ?? "")).flatMap { $0["devices"] } ?? "")
            lv.cache = Cache(
                pool: pool, mode: main["cache_mode"] ?? "", size: number(data?["lv_size"]),
                devices: devicePaths(data?["devices"] ?? ""))
        }
        observation.lv = lv
        return observation
    }

    /// "  LVM version:     2.03.16(2) (2022-05-18)" → "2.03.16"
    static func parseLVMVersion(_ output: String) -> String? {
        for line in output.split(separator: "\n") where line.contains("LVM version:") {
            let value = line.split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? ""
            return String(value.prefix { $0.isNumber || $0 == "." })
        }
        return nil
    }
}
