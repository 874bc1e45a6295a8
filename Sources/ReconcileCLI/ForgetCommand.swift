import ArgumentParser
import Foundation
import ReconcileCore

struct ForgetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget",
        abstract: "Drop resources from the inventory without touching the host.",
        discussion: """
            The next plan neither removes them (when no longer declared) nor calls their changes drift: \
            reconcile no longer manages them until a manifest declares them and an apply records them again. \
            Takes the apply lock.
            """
    )

    @Argument(
        help: ArgumentHelp("Kind/name as plans print it (globs allowed: 'File/old-*').", valueName: "ADDRESS"),
        completion: ShellCompletion.addresses)
    var addresses: [String]

    @OptionGroup var hostOptions: HostOptions

    @Option(name: .long, help: ArgumentHelp("Wait this long for an apply's lock (default: do not wait).", valueName: "SECONDS"))
    var lockTimeout: Double = 0

    func validate() throws {
        guard !addresses.isEmpty else { throw ValidationError("name at least one resource address") }
    }

    func run() throws {
        let session = Session(options: hostOptions)
        let state = hostOptions.stateDirectory
        try orFail(session) {
            let lock = try ApplyLock.acquire(
                state, holder: ApplyLock.describeThisProcess(command: "reconcile forget", host: hostOptions.hostName), timeout: lockTimeout)
            defer { withExtendedLifetime(lock) {} }
            var inventory = try Inventory.load(state)
            let known = inventory.addresses
            var unknown: [String] = []
            var dropped: [String] = []
            for pattern in addresses {
                let matching = known.filter { address in
                    ResourceAddress(parsing: address).map { PlanScope.matches(pattern, $0) } ?? false
                }
                if matching.isEmpty {
                    unknown.append("\(pattern) is not in the inventory" + Suggestion.didYouMean(pattern, in: known))
                }
                for address in matching where inventory.contains(address) {
                    inventory.set(address, nil)
                    dropped.append(address)
                }
            }
            guard unknown.isEmpty else {
                throw ReconcileError.notAllowed(unknown.joined(separator: "\n") + "\nnothing was forgotten")
            }
            try inventory.save(state)
            for address in dropped.sorted() {
                Terminal.write("forgot \(TerminalText.escaped(address)) (the host is unchanged)\n")
            }
        }
    }
}
