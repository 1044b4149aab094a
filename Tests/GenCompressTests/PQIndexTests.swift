// GenCompressTests/PQIndexTests.swift - The PQ index on hand-computed vectors.

import GenCompress
import Testing

@Suite("PQ index")
struct PQIndexTests {
    @Test("equal weights have index 0, a 1-sparse vector the upper bound 1 - d^(1/q - 1/p)")
    func bounds() {
        #expect(abs(pqIndex([2, 2, 2, 2])) < 1e-12)
        // d = 4, p = 0.5, q = 1: bound = 1 - 4^(1 - 2) = 0.75.
        #expect(abs(pqIndex([0, 0, 3, 0]) - 0.75) < 1e-12)
        #expect(pqIndex([]) == 0)
        #expect(pqIndex([0, 0]) == 0)
    }

    @Test("a hand-computed vector")
    func handComputed() {
        // w = [1, 4]: mean sqrt = 1.5, (1.5)^2 = 2.25; mean |w| = 2.5; I = 1 - 2.25 / 2.5 = 0.1.
        #expect(abs(pqIndex([1, -4]) - 0.1) < 1e-12)
    }
}
