import Foundation

/// A command to run: argv only, never a shell string.
public struct Command: Sendable, Hashable, Codable {
    public var argv: [String]
    public var environment: [String: String]
    public var standardInput: Data?

    public init(_ argv: [String], environment: [String: String] = [:], standardInput: Data? = nil) {
        self.argv = argv
        self.environment = environment
        self.standardInput = standardInput
    }
}

public struct CommandResult: Sendable, Equatable, Codable {
    /// The exit status; for a command a signal ended, the signal's number (9 after SIGKILL), as
    /// Foundation's `Process` reported it (`SpawnedProcess.Termination.status`).
    public var status: Int32
    public var stdout: Data
    public var stderr: Data

    public init(status: Int32, stdout: Data = Data(), stderr: Data = Data()) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }

    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// The one way probes and the executor start processes; tests inject recorded outputs.
public protocol CommandRunner: Sendable {
    func run(_ command: Command) throws -> CommandResult
    /// Runs while calling `poll` every `interval` seconds; `poll` returning false stops the command
    /// (`ProcessRunner`: SIGTERM to its process group, SIGKILL after `stopGrace` seconds).
    func run(_ command: Command, every interval: Double, poll: () -> Bool) throws -> CommandResult
}

extension CommandRunner {
    /// Recorded runners answer at once: one poll, then the answer.
    public func run(_ command: Command, every interval: Double, poll: () -> Bool) throws -> CommandResult {
        _ = poll()
        return try run(command)
    }

    /// Runs and insists on exit status 0, turning anything else into a `CommandFailure`.
    public func checked(_ command: Command) throws -> CommandResult {
        let result = try run(command)
        guard result.status == 0 else {
            throw ReconcileError.commandFailed(
                CommandFailure(argv: command.argv, status: result.status, stderr: result.stderrText))
        }
        return result
    }

    public func checked(_ argv: [String]) throws -> CommandResult {
        try checked(Command(argv))
    }
}

/// Runs real processes through `SpawnedProcess`; the only implementation the CLI wires in.
public struct ProcessRunner: CommandRunner {
    /// Between SIGTERM and SIGKILL when `poll` stops a command (a stalled cache flush): room for a
    /// command that handles SIGTERM to release its locks and end cleanly; a stalled apply should
    /// not hang much longer than that.
    public static let defaultStopGrace: TimeInterval = 10

    public let stopGrace: TimeInterval

    public init(stopGrace: TimeInterval = ProcessRunner.defaultStopGrace) {
        self.stopGrace = stopGrace
    }

    public func run(_ command: Command) throws -> CommandResult {
        try run(command, every: 0, poll: { true })
    }

    public func run(_ command: Command, every interval: Double, poll: () -> Bool) throws -> CommandResult {
        let child = try SpawnedProcess.spawn(
            command.argv, environment: command.environment,
            input: command.standardInput.map { .bytes($0) } ?? .null, output: .pipes, outlivesReconcile: true)
        let pipes = child.pipes
        if interval > 0 {
            while child.exitStatus() == nil {
                guard poll() else {
                    child.terminate(grace: stopGrace, meanwhile: pipes.pump)
                    break
                }
                child.waitForExit(until: Date().addingTimeInterval(interval), meanwhile: pipes.pump)
            }
        }
        pipes.pump(until: nil)
        return CommandResult(status: child.reap().status, stdout: pipes.stdout, stderr: pipes.stderr)
    }
}
