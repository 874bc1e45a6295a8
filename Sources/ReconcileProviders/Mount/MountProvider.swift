import Foundation
import ReconcileCore

/// Mounts as systemd `.mount` units, planned by `ManagedUnit` like any unit reconcile writes:
/// one probe for every mount (ManagedUnit), enabled and started; a changed unit is restarted
/// (unmounted and mounted again), which the plan classes as a restart.
public struct MountProvider: ResourceProvider {
    public init() {}

    public func validate(_ resources: [Declared<MountSpec>]) -> [Diagnostic] {
        PathClaims.conflicts(resources.map { ($0.spec.where, $0.meta) }, key: "where")
    }

    public func probe(_ resources: [Declared<MountSpec>], host: HostContext) throws -> [UnitObservation] {
        try ManagedUnit.probe(resources.map(\.spec.unitName), host: host)
    }

    public func plan(_ resource: Declared<MountSpec>, observed: UnitObservation, context: PlanContext) throws -> ResourcePlan {
        let spec = resource.spec
        guard resource.meta.state == .present else {
            return try ManagedUnit(unit: spec.unitName, content: nil).plan(against: observed, context: context)
        }
        let unit = ManagedUnit(
            unit: spec.unitName, content: MountUnit.content(spec, address: resource.address), enabled: true, active: true,
            restartOn: [])
        return try unit.plan(against: observed, context: context)
    }
}
