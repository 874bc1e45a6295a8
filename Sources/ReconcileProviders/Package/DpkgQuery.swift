import Foundation
import ReconcileCore

/// Reads the dpkg database and apt's view of the sources: one process each for all packages.
enum DpkgQuery {
    static let format = "${binary:Package}\\t${Package}\\t${db:Status-Abbrev}\\t${Version}\\n"

    struct Entry: Equatable {
        var status: String
        var version: String?
    }

    /// `dpkg-query -W` exits 1 when some names are unknown, and says so on stderr; that is an answer.
    static func statusArgv(_ names: [String], root: HostRoot) -> [String] {
        var argv = ["dpkg-query"]
        if !root.isLive { argv.append("--admindir=" + root.resolve("/var/lib/dpkg")) }
        return argv + ["-W", "-f=" + format, "--"] + names
    }

    /// Lines of `binary:Package  Package  Status-Abbrev  Version`; both names are keys, so
    /// `tor` and `tor:amd64` find the same entry.
    static func parseStatus(_ output: String) -> [String: Entry] {
        var entries: [String: Entry] = [:]
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count == 4 else { continue }
            let status = String(fields[2].filter { $0 != " " })
            let entry = Entry(status: status, version: fields[3].isEmpty ? nil : String(fields[3]))
            for name in [fields[0], fields[1]] where !name.isEmpty {
                entries[String(name)] = entry
            }
        }
        return entries
    }

    /// apt reads a staged root's sources, lists and dpkg status instead of the machine's.
    static func aptRootOptions(_ root: HostRoot) -> [String] {
        root.isLive ? [] : ["-o", "Dir=" + root.path, "-o", "Dir::State::status=" + root.resolve("/var/lib/dpkg/status")]
    }

    static func policyArgv(_ names: [String], root: HostRoot) -> [String] {
        ["apt-cache"] + aptRootOptions(root) + ["policy", "--"] + names
    }

    struct Policy: Equatable {
        var candidate: String?
        var available: [String]
    }

    /// `apt-cache policy` prints a block per known package (unknown ones are left out):
    /// `name:` at column 0, `  Candidate: v` (or `(none)`), then a version table whose version
    /// lines are indented five columns (` *** ` marks the installed one) and whose source lines eight.
    static func parsePolicy(_ output: String) -> [String: Policy] {
        var policies: [String: Policy] = [:]
        var current: String?
        var version: String?
        for rawLine in output.split(separator: "\n") {
            let line = Substring(rawLine)
            if let first = line.first, first != " ", line.hasSuffix(":") {
                current = String(line.dropLast())
                version = nil
                if let current { policies[current] = Policy(candidate: nil, available: []) }
                continue
            }
            guard let name = current else { continue }
            let trimmed = line.drop(while: { $0 == " " })
            let indent = line.count - trimmed.count
            if trimmed.hasPrefix("Candidate:") {
                let value = trimmed.dropFirst("Candidate:".count).trimmingCharacters(in: .whitespaces)
                policies[name]?.candidate = value == "(none)" ? nil : value
            } else if line.hasPrefix(" *** ") || (indent == 5 && !trimmed.isEmpty) {
                let fields = line.dropFirst(5).split(separator: " ")
                version = fields.count == 2 ? String(fields[0]) : nil
            } else if indent == 8, let version, !trimmed.hasSuffix("/var/lib/dpkg/status"),
                policies[name]?.available.contains(version) == false
            {
                policies[name]?.available.append(version)
            }
        }
        return policies
    }

    static func simulateRemovalArgv(_ names: [String], root: HostRoot) -> [String] {
        ["apt-get"] + aptRootOptions(root) + ["--simulate", "--quiet", "remove", "--"] + names
    }

    /// `Remv name [version]` lines of a simulated removal.
    static func parseRemovals(_ output: String) -> [String] {
        output.split(separator: "\n").compactMap { line in
            guard line.hasPrefix("Remv ") else { return nil }
            return line.dropFirst(5).split(separator: " ").first.map(String.init)
        }
    }
}
