import ReconcileCore

/// Manages a unit file and its enabled/active state; restarts only when its file or its inputs changed.
public struct SystemdUnitProvider: ResourceProvider {
    public init() {}

    public func probe(_ resources: [Declared<UnitSpec>], host: HostContext) throws -> [UnitObservation] {
        let notOwned = Set(resources.filter { $0.meta.state == .present && $0.spec.content == nil }.map(\.spec.unit))
        return try ManagedUnit.probe(resources.map(\.spec.unit), notOwned: notOwned, host: host)
    }

    public func plan(_ resource: Declared<UnitSpec>, observed: UnitObservation, context: PlanContext) throws -> ResourcePlan {
        let spec = resource.spec
        var unit = ManagedUnit(
            unit: spec.unit, content: resource.meta.state == .absent ? nil : spec.content,
            enabled: spec.enabled, active: spec.active, restartOn: spec.restartOn)
        unit.ownsFile = resource.meta.state == .absent || spec.content != nil
        return try unit.plan(against: observed, context: context)
    }
}
