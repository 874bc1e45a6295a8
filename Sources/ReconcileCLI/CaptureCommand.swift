import ArgumentParser
import Foundation
import Logging
import ReconcileCore
import ReconcileProviders

struct CaptureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture",
        abstract: "Run a CaptureProxy's chain in the foreground, for ad-hoc debugging.",
        discussion: """
            Starts tcpdump and the two socat relays of CaptureProxy/NAME with the argv its units \
            would run, shows packet and byte counts (refreshed in place on a terminal, a line every \
            5 s otherwise), and stops everything on Ctrl-C, SIGTERM or the resource's timeLimit, \
            tcpdump last and with SIGINT so the pcap is complete. Refuses to start while the port \
            or the proxy socket is in use (for example by the resource's own units). Exits 0 when \
            stopped that way, 1 when a process of the chain failed.
            """
    )

    @Argument(help: "The CaptureProxy's name.", completion: ShellCompletion.captureNames)
    var name: String

    @Argument(help: ArgumentHelp("Manifest files or directories (default: the current directory).", valueName: "PATHS"))
    var paths: [String] = []

    @Option(name: .long, help: ArgumentHelp("trace, debug, info, notice, warning, error or critical.", valueName: "LEVEL"))
    var logLevel: Logger.Level = .warning

    /// The manifests to read: those given, else the current directory.
    var manifestPaths: [String] { paths.isEmpty ? ["."] : paths }

    func run() throws {
        // This host, as is: every host option at its default.
        var options = try HostOptions.parse([])
        options.logLevel = logLevel
        let session = Session(options: options)
        let loaded = try session.loadManifests(manifestPaths, hosts: [try session.identity()])
        let address = ResourceAddress(kind: CaptureProxyProvider.kind, name: name)
        guard let resource = loaded.resources.first(where: { $0.address == address }),
              let spec = resource.spec as? CaptureProxySpec else {
            let known = loaded.resources.filter { $0.address.kind == CaptureProxyProvider.kind }.map(\.address.name)
            Terminal.writeError("error: no \(address) in \(manifestPaths.joined(separator: " "))"
                + (known.isEmpty ? "" : " (declared: \(known.joined(separator: ", ")))"))
            throw CLIExit.failure
        }
        guard resource.meta.state == .present, let units = CaptureUnits(spec) else {
            Terminal.writeError(TerminalText.escapedKeepingLineFeeds("error: \(address) has state: absent; nothing to capture"))
            throw CLIExit.failure
        }
        do {
            let outcome = try ForegroundCapture(units: units, commands: session.commands).run()
            if outcome == .childFailed { throw CLIExit.failure }
        } catch let exit as ExitCodeError {
            throw exit
        } catch {
            Terminal.writeError(TerminalText.escapedKeepingLineFeeds("error: \(address): \(error)"))
            throw CLIExit.failure
        }
    }
}
