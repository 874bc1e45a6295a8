import Testing
@testable import ReconcileCDB

@Suite struct CDBHashTests {
    @Test func knownVectors() {
        #expect(CDBHash.hash(bytes("")) == 0x0000_1505)
        #expect(CDBHash.hash(bytes("a")) == 0x0002_b5c4)
        #expect(CDBHash.hash(bytes("immerda.ch")) == 0xdcad_4b9b)
    }

    @Test func contiguousAndGenericPathsAgree() {
        let word = bytes("immerda.ch")
        // A lazy map is not contiguous, so it takes the per-element loop.
        #expect(CDBHash.hash(word.lazy.map { $0 }) == 0xdcad_4b9b)
        #expect(CDBHash.hash("immerda.ch".utf8) == 0xdcad_4b9b)
        #expect(CDBHash.hash(word[...]) == 0xdcad_4b9b)
    }

    @Test func wrapsAt32Bits() {
        // Long inputs must wrap, not trap on overflow.
        let long = [UInt8](repeating: 0xff, count: 10_000)
        var h: UInt64 = 5381
        for b in long { h = ((h << 5 + h) & 0xffff_ffff) ^ UInt64(b) }
        #expect(CDBHash.hash(long) == UInt32(h))
    }
}
