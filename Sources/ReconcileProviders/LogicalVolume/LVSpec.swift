import Foundation
import ReconcileCore

/// `kind: LogicalVolume`: an LV of a given size, optionally with a dm-cache on a fast PV of the same VG
/// (`lvcreate --type cache`, and the uncache / resize / recache of a cached LV).
public struct LVSpec: ResourceSpec {
    public enum CacheMode: String, Codable, Sendable, CaseIterable {
        case writeback = "writeback", writethrough = "writethrough", passthrough = "passthrough"
    }

    /// How a cached LV grows: uncache, resize, recache (`lvconvert --uncache`, `lvresize`, `lvcreate --type cache`); in place (lvm2 ≥ 2.03.12);
    /// or auto, chosen from the host's lvm2 and kernel.
    public enum ResizeStrategy: String, Codable, Sendable, CaseIterable {
        case auto = "auto", recache = "recache", online = "online"
    }

    public struct Cache: Codable, Sendable, Equatable {
        public var name: String
        public var mode: CacheMode
        public var size: ByteSize
        public var device: String

        private enum CodingKeys: String, CodingKey {
            case name = "name", mode = "mode", size = "size", device = "device"
        }
    }

    public var vg: String
    public var lv: String
    public var size: ByteSize?
    public var resizeFilesystem: Bool
    public var allowShrink: Bool
    /// PVs new extents may come from (`lvcreate`/`lvresize` take them last); all but the cache device when empty.
    public var pvs: [String]
    public var resizeStrategy: ResizeStrategy
    /// Seconds a writeback flush may go without progress before the apply gives up.
    public var flushStallSeconds: Int
    public var cache: Cache?

    public var path: String { "\(vg)/\(lv)" }

    private enum CodingKeys: String, CodingKey {
        case vg = "vg", lv = "lv", size = "size", resizeFilesystem = "resizeFilesystem", allowShrink = "allowShrink"
        case pvs = "pvs", resizeStrategy = "resizeStrategy", flushStallSeconds = "flushStallSeconds", cache = "cache"
    }
}

extension LVSpec {
    public static let kind = "LogicalVolume"
    public static let keys = ["size", "resizeFilesystem", "allowShrink", "pvs", "resizeStrategy", "flushStallSeconds", "cache"]
    static let cacheKeys = ["name", "mode", "size", "device"]

    /// LVM's own name rules: letters, digits and `+_.-`, not starting with `-`.
    static func isLVMName(_ name: Substring) -> Bool {
        !name.isEmpty && name.count <= 127 && name.first != "-" && name != "." && name != ".."
            && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+_.-".contains($0)) }
    }

    public static func decode(_ reader: ObjectReader, context: DecodeContext) -> LVSpec? {
        let parts = context.name.split(separator: "/", omittingEmptySubsequences: false)
        let nameIsValid = parts.count == 2 && isLVMName(parts[0]) && isLVMName(parts[1])
        if !nameIsValid {
            reader.error("name", "\"\(context.name)\" is not VG/LV (like storage/slowlv; letters, digits and +_.- only)")
        }
        let size = readSize(reader, "size", required: context.state == .present)
        let resizeFilesystem = reader.bool("resizeFilesystem") ?? false
        let allowShrink = reader.bool("allowShrink") ?? false
        if allowShrink && !resizeFilesystem {
            reader.error("allowShrink", "shrinking needs resizeFilesystem: true, or the filesystem is cut off with the LV")
        }
        var pvs: [String] = []
        for (index, (path, node)) in (reader.stringList("pvs") ?? []).enumerated() {
            guard path.hasPrefix("/dev/") else {
                reader.error(at: node, keyPath: "pvs[\(index)]", "a PV is a device path like /dev/md2, found \"\(path)\"")
                continue
            }
            pvs.append(path)
        }
        let strategy = reader.choice("resizeStrategy", as: ResizeStrategy.self) ?? .auto
        let stall = reader.int("flushStallSeconds", range: 10...86_400) ?? 600
        var cache: Cache?
        if let object = reader.object("cache", knownKeys: cacheKeys) {
            let lvName = parts.count == 2 ? String(parts[1]) : context.name
            let name = object.string("name") ?? "\(lvName)_cache"
            if !isLVMName(Substring(name)) {
                object.error("name", "\"\(name)\" is not a valid LV name")
            }
            let mode = object.string("mode", required: true).flatMap { _ in object.choice("mode", as: CacheMode.self) }
            let cacheSize = readSize(object, "size", required: true)
            let device = object.string("device", required: true)
            if let device, !device.hasPrefix("/dev/") {
                object.error("device", "the cache device is a PV path like /dev/md3, found \"\(device)\"")
            }
            if let device, pvs.contains(device) {
                object.error("device", "\(device) is also listed in pvs: the cache must not share a PV with the LV it caches")
            }
            if let mode, let cacheSize, let device, device.hasPrefix("/dev/") {
                cache = Cache(name: name, mode: mode, size: cacheSize, device: device)
            }
        }
        guard nameIsValid else { return nil }
        return LVSpec(
            vg: String(parts[0]), lv: String(parts[1]), size: size, resizeFilesystem: resizeFilesystem,
            allowShrink: allowShrink, pvs: pvs, resizeStrategy: strategy, flushStallSeconds: stall, cache: cache)
    }

