import Foundation

/// Elapsed time for debug logs, so `--log-level debug` shows where a slow plan spends it.
public struct Stopwatch: Sendable {
    private let started = ContinuousClock.now

    public init() {}

    /// Whole seconds since creation, for progress lines.
    public var seconds: Int64 { (ContinuousClock.now - started).components.seconds }

    /// Seconds since creation, with their fraction.
    public var elapsed: Double {
        let elapsed = ContinuousClock.now - started
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// Milliseconds since creation, one decimal.
    public var milliseconds: String { String(format: "%.1f", elapsed * 1e3) }
}
