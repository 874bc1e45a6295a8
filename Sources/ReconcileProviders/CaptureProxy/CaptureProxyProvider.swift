import Foundation
import ReconcileCore

/// Records what flows over a UNIX socket: a socat relay from `proxy` to TCP on loopback, a second
/// one from there to `socket`, tcpdump on the port; each a systemd unit planned by `ManagedUnit`.
public struct CaptureProxyProvider: ResourceProvider {
    public init() {}

    public func validate(_ resources: [Declared<CaptureProxySpec>]) -> [Diagnostic] {
        let present = resources.filter { $0.meta.state == .present }
        return PathClaims.conflicts(resources.map { ($0.spec.proxy, $0.meta) }, key: "proxy")
            + PathClaims.conflicts(present.compactMap { r in r.spec.pcap.map { ($0, r.meta) } }, key: "pcap")
            + PathClaims.conflicts(present.compactMap { r in r.spec.port.map { ("port \($0)", r.meta) } }, key: "port")
    }

    /// One unit probe (ManagedUnit) for every unit of every proxy, one `ss` for every port, a stat per socket.
    public func probe(_ resources: [Declared<CaptureProxySpec>], host: HostContext) throws -> [CaptureProxyObservation] {
        let roles = CaptureUnits.Role.allCases
        let units = try ManagedUnit.probe(resources.flatMap { CaptureUnits.unitNames($0.spec.name) }, host: host)
        let wantsPorts = host.root.isLive && resources.contains { $0.meta.state == .present }
        let listeners = wantsPorts ? try ListeningPorts.probe(commands: host.commands) : nil
        return try resources.enumerated().map { index, resource in
            let own = Array(units[(index * roles.count)..<((index + 1) * roles.count)])
            let present = resource.meta.state == .present
            var proxy = try FileObservation.probe(resource.spec.proxy, files: host.files)
            if present {
                // socat sets the proxy socket's owner: a name the host lacks fails the relay at start.
                proxy.noteUnknownAccounts(owner: resource.spec.owner, group: resource.spec.group, in: AccountDatabase.of(host.files))
            }
            return CaptureProxyObservation(
                tcpdump: own[0], tcpRelay: own[1], unixRelay: own[2],
                proxy: proxy,
                socket: try present ? resource.spec.socket.map { try FileObservation.probe($0, files: host.files) } : nil,
                portListeners: present ? resource.spec.port.flatMap { port in listeners.map { $0[port] ?? [] } } : nil)
        }
    }

    public func plan(
        _ resource: Declared<CaptureProxySpec>, observed: CaptureProxyObservation, context: PlanContext
    ) throws -> ResourcePlan {
        guard resource.meta.state == .present, let units = CaptureUnits(resource.spec) else {
            return try planRemoval(resource.spec, observed: observed, context: context)
        }
        try observed.proxy.refuseUnknownAccounts(pending: context.pendingAccounts)
        try checkProxyPath(units, observed: observed)
        try checkPort(units, observed: observed, address: resource.address)
        // A time-limited capture that ran out stays ended; only new or changed units start it again.
        let inPlace = CaptureUnits.Role.allCases.allSatisfy {
            observed.unit($0).file.sha256 == Fingerprint.sha256(Data(units.unitContent($0).utf8))
        }
        let active: Bool? = units.timeLimit != nil && inPlace ? nil : true
        let planned = try CaptureUnits.Role.allCases.map { role in
            let unit = ManagedUnit(
                unit: units.unitName(role), content: units.unitContent(role), enabled: role == .unix ? true : nil, active: active)
            return (unit.unit, try unit.plan(against: observed.unit(role), context: context))
        }
        var plan = ManagedUnit.merge(planned, fileStepsFirst: true)
        if plan.action != .noop && planned.allSatisfy({ $0.1.action == .create }) { plan.action = .create }
        if let socket = observed.socket, !socket.exists {
            plan.warnings.append(
                "\(units.socket) does not exist: connections through \(units.proxy) fail until the server listens there")
        }
        return plan
    }

    private func planRemoval(
        _ spec: CaptureProxySpec, observed: CaptureProxyObservation, context: PlanContext
    ) throws -> ResourcePlan {
        let planned = try CaptureUnits.Role.allCases.reversed().map { role in
            let unit = ManagedUnit(unit: CaptureUnits.unitName(spec.name, role), content: nil)
            return (unit.unit, try unit.plan(against: observed.unit(role), context: context))
        }
        var plan = ManagedUnit.merge(planned, fileStepsFirst: false)
        if observed.proxy.exists {
            if observed.proxy.type == .other {
                plan.steps.append(.removeFile(RemoveFileStep(path: spec.proxy, backup: false)))
                plan.reasons.append("the proxy socket \(spec.proxy) is left over")
                plan.action = .delete
            } else {
                plan.warnings.append("\(spec.proxy) is a \(observed.proxy.type?.rawValue ?? "file"), not a socket; left alone")
            }
        }
        return plan
    }

    /// socat's unlink-early removes whatever is at the proxy path: only ever a socket.
    private func checkProxyPath(_ units: CaptureUnits, observed: CaptureProxyObservation) throws {
        guard observed.proxy.exists, observed.proxy.type != .other else { return }
        throw ReconcileError.notAllowed(
            "CaptureProxy/\(units.name): \(units.proxy) is a \(observed.proxy.type?.rawValue ?? "file"), not a socket; "
                + "the relay would delete it: remove it or choose another proxy path")
    }

    /// A port something else listens on would make the relay fail at start, after the apply began.
    private func checkPort(_ units: CaptureUnits, observed: CaptureProxyObservation, address: ResourceAddress) throws {
        guard let listeners = observed.portListeners, !listeners.isEmpty else { return }
        let relay = observed.tcpRelay
        let ours = relay.isActive && relay.file.text?.contains("TCP-LISTEN:\(units.port),") == true
        guard !ours else { return }
        throw ReconcileError.notAllowed(
            "\(address): port \(units.port) is already in use (listening: \(listeners.joined(separator: ", "))), "
                + "not by \(units.unitName(.tcp)); choose another port")
    }
}
