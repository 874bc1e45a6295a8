import ReconcileCore

/// Which TCP ports something listens on, from one `ss -Hltn` for every proxy.
public enum ListeningPorts {
    public static let argv = ["ss", "-Hltn"]

    /// `LISTEN 0 5 127.0.0.1:9000 0.0.0.0:*` → port 9000 ← "127.0.0.1:9000"; the port follows the last colon.
    public static func parse(_ output: String) -> [Int: [String]] {
        var listeners: [Int: [String]] = [:]
        for line in output.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 4, let colon = fields[3].lastIndex(of: ":"),
                  let port = Int(fields[3][fields[3].index(after: colon)...]) else { continue }
            listeners[port, default: []].append(String(fields[3]))
        }
        return listeners
    }

    public static func probe(commands: any CommandRunner) throws -> [Int: [String]] {
        let result = try commands.run(Command(argv))
        guard result.status == 0 else {
            throw ReconcileError.probeFailed(
                kind: CaptureProxyProvider.kind,
                reason: CommandFailure(argv: argv, status: result.status, stderr: result.stderrText).description)
        }
        return parse(result.stdoutText)
    }
}
