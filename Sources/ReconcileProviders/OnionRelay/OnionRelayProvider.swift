import Foundation
import ReconcileCore

/// Exim relays mail for listed domains to their onion MX through Tor: the map (text and cdb),
/// the torrc, the Perl lookup and the Exim router/transport, each checked by its tool before it goes live.
public struct OnionRelayProvider: ResourceProvider {
    public init() {}

    /// One Exim router and one domain list per host.
    public func validate(_ resources: [Declared<OnionRelaySpec>]) -> [Diagnostic] {
        guard let first = resources.first else { return [] }
        return resources.dropFirst().map { resource in
            .error(at: resource.meta.mark, keyPath: "kind",
                   "only one OnionRelay per host (Exim gets one router for it); merge the entries into \(first.address)",
                   notes: first.meta.mark.map { [.init(mark: $0, message: "\(first.address) declared here")] } ?? [])
        }
    }

    public func probe(_ resources: [Declared<OnionRelaySpec>], host: HostContext) throws -> [OnionRelayObservation] {
        try resources.map { try OnionRelayObservation.probe($0.spec, host: host) }
    }

    public func plan(_ resource: Declared<OnionRelaySpec>, observed: OnionRelayObservation, context: PlanContext) throws -> ResourcePlan {
        let files = RelayFiles(spec: resource.spec, resource: resource.address.description)
        return resource.meta.state == .absent
            ? planRemoval(files, observed: observed, live: context.root.isLive)
            : try planPresence(files, observed: observed, live: context.root.isLive)
    }

    private func planPresence(_ files: RelayFiles, observed: OnionRelayObservation, live: Bool) throws -> ResourcePlan {
        let spec = files.spec
        // A relay Exim never reads would converge and route nothing: refuse rather than warn.
        let splitConfig = spec.exim.settings?["dc_use_split_config"].map { $0 == "true" } ?? observed.eximSplitConfig
        if splitConfig == false && spec.exim.routerFile.hasPrefix("/etc/exim4/conf.d/") {
            throw PlanProblem("exim", "Debian's Exim on this host ignores /etc/exim4/conf.d, where the relay's router and "
                + "transport go: \(OnionRelayObservation.debianEximSettings) has dc_use_split_config='false' (Debian's "
                + "default). Set dc_use_split_config='true' there and run update-exim4.conf (the debconf question "
                + "\"Split configuration into small files?\"), or let the relay set it (exim.settings: "
                + "{dc_use_split_config: \"true\"}), or point exim.routerFile/transportFile/mainFile at the files your "
                + "Exim reads; then plan again")
        }
        var plan = ResourcePlan(action: .noop)
        var changed = Set<String>()
        var anyExisted = observed.cdb.exists
        for file in files.all {
            let current = observed.files[file.path] ?? .missing
            anyExisted = anyExisted || current.exists
            let outcome = try file.plan(against: current)
            guard outcome.action != .noop else { continue }
            if outcome.contentChanges { changed.insert(file.path) }
            plan.reasons.append(contentsOf: file.path == spec.map ? ["\(spec.map): the text form of the map changes"] : outcome.reasons)
            plan.steps.append(contentsOf: outcome.steps)
        }
        if let settings = try planSettings(spec, observed: observed, live: live) {
            changed.insert(DebianEximSettings.path)
            plan.reasons.append(contentsOf: settings.reasons)
            plan.steps.append(contentsOf: settings.steps)
        }
        let diff = MapDiff(current: observed.cdb.entries ?? [:], wanted: spec.entries)
        if !diff.isEmpty || observed.cdb.entries == nil {
            if let problem = observed.cdb.problem {
                plan.reasons.append("\(spec.cdb): unreadable (\(problem)), rebuilt")
            } else if !observed.cdb.exists {
                plan.reasons.append("\(spec.cdb) does not exist")
            }
            plan.reasons.append(contentsOf: diff.describe(spec.cdb))
            plan.steps.append(.compileCDB(CompileCDBStep(
                source: spec.map, sourceSHA256: Fingerprint.sha256(files.mapText), target: spec.cdb, records: spec.entries.count)))
        }
        plan.steps.insert(contentsOf: checks(files, changed: changed, tools: observed.tools, warnings: &plan.warnings), at: 0)
        if live {
            plan.triggers = triggers(files, changed: changed)
        }
        let dropsOnionService = changed.contains(spec.tor.torrc) && !droppedOnionServiceLines(spec, observed: observed).isEmpty
        plan.warnings.append(contentsOf: warnings(spec, observed: observed, replacingTorrc: changed.contains(spec.tor.torrc)))
        if !plan.steps.isEmpty {
            plan.action = anyExisted ? .update : .create
            plan.risk = dropsOnionService ? .disruptive : plan.triggers.isEmpty ? .safe : .restart
        }
        return plan
    }

