import ReconcileCore

/// Filesystems on blank devices: one `wipefs --no-act` probes every device, and the executor
/// checks again that the device is blank right before `mkfs.TYPE` runs.
public struct FilesystemProvider: ResourceProvider {
    public init() {}

    public func validate(_ resources: [Declared<FilesystemSpec>]) -> [Diagnostic] {
        PathClaims.conflicts(resources.map { ($0.spec.device, $0.meta) }, key: "device")
    }

    public func probe(_ resources: [Declared<FilesystemSpec>], host: HostContext) throws -> [FilesystemObservation] {
        let existing = try resources.map { try host.files.status($0.spec.device) != nil }
        let devices = zip(resources, existing).filter(\.1).map { host.root.resolve($0.0.spec.device) }
        let found = devices.isEmpty ? [:] : try SignatureProbe.probe(devices, commands: host.commands)
        return zip(resources, existing).map { resource, exists in
            let signatures = exists ? found[host.root.resolve(resource.spec.device)] ?? [] : []
            return FilesystemObservation(
                exists: exists, signatures: signatures.compactMap(\.type),
                label: signatures.first?.label, uuid: signatures.first?.uuid)
        }
    }

    public func plan(_ resource: Declared<FilesystemSpec>, observed: FilesystemObservation, context: PlanContext) throws -> ResourcePlan {
        let spec = resource.spec
        let make = Step.makeFilesystem(MakeFilesystemStep(device: spec.device, filesystem: spec.type, options: spec.options))
        guard observed.exists else {
            guard !context.changing.isEmpty else {
                throw PlanProblem(
                    "device", "\(spec.device) does not exist: declare what creates it (a LogicalVolume) and depend on it")
            }
            let creators = context.changing.sorted().map(\.description).joined(separator: ", ")
            return ResourcePlan(
                action: .create, reasons: ["\(spec.device) does not exist yet (\(creators) changes first); made when it is blank"],
                steps: [make])
        }
        if observed.signatures == [spec.type] { return .noop }
        guard observed.signatures.isEmpty else {
            let found = observed.signatures.joined(separator: ", ")
            throw PlanProblem(
                "device", "\(spec.device) is not blank (wipefs finds: \(found)\(observed.label.map { ", label \($0)" } ?? "")): reconcile makes "
                    + "filesystems only on blank devices and never overwrites one (`wipefs --no-act \(spec.device)` shows it)")
        }
        return ResourcePlan(action: .create, reasons: ["\(spec.device) is blank (wipefs finds no signature)"], steps: [make])
    }
}
