import Foundation
import Logging

/// Logs every command (argv, status, time) at debug level: `--log-level debug` shows what ran.
public struct LoggingRunner: CommandRunner {
    public let wrapped: any CommandRunner
    public let logger: Logger

    public init(_ wrapped: any CommandRunner, logger: Logger) {
        self.wrapped = wrapped
        self.logger = logger
    }

    public func run(_ command: Command) throws -> CommandResult {
        try run(command, every: 0, poll: { true })
    }

    public func run(_ command: Command, every interval: Double, poll: () -> Bool) throws -> CommandResult {
        let stopwatch = Stopwatch()
        let result = interval > 0 ? try wrapped.run(command, every: interval, poll: poll) : try wrapped.run(command)
        logger.debug("ran command", metadata: [
            "argv": .array(command.argv.map { .string($0) }),
            "status": "\(result.status)",
            "ms": "\(stopwatch.milliseconds)",
        ])
        return result
    }
}