    /// The keys of Debian's update-exim4.conf.conf the manifest sets, edited in place (the
    /// rest of the file stays), then `update-exim4.conf` regenerates Exim's configuration.
    private func planSettings(_ spec: OnionRelaySpec, observed: OnionRelayObservation, live: Bool) throws -> (reasons: [String], steps: [Step])? {
        guard let wanted = spec.exim.settings, let current = observed.debianSettings else { return nil }
        guard current.exists else {
            throw PlanProblem("exim.settings", "\(DebianEximSettings.path) does not exist: install Debian's exim4 first (a Package, and dependsOn)")
        }
        guard let text = current.text else {
            throw PlanProblem("exim.settings", "\(DebianEximSettings.path) is not UTF-8 text reconcile can edit")
        }
        guard let edited = DebianEximSettings.edited(text, wanted: wanted) else { return nil }
        let before = DebianEximSettings.parse(text)
        let changes = wanted.keys.sorted().filter { before[$0] != wanted[$0] }.map { key in
            "\(key): \(before[key].map { "'\($0)'" } ?? "(not set)") → '\(wanted[key] ?? "")'"
        }
        var file = ManagedFile(path: DebianEximSettings.path, content: Data(edited.utf8), mode: current.mode ?? 0o644)
        file.showDiff = true
        var steps = try file.plan(against: current).steps
        if live { steps.append(.command(CommandStep(argv: ["update-exim4.conf"]))) }
        return (["\(DebianEximSettings.path): " + changes.joined(separator: ", ")], steps)
    }

    /// A torrc or Exim change is checked by tor and exim themselves before anything is replaced.
    private func checks(_ files: RelayFiles, changed: Set<String>, tools: [String: String], warnings: inout [String]) -> [Step] {
        let spec = files.spec
        var steps: [Step] = []
        func check(_ tool: String, when paths: [String], argv: ([String]) -> [String], content: String, what: String) {
            guard paths.contains(where: changed.contains) else { return }
            guard let path = tools[tool] else {
                warnings.append("\(tool) is not installed here: the \(what) is not checked before it goes live")
                return
            }
            steps.append(.check(CheckStep(
                argv: argv([path]), content: Data(content.utf8), summary: "check the new \(what) with \(tool)")))
        }
        check("tor", when: [spec.tor.torrc], argv: { $0 + ["--verify-config", "-f", CheckStep.placeholder] },
              content: files.torrc, what: "torrc")
        check("perl", when: [spec.exim.perlFile], argv: { $0 + ["-c", CheckStep.placeholder] },
              content: files.perl, what: "Perl lookup routine")
        check("exim", when: [spec.exim.mainFile, spec.exim.routerFile, spec.exim.transportFile, spec.exim.perlFile],
              argv: { $0 + ["-C", CheckStep.placeholder, "-bV"] },
              content: EximConfig.checkConfiguration(spec, resource: files.resource), what: "Exim router and transport")
        return steps
    }

