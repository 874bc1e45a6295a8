import Foundation

/// Temp files a killed apply left: `.BASE.reconcile-XXXXXX` (what `writeAtomically` names them)
/// beside the paths a plan or the killed apply wrote, the same under `STATE/backups`, and
/// `STATE/check-PID-N` of content checks. Nothing else is ever matched, let alone removed.
public enum Leftovers {
    static let marker = ".reconcile-"

    /// mkstemp fills the six X with letters and digits.
    static func isTemp(_ name: String, base: String? = nil) -> Bool {
        let bytes = Array(name.utf8)
        let suffix = Array(marker.utf8)
        guard bytes.count > 1 + suffix.count + 6, bytes[0] == UInt8(ascii: "."),
              bytes[(bytes.count - 6)...].allSatisfy(isAlphanumeric),
              Array(bytes[(bytes.count - 6 - suffix.count)..<(bytes.count - 6)]) == suffix else { return false }
        let middle = bytes[1..<(bytes.count - 6 - suffix.count)]
        return !middle.isEmpty && (base.map { Array($0.utf8) == Array(middle) } ?? true)
    }

    /// `check-PID-N` in the state folder (`Executor.runCheck`).
    static func isCheckFile(_ name: String) -> Bool {
        let parts = name.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 3 && parts[0] == "check" && parts[1...].allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// Host paths whose folders may hold a temp file of theirs: every path a step writes or removes.
    public static func managedPaths(_ plan: Plan) -> [String] {
        plan.changes.flatMap(\.steps).compactMap(\.writtenPath)
    }

    /// Every leftover, as host paths (`files`) and state paths (`state`), regular files only.
    public static func find(beside paths: [String], files: any HostFileSystem, state: StateDirectory) -> (host: [String], state: [String]) {
        var host: [String] = []
        var byFolder: [String: Set<String>] = [:]
        for path in paths {
            let folder = (path as NSString).deletingLastPathComponent
            byFolder[folder, default: []].insert((path as NSString).lastPathComponent)
        }
        for (folder, bases) in byFolder.sorted(by: { $0.key < $1.key }) {
            let names = (try? files.entries(folder)) ?? []
            for name in names.sorted() where bases.contains(where: { isTemp(name, base: $0) }) {
                let path = folder == "/" ? "/" + name : folder + "/" + name
                if (try? files.status(path))?.type == .file { host.append(path) }
            }
        }
        return (host, stateLeftovers(state))
    }

    /// Temp and check files at the top of the state folder, and temp files anywhere under its backups.
    static func stateLeftovers(_ state: StateDirectory) -> [String] {
        var found: [String] = []
        let top = (try? state.files.entries(state.path)) ?? []
        for name in top.sorted() where isTemp(name) || isCheckFile(name) {
            let path = state.path + "/" + name
            if (try? state.files.status(path))?.type == .file { found.append(path) }
        }
        var folders = [state.path + "/backups"]
        while let folder = folders.popLast() {
            for name in (try? state.files.entries(folder)) ?? [] {
                let path = folder + "/" + name
                switch (try? state.files.status(path))?.type {
                case .directory?: folders.append(path)
                case .file? where isTemp(name): found.append(path)
                default: break
                }
            }
        }
        return found.sorted()
    }

    /// Removes what `find` found; the paths it could not remove come back with the reason.
    public static func remove(host: [String], state stateFiles: [String], files: any HostFileSystem, state: StateDirectory) -> (removed: [String], failed: [String]) {
        var removed: [String] = []
        var failed: [String] = []
        for path in host {
            do { try files.remove(path); removed.append(files.root.resolve(path)) } catch { failed.append("\(error)") }
        }
        for path in stateFiles {
            do { try state.files.remove(path); removed.append(path) } catch { failed.append("\(error)") }
        }
        return (removed, failed)
    }
}

extension Step {
    /// The host path this step writes atomically or removes: where a killed apply's temp file would be.
    public var writtenPath: String? {
        switch self {
        case .writeFile(let step): return step.path
        case .removeFile(let step): return step.path
        case .compileCDB(let step): return step.target
        case .editTOML(let step): return step.path
        case .link(let step): return step.path
        default: return nil
        }
    }
}
