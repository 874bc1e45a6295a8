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
    /// Runs while calling `poll` every `interval` seconds; `poll` returning false stops the command (SIGTERM).
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

/// Runs real processes; the only implementation the CLI wires in.
public struct ProcessRunner: CommandRunner {
    public init() {}

    public func run(_ command: Command) throws -> CommandResult {
        try run(command, every: 0, poll: { true })
    }

    public func run(_ command: Command, every interval: Double, poll: () -> Bool) throws -> CommandResult {
        guard let executable = command.argv.first else {
            throw ReconcileError.notAllowed("empty argv")
        }
        let process = Process()
        if executable.contains("/") {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = Array(command.argv.dropFirst())
        } else {
            guard let resolved = Executables.find(executable) else {
                throw ReconcileError.commandFailed(CommandFailure(
                    argv: command.argv, status: 127, stderr: "\(executable): command not found in PATH"))
            }
            process.executableURL = URL(fileURLWithPath: resolved)
            process.arguments = Array(command.argv.dropFirst())
        }
        var environment = ProcessInfo.processInfo.environment
        environment.merge(command.environment) { _, new in new }
        process.environment = environment
        let stdout = Pipe()
        let stderr = Pipe()
        let stdin = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = stdin
        do {
            try process.run()
        } catch {
            throw ReconcileError.commandFailed(
                CommandFailure(argv: command.argv, status: 127, stderr: "cannot start: \(error)"))
        }
        let collected = [DataBox(), DataBox()]
        let group = DispatchGroup()
        for (pipe, box) in zip([stdout, stderr], collected) {
            group.enter()
            DispatchQueue.global().async {
                box.value = pipe.fileHandleForReading.readDataToEndOfFile()
                group.leave()
            }
        }
        if let input = command.standardInput {
            // A child that exits without reading its input must not take us down with EPIPE.
            try? stdin.fileHandleForWriting.write(contentsOf: input)
        }
        try? stdin.fileHandleForWriting.close()
        if interval > 0 {
            while process.isRunning {
                if !poll() {
                    process.terminate()
                    break
                }
                Thread.sleep(forTimeInterval: interval)
            }
        }
        group.wait()
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus, stdout: collected[0].value, stderr: collected[1].value)
    }
}

/// Lets a reader thread hand its bytes back; the dispatch group orders the accesses.
private final class DataBox: @unchecked Sendable {
    var value = Data()
}

/// PATH lookup, so argv[0] can be a bare name as in a shell, and probes can ask whether a tool is there.
public enum Executables {
    public static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}