    private static func readSize(_ reader: ObjectReader, _ key: String, required: Bool) -> ByteSize? {
        guard let text = reader.string(key, required: required) else { return nil }
        guard let size = ByteSize(parsing: text) else {
            reader.error(key, "\"\(text)\" is not a size: a number with K, M, G, T or P (binary units), or bytes" + sizeHint(text))
            return nil
        }
        guard size <= ByteSize.lvmLimit else {
            reader.error(key, "\(size) is more than LVM's largest LV (\(ByteSize.lvmLimit))")
            return nil
        }
        return size
    }
}

extension LVSpec {
    public func problems(name: String, state: ResourceState) -> [String] {
        var problems = SpecProblems()
        problems.check(name == path && Self.isLVMName(Substring(vg)) && Self.isLVMName(Substring(lv)), "vg", "\(TerminalText.quoted(path)) is not this resource's VG/LV")
        problems.check(state == .absent || (size.map { $0.bytes > 0 } ?? false), "size", "a present LV needs a size above 0")
        problems.check(!allowShrink || resizeFilesystem, "allowShrink", "shrinking needs resizeFilesystem: true")
        problems.check((10...86_400).contains(flushStallSeconds), "flushStallSeconds", "must be 10-86400, found \(flushStallSeconds)")
        for (index, pv) in pvs.enumerated() {
            problems.check(pv.hasPrefix("/dev/"), "pvs[\(index)]", "a PV is a device path like /dev/md2")
            problems.path("pvs[\(index)]", pv)
        }
        if let cache {
            problems.check(Self.isLVMName(Substring(cache.name)), "cache.name", "\(TerminalText.quoted(cache.name)) is not a valid LV name")
            problems.check(cache.size.bytes > 0, "cache.size", "must be above 0")
            problems.check(cache.device.hasPrefix("/dev/") && !pvs.contains(cache.device), "cache.device", "must be a PV path that is not in pvs")
            problems.path("cache.device", cache.device)
        }
        return problems.items
    }
}

extension LVSpec {
    /// What people write from habit: lvresize's relative "+200G", df's "100GB" or "100GiB".
    static func sizeHint(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let sign = trimmed.first, sign == "+" || sign == "-" {
            return "; sizes are absolute (the LV's whole size, as lvcreate -L takes it), not relative: write the total the LV should have"
                + relativeSizeExample(String(trimmed.dropFirst()), growing: sign == "+")
        }
        for suffix in ["iB", "ib", "B", "b"] where trimmed.count > suffix.count && trimmed.hasSuffix(suffix) {
            let shorter = String(trimmed.dropLast(suffix.count))
            if ByteSize(parsing: shorter) != nil { return "; did you mean \"\(shorter)\"? (units are binary: G is GiB)" }
        }
        return ""
    }

    /// ", e.g. size: 300G for a 100G LV grown by 200G", in the number and unit the manifest used.
    private static func relativeSizeExample(_ change: String, growing: Bool) -> String {
        guard ByteSize(parsing: change) != nil else { return "" }
        let unit = change.last.map { $0.isNumber ? "" : String($0) } ?? ""
        guard let amount = Decimal(string: unit.isEmpty ? change : String(change.dropLast())) else { return "" }
        let (base, total) = growing ? (Decimal(100), 100 + amount) : (100 + amount, Decimal(100))
        return ", e.g. size: \(total)\(unit) for a \(base)\(unit) LV \(growing ? "grown" : "shrunk") by \(change)"
            + (growing ? "" : " (shrinking also needs allowShrink: true)")
    }
}

extension LVSpec {
    public var hostIdentity: String { "logical volume \(vg)/\(lv)" }
}
