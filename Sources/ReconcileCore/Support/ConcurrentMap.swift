import Foundation
import Synchronization

extension Array where Element: Sendable {
    /// `map` spread over the machine's cores, for long arrays of independent work (a stat and a
    /// read per file, a fingerprint per observation): the same results in the same order, and the
    /// same error as `map` would throw, the one of the first element that failed. Unlike `map`,
    /// elements after a failing one are still transformed, so the work must have no side effects.
    /// Inlinable so callers get it specialized: generic, it looked up type metadata per element.
    @inlinable
    public func concurrentMap<Mapped: Sendable, Failure: Error>(
        minimumCount: Int = 512, _ transform: @Sendable (Element) throws(Failure) -> Mapped
    ) throws(Failure) -> [Mapped] {
        let workers = Swift.min(ProcessInfo.processInfo.activeProcessorCount, 8)
        guard workers > 1, count >= minimumCount else { return try map(transform) }
        let slots = ResultSlots<Mapped, Failure>(count: count)
        // Workers take small chunks as they go rather than a fixed share each: when another
        // process holds one core, the other worker does most of the work instead of waiting.
        let chunk = Swift.max(16, count / (workers * 32))
        let claimed = ClaimCounter()
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let start = claimed.claim(chunk)
                guard start < count else { return }
                for index in start..<Swift.min(count, start + chunk) {
                    slots.set(index, Result { () throws(Failure) -> Mapped in try transform(self[index]) })
                }
            }
        }
        return try slots.values()
    }
}

/// Hands out the next unclaimed index range, atomically.
@usableFromInline
final class ClaimCounter: Sendable {
    private let next = Atomic<Int>(0)

    @usableFromInline
    init() {}

    /// The first index of a range of `count` elements no other worker has.
    @usableFromInline
    func claim(_ count: Int) -> Int {
        next.wrappingAdd(count, ordering: .relaxed).oldValue
    }
}

/// One slot per element, each written by exactly one worker and read only after all have
/// finished (`concurrentPerform` returns then), so no lock is needed.
@usableFromInline
final class ResultSlots<Value: Sendable, Failure: Error>: @unchecked Sendable {
    @usableFromInline
    let slots: UnsafeMutableBufferPointer<Result<Value, Failure>?>

    @inlinable
    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    @inlinable
    deinit {
        slots.baseAddress?.deinitialize(count: slots.count)
        slots.deallocate()
    }

    @inlinable
    func set(_ index: Int, _ result: Result<Value, Failure>) {
        slots[index] = result
    }

    @inlinable
    func values() throws(Failure) -> [Value] {
        var values: [Value] = []
        values.reserveCapacity(slots.count)
        for (index, slot) in slots.enumerated() {
            // Every index below count is claimed by exactly one worker before concurrentPerform returns.
            guard let slot else { preconditionFailure("concurrentMap: element \(index) was never transformed") }
            values.append(try slot.get())
        }
        return values
    }
}

/// Runs two independent pieces of work at once (each may use `concurrentMap` itself) and waits
/// for both; the first one's error wins. Unlike `concurrentMap`, the work may have side effects:
/// each runs exactly once, whatever the other does.
public func sideBySide(_ first: @Sendable () throws -> Void, _ second: @Sendable () throws -> Void) throws {
    let slots = ResultSlots<Bool, any Error>(count: 2)
    DispatchQueue.concurrentPerform(iterations: 2) { index in
        slots.set(index, Result { () throws(any Error) -> Bool in try (index == 0 ? first : second)(); return true })
    }
    _ = try slots.values()
}
