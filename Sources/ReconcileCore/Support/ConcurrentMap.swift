import Foundation

extension Array where Element: Sendable {
    /// `map` spread over the machine's cores, for long arrays of independent work (a stat and a
    /// read per file, a fingerprint per observation): the same results in the same order, and the
    /// same error as `map` would throw, the one of the first element that failed. Unlike `map`,
    /// elements after a failing one are still transformed, so the work must have no side effects.
    public func concurrentMap<Mapped: Sendable>(
        minimumCount: Int = 512, _ transform: @Sendable (Element) throws -> Mapped
    ) throws -> [Mapped] {
        let workers = Swift.min(ProcessInfo.processInfo.activeProcessorCount, 8)
        guard workers > 1, count >= minimumCount else { return try map(transform) }
        let slots = ResultSlots<Mapped>(count: count)
        let chunk = (count + workers - 1) / workers
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for index in (worker * chunk)..<Swift.min(count, (worker + 1) * chunk) {
                slots.set(index, Result { try transform(self[index]) })
            }
        }
        return try slots.values()
    }
}

/// One slot per element, each written by exactly one worker and read only after all have
/// finished (`concurrentPerform` returns then), so no lock is needed.
private final class ResultSlots<Value: Sendable>: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<Result<Value, any Error>?>

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    deinit {
        slots.baseAddress?.deinitialize(count: slots.count)
        slots.deallocate()
    }

    func set(_ index: Int, _ result: Result<Value, any Error>) {
        slots[index] = result
    }

    func values() throws -> [Value] {
        try slots.map { slot in
            guard let slot else { throw ReconcileError.probeFailed(kind: "", reason: "a concurrent task did not run") }
            return try slot.get()
        }
    }
}
