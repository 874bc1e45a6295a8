import ReconcileCore

/// A capture chain as the host shows it: its three units, the proxy socket, the server's
/// socket and who listens on the port.
public struct CaptureProxyObservation: Codable, Sendable, Equatable {
    public var tcpdump: UnitObservation
    public var tcpRelay: UnitObservation
    public var unixRelay: UnitObservation
    public var proxy: FileObservation
    /// nil for an absent resource.
    public var socket: FileObservation?
    /// Local addresses listening on the port (`ss -Hltn`); nil when not probed (staged root, absent).
    public var portListeners: [String]?

    public init(
        tcpdump: UnitObservation, tcpRelay: UnitObservation, unixRelay: UnitObservation, proxy: FileObservation,
        socket: FileObservation?, portListeners: [String]?
    ) {
        self.tcpdump = tcpdump
        self.tcpRelay = tcpRelay
        self.unixRelay = unixRelay
        self.proxy = proxy
        self.socket = socket
        self.portListeners = portListeners
    }

    public func unit(_ role: CaptureUnits.Role) -> UnitObservation {
        switch role {
        case .tcpdump: return tcpdump
        case .tcp: return tcpRelay
        case .unix: return unixRelay
        }
    }
}
