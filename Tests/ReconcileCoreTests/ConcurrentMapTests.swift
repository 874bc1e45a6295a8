import ReconcileCore
import Synchronization
import Testing

/// Probes map thousands of files on every core; callers must see exactly what `map` gives.
@Suite struct ConcurrentMapTests {
    struct Failed: Error, Equatable {
        let index: Int
    }

    @Test func keepsOrder() throws {
        let numbers = Array(0..<10_000)
        #expect(try numbers.concurrentMap { $0 * 2 } == numbers.map { $0 * 2 })
        #expect(try [Int]().concurrentMap { $0 } == [])
    }

    @Test func throwsTheFirstFailureInOrder() {
        let numbers = Array(0..<10_000)
        #expect(throws: Failed(index: 4_000)) {
            try numbers.concurrentMap { number in
                if number == 4_000 || number == 9_000 || number == 7_000 { throw Failed(index: number) }
                return number
            }
        }
        #expect(throws: Failed(index: 3)) {
            try Array(0..<10).concurrentMap { number in
                if number >= 3 { throw Failed(index: number) }
                return number
            }
        }
    }

    /// `plan --out` saves and prints side by side: both run once, also when one fails, and
    /// the first one's error is the one thrown.
    @Test func sideBySideRunsBothOnceAndThrowsTheFirstError() throws {
        let runs = Mutex([0, 0])
        #expect(throws: Failed(index: 0)) {
            try sideBySide({
                runs.withLock { $0[0] += 1 }
                throw Failed(index: 0)
            }, {
                runs.withLock { $0[1] += 1 }
                throw Failed(index: 1)
            })
        }
        #expect(runs.withLock { $0 } == [1, 1])
        #expect(throws: Failed(index: 1)) {
            try sideBySide({ runs.withLock { $0[0] += 1 } }, {
                runs.withLock { $0[1] += 1 }
                throw Failed(index: 1)
            })
        }
        try sideBySide({ runs.withLock { $0[0] += 1 } }, { runs.withLock { $0[1] += 1 } })
        #expect(runs.withLock { $0 } == [3, 3])
    }
}
