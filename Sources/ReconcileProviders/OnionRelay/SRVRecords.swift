/// The proposed way to publish onion MX records in DNS (the "Ehlo Onion" write-up's SRV records):
/// `_onion-mx._tcp.DOMAIN. TTL IN SRV PRIORITY WEIGHT PORT ONION.`, in zone-file syntax.
public struct SRVRecords: Sendable {
    public var ttl = 3600
    public var priority = 0
    public var weight = 5
    public var port = 25

    public init(ttl: Int = 3600, priority: Int = 0, weight: Int = 5, port: Int = 25) {
        self.ttl = ttl
        self.priority = priority
        self.weight = weight
        self.port = port
    }

    public func zoneLines(_ spec: OnionRelaySpec, resource: String) -> String {
        var lines = ["; _onion-mx SRV records of \(resource) (\(spec.entries.count) domains), written by reconcile"]
        for entry in spec.entries {
            lines.append("_onion-mx._tcp.\(entry.domain). \(ttl) IN SRV \(priority) \(weight) \(port) \(entry.onion).")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
