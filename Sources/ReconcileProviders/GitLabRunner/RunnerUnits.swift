import ReconcileCore

/// The systemd units of a runner: gitlab-runner.service (`gitlab-runner run --working-directory
/// HOME --config CONFIG`), and a timer with its oneshot service that purges cache folders nobody used for `purgeCacheAfter`.
public struct RunnerUnits: Sendable, Equatable {
    public enum Role: String, Sendable, CaseIterable {
        case service, purge, purgeTimer
    }

    public let spec: GitLabRunnerSpec

    static let nameLimit = CaptureUnits.nameLimit
    static let find = "/usr/bin/find"
    static let rm = "/usr/bin/rm"

    static func isValidName(_ name: String) -> Bool { CaptureUnits.isValidName(name) }

    public static func unitName(_ spec: GitLabRunnerSpec, _ role: Role) -> String {
        switch role {
        case .service: return spec.service
        case .purge: return "gitlab-runner-\(spec.name)-cache-purge.service"
        case .purgeTimer: return "gitlab-runner-\(spec.name)-cache-purge.timer"
        }
    }

    /// Start order; stop in reverse.
    public static func unitNames(_ spec: GitLabRunnerSpec) -> [String] { Role.allCases.map { unitName(spec, $0) } }

    public func unitName(_ role: Role) -> String { Self.unitName(spec, role) }

    /// The purge age in whole minutes, as `find -mmin` counts.
    var purgeMinutes: Int { max(1, spec.purgeCacheAfter / 60) }

    /// The folders prepare.sh uses (and touches) live right below hostCacheDir; older ones go.
    public var purgeArgv: [String] {
        [Self.find, spec.hostCacheDir, "-xdev", "-mindepth", "1", "-maxdepth", "1", "-type", "d", "-mmin", "+\(purgeMinutes)",
         "-exec", Self.rm, "-rf", "--", "{}", "+"]
    }

    public var serviceArgv: [String] {
        [spec.executable, "run", "--working-directory", spec.home, "--config", spec.config]
    }

    /// "30 days", "12 hours", "90 minutes".
    static func describe(seconds: Int) -> String {
        for (size, unit) in [(86400, "day"), (3600, "hour"), (60, "minute")] where seconds % size == 0 {
            let count = seconds / size
            return "\(count) \(unit)\(count == 1 ? "" : "s")"
        }
        return "\(seconds / 60) minutes"
    }

    public func unitContent(_ role: Role) -> String {
        var lines = ["# Managed by reconcile (GitLabRunner/\(spec.name)); local edits are overwritten."]
        switch role {
        case .service:
            lines += [
                "[Unit]",
                "Description=GitLab Runner (\(spec.config))",
                "After=network-online.target",
                "Wants=network-online.target",
                "ConditionFileIsExecutable=\(spec.executable)",
                "StartLimitIntervalSec=5",
                "StartLimitBurst=10",
                "",
                "[Service]",
                "User=\(spec.user)",
                "Group=\(spec.group)",
                "WorkingDirectory=\(spec.home)",
                "ExecStart=" + serviceArgv.joined(separator: " "),
                // gitlab-runner lets running jobs finish on SIGQUIT; SIGTERM would abort them.
                "KillSignal=SIGQUIT",
                "TimeoutStopSec=3600",
                "Restart=always",
                "RestartSec=120",
                "",
                "[Install]",
                "WantedBy=multi-user.target",
            ]
        case .purge:
            lines += [
                "[Unit]",
                "Description=Purge GitLab runner \(spec.name) cache folders unused for \(Self.describe(seconds: spec.purgeCacheAfter))",
                "ConditionPathIsDirectory=\(spec.hostCacheDir)",
                "",
                "[Service]",
                "Type=oneshot",
                // As the runner's user: the purge can only delete what jobs could write.
                "User=\(spec.user)",
                "Group=\(spec.group)",
                "NoNewPrivileges=yes",
                "ExecStart=" + purgeArgv.joined(separator: " "),
            ]
        case .purgeTimer:
            lines += [
                "[Unit]",
                "Description=Purge GitLab runner \(spec.name) cache folders (\(spec.purgeSchedule))",
                "",
                "[Timer]",
                "OnCalendar=\(spec.purgeSchedule)",
                "Persistent=true",
                "Unit=\(unitName(.purge))",
                "",
                "[Install]",
                "WantedBy=timers.target",
            ]
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
