/// Resolves host paths under `--root`, so a whole apply can be staged into a folder.
public struct HostRoot: Sendable, Equatable {
    public let path: String

    public init(_ path: String = "/") {
        var trimmed = path
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.path = trimmed.isEmpty ? "/" : trimmed
    }

    public var isLive: Bool { path == "/" }

    /// `/etc/motd` under root `/tmp/stage` is `/tmp/stage/etc/motd`.
    public func resolve(_ hostPath: String) -> String {
        guard !isLive else { return hostPath }
        return hostPath.hasPrefix("/") ? path + hostPath : path + "/" + hostPath
    }
}
