import Foundation
import ReconcileCore

/// The three batched LVM reports (`--reportformat json --units b --nosuffix`): every value is a string,
/// "not applicable" is "".
struct LVMReport: Sendable {
    static let lvFields = "lv_name,vg_name,lv_size,lv_attr,lv_role,segtype,pool_lv,origin,devices,cache_mode,cache_dirty_blocks,cache_used_blocks,cache_total_blocks"
    static let vgFields = "vg_name,vg_size,vg_free,vg_extent_size,vg_extent_count,vg_free_count"
    static let pvFields = "pv_name,vg_name,pv_size,pv_free,pv_pe_count,pv_pe_alloc_count"
    static let lvsArgv = ["lvs", "-a", "--reportformat", "json", "--units", "b", "--nosuffix", "-o", lvFields]
    static let vgsArgv = ["vgs", "--reportformat", "json", "--units", "b", "--nosuffix", "-o", vgFields]
    static let pvsArgv = ["pvs", "--reportformat", "json", "--units", "b", "--nosuffix", "-o", pvFields]
    /// lvm warns about inherited descriptors otherwise, which is noise in every report.
    static let environment = ["LVM_SUPPRESS_FD_WARNINGS": "1"]

    typealias Row = [String: String]

    var lvs: [Row]
    var vgs: [Row]
    var pvs: [Row]

    /// `{"report": [{"lv": [{…}, …]}]}`
    static func rows(_ json: Data, key: String, argv: [String]) throws -> [Row] {
        struct Document: Decodable { let report: [[String: [Row]]] }
        do {
            return try JSONDecoder().decode(Document.self, from: json).report.flatMap { $0[key] ?? [] }
        } catch {
            throw ReconcileError.probeFailed(
                kind: "LogicalVolume", reason: "cannot read the output of \(argv.joined(separator: " ")): \(error)")
        }
    }

    static func probe(_ commands: any CommandRunner) throws -> LVMReport {
        func run(_ argv: [String], key: String) throws -> [Row] {
            let result = try commands.checked(Command(argv, environment: environment))
            return try rows(result.stdout, key: key, argv: argv)
        }
        return LVMReport(
            lvs: try run(lvsArgv, key: "lv"), vgs: try run(vgsArgv, key: "vg"), pvs: try run(pvsArgv, key: "pv"))
    }
}

/// Hidden LVs appear as `[name]` in reports.
func unbracketed(_ name: String) -> String {
    name.hasPrefix("[") && name.hasSuffix("]") ? String(name.dropFirst().dropLast()) : name
}

/// `/dev/loop0(0),/dev/loop0(256)` → the PV paths.
func devicePaths(_ devices: String) -> [String] {
    var seen = Set<String>()
    return devices.split(separator: ",").compactMap { part in
        let path = String(part.prefix { $0 != "(" })
        return path.isEmpty || !seen.insert(path).inserted ? nil : path
    }
}