    /// Tor and Exim read these files at start-up; the cdb is read per lookup and needs nothing.
    private func triggers(_ files: RelayFiles, changed: Set<String>) -> [Trigger] {
        let spec = files.spec
        var triggers: [Trigger] = []
        if changed.contains(spec.tor.torrc) { triggers.append(.reload(unit: spec.tor.unit)) }
        if !changed.isDisjoint(with: [spec.exim.mainFile, spec.exim.routerFile, spec.exim.transportFile, spec.exim.perlFile, DebianEximSettings.path]) {
            triggers.append(.reload(unit: spec.exim.unit))
        }
        return triggers
    }

    private func warnings(_ spec: OnionRelaySpec, observed: OnionRelayObservation, replacingTorrc: Bool) -> [String] {
        var warnings: [String] = []
        let currentTorrc = observed.files[spec.tor.torrc]?.text ?? ""
        if replacingTorrc {
            let dropped = droppedOnionServiceLines(spec, observed: observed)
            if !dropped.isEmpty {
                warnings.append("the new \(spec.tor.torrc) drops \(dropped.count) onion service line(s) (\(dropped[0]), …): "
                    + "move them to tor.extraConfig to keep that service")
            }
        }
        if TorConfig.runsMailOnionService(currentTorrc) && !TorConfig.runsMailOnionService(spec.tor.extraConfig) {
            warnings.append(TorConfig.onionOnMXWarning)
        }
        return warnings
    }

    /// Onion service lines of the current torrc that the new one would not keep.
    private func droppedOnionServiceLines(_ spec: OnionRelaySpec, observed: OnionRelayObservation) -> [String] {
        let kept = Set(TorConfig.onionServiceLines(spec.tor.extraConfig))
        return TorConfig.onionServiceLines(observed.files[spec.tor.torrc]?.text ?? "").filter { !kept.contains($0) }
    }

    private func planRemoval(_ files: RelayFiles, observed: OnionRelayObservation, live: Bool) -> ResourcePlan {
        var plan = ResourcePlan(action: .noop)
        var removed = Set<String>()
        for path in files.spec.managedPaths {
            let exists = path == files.spec.cdb ? observed.cdb.exists : (observed.files[path]?.exists ?? false)
            guard exists else { continue }
            plan.steps.append(.removeFile(RemoveFileStep(path: path, backup: true)))
            plan.reasons.append("state is absent and \(path) exists")
            removed.insert(path)
        }
        guard !plan.steps.isEmpty else { return plan }
        plan.action = .delete
        plan.risk = .disruptive
        if live { plan.triggers = triggers(files, changed: removed) }
        return plan
    }
}

/// Every file the relay manages, rendered once per plan.
struct RelayFiles {
    let spec: OnionRelaySpec
    let resource: String
    let mapText: Data
    let torrc: String
    let perl: String

    init(spec: OnionRelaySpec, resource: String) {
        self.spec = spec
        self.resource = resource
        var text = ""
        text.reserveCapacity(spec.entries.count * 80)
        for entry in spec.entries {
            text += entry.domain + " " + entry.onion + "\n"
        }
        mapText = Data(text.utf8)
        torrc = TorConfig.render(spec, resource: resource)
        perl = EximConfig.perl(spec, resource: resource)
    }

    var all: [ManagedFile] {
        var map = ManagedFile(path: spec.map, content: mapText, mode: 0o644)
        // The plan shows the map entry by entry (from the cdb), not as a text diff.
        map.showDiff = false
        return [
            map,
            ManagedFile(path: spec.tor.torrc, content: Data(torrc.utf8), mode: 0o644),
            ManagedFile(path: spec.exim.perlFile, content: Data(perl.utf8), mode: 0o644),
            ManagedFile(path: spec.exim.mainFile, content: Data(EximConfig.main(spec, resource: resource).utf8), mode: 0o644),
            ManagedFile(path: spec.exim.routerFile, content: Data(EximConfig.router(spec, resource: resource).utf8), mode: 0o644),
            ManagedFile(path: spec.exim.transportFile, content: Data(EximConfig.transport(spec, resource: resource).utf8), mode: 0o644),
        ]
    }
}
