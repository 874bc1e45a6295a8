import Foundation

/// Elapsed time for debug logs, so `--log-level debug` shows where a slow plan spends it.
public struct Stopwatch: Sendable {
    private let started = ContinuousClock.now

    public init() {}

    /// Whole seconds since creation, for progress lines.
    public var seconds: Int64 { (ContinuousClock.now - started).components.seconds }

    /// Milliseconds since creation, one decimal.
    public var milliseconds: String {
        let elapsed = ContinuousClock.now - started
        let value = Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) / 1e15
        return String(format: "%.1f", value)
    }
}
