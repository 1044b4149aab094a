// GenCompressTests/DARBTests.swift - Block-max masking and density-adaptive block sizes.

import GenCompress
import GenModel
import GenSupport
import Testing

@Suite("DARB: one weight per block, block size adapted per row")
struct DARBTests {
    @Test("allowed block sizes are the powers of two dividing the fan-in")
    func allowed() {
        #expect(darbAllowedBlocks(fanIn: 64) == [1, 2, 4, 8, 16, 32, 64])
        #expect(darbAllowedBlocks(fanIn: 784) == [1, 2, 4, 8, 16])
        #expect(darbAllowedBlocks(fanIn: 9) == [1])
    }

    @Test("block-max masking keeps exactly the largest |w| of every block (ties to the lower index)")
    func blockMax() {
        let w: [Double] = [0.1, -0.9, 0.3, 0.2, /**/ 0.5, 0.5, -0.1, 0.0, /**/ 1, 2, 3, 4, 5, 6, 7, 8]
        let mask = blockMaxMask(w, rows: 2, fanIn: 8, blocks: [4, 8])
        #expect(mask.kept[0..<8] == [false, true, false, false, true, false, false, false])
        #expect(mask.kept[8..<16] == [false, false, false, false, false, false, false, true])
        #expect(mask.rowBlocks == [4, 8] && mask.k == 1 && mask.n == 8)
    }

    @Test("denser rows get smaller blocks, and the layer lands near the target sparsity")
    func adaptive() {
        var g = SeededGenerator(seed: 5)
        // 8 rows of 64: row r has 8 * (r + 1) large weights among small ones.
        var w: [Double] = []
        for row in 0..<8 {
            for column in 0..<64 { w.append(column < 8 * (row + 1) ? g.uniform(1, 2) : g.uniform(-0.01, 0.01)) }
        }
        let blocks = darbBlockSizes(w, rows: 8, fanIn: 64, sparsity: 0.75)
        for (a, b) in zip(blocks, blocks.dropFirst()) { #expect(a >= b) }
        #expect(blocks.allSatisfy { darbAllowedBlocks(fanIn: 64).contains($0) })
        let kept = blocks.reduce(0) { $0 + 64 / $1 }
        #expect(abs(Double(kept) / 512 - 0.25) < 0.1, "kept \(kept) of 512")
        let mask = blockMaxMask(w, rows: 8, fanIn: 64, blocks: blocks)
        for row in 0..<8 { #expect(mask.kept[(row * 64)..<((row + 1) * 64)].filter { $0 }.count == 64 / blocks[row]) }
    }
}
