// GenLoweringTests/RowPairLayoutTests.swift - The Arm DSP row-pair table, read the way the kernel reads it.

import GenSupport
import Testing

@testable import GenLowering

@Suite("Row-pair weight order for the Arm DSP kernel")
struct RowPairLayoutTests {
    @Test("row blocks: three pairs at a time, then two or one, then a lone row", arguments: 0...13)
    func groups(rows: Int) {
        let groups = dspRowPairGroups(rows: rows)
        let expected: [DSPRowPairGroup] =
            (rows >= 6 ? [DSPRowPairGroup(pairs: 3, firstRow: 0, blocks: rows / 6)] : [])
            + (rows % 6 >= 4 ? [DSPRowPairGroup(pairs: 2, firstRow: rows / 6 * 6, blocks: 1)] : [])
            + ([2, 3].contains(rows % 6) ? [DSPRowPairGroup(pairs: 1, firstRow: rows / 6 * 6, blocks: 1)] : [])
        #expect(groups == expected)
        // Contiguous, and at most one row left over.
        var next = 0
        for group in groups {
            #expect(group.firstRow == next)
            next = group.rowEnd
        }
        #expect(rows - next <= 1)
    }

    @Test("the kernel's SMLAD arithmetic on the table gives every row's exact dot product")
    func kernelArithmeticIsExact() throws {
        var generator = SeededGenerator(seed: 5)
        for rows in 4...13 {
            for fanIn in 4...19 {
                // Any int8 weights, except -128 in a high (odd) row above a negative low weight, which
                // no corrected byte can hold (the next test).
                var weights: [Int64] = (0..<(rows * fanIn)).map { _ in Int64(generator.uniform(-128, 128).rounded(.down)) }
                for index in weights.indices where (index / fanIn) % 2 == 1 && weights[index] == -128 && weights[index - fanIn] < 0 {
                    weights[index] = -127
                }
                let x: [Int64] = (0..<fanIn).map { _ in Int64(generator.uniform(-128, 128).rounded(.down)).clamped(-128, 127) }
                let table = try #require(pairRowsForDSP(weights, rows: rows, fanIn: fanIn, activationBits: 8))
                #expect(table.count == weights.count)
                let sums = emulateKernel(table, rows: rows, fanIn: fanIn, x: x)
                let direct = (0..<rows).map { row in (0..<fanIn).reduce(Int64(0)) { $0 + weights[row * fanIn + $1] * x[$1] } }
                #expect(sums == direct, "rows \(rows), fanIn \(fanIn)")
            }
        }
    }

    @Test("at the bound: 516 columns of +-127 against -128 inputs wrap the mixed accumulator, the rows stay exact")
    func exactAtTheBound() throws {
        var generator = SeededGenerator(seed: 9)
        let rows = 9, fanIn = 516
        // Odd (high) rows of +-127, even rows with -128 where the high weight is not corrected below it.
        let weights: [Int64] = (0..<(rows * fanIn)).map { index in
            let sign: Int64 = generator.uniform(0, 1) < 0.5 ? -1 : 1
            return (index / fanIn) % 2 == 1 ? 127 * sign : (sign < 0 ? -128 : 127)
        }
        let table = try #require(pairRowsForDSP(weights, rows: rows, fanIn: fanIn, activationBits: 8))
        for x in [[Int64](repeating: -128, count: fanIn), [Int64](repeating: 127, count: fanIn),
                  (0..<fanIn).map { _ in generator.uniform(0, 1) < 0.5 ? -128 : 127 }] {
            let direct = (0..<rows).map { row in (0..<fanIn).reduce(Int64(0)) { $0 + weights[row * fanIn + $1] * x[$1] } }
            #expect(emulateKernel(table, rows: rows, fanIn: fanIn, x: x) == direct)
        }
    }

    @Test("a high byte that cannot be corrected (-128 under a negative low weight) keeps the plain table")
    func uncorrectableHighByte() {
        var weights = [Int64](repeating: 3, count: 4 * 8)
        weights[0 * 8 + 5] = -1
        weights[1 * 8 + 5] = -128
        #expect(pairRowsForDSP(weights, rows: 4, fanIn: 8, activationBits: 8) == nil)
        weights[0 * 8 + 5] = 1  // a non-negative low weight needs no correction
        #expect(pairRowsForDSP(weights, rows: 4, fanIn: 8, activationBits: 8) != nil)
    }

    @Test("a high row whose sum could pass 2^23 keeps the plain table")
    func boundTooLarge() {
        // 516 x 127 x 128 = 8,388,096 < 2^23; one more column of 127 passes it.
        let fits = [Int64](repeating: 127, count: 4 * 516)
        #expect(pairRowsForDSP(fits, rows: 4, fanIn: 516, activationBits: 8) != nil)
        let tooLarge = [Int64](repeating: 127, count: 4 * 520)
        #expect(pairRowsForDSP(tooLarge, rows: 4, fanIn: 520, activationBits: 8) == nil)
    }

    /// What dsp_pairs computes, in the instructions' own arithmetic: 32-bit words read little-endian,
    /// SXTB16, SMLAD adding modulo 2^32, and gen_pair_high.
    private func emulateKernel(_ table: [Int64], rows: Int, fanIn: Int, x: [Int64]) -> [Int64] {
        func byte(_ value: Int64) -> UInt32 { UInt32(UInt8(truncatingIfNeeded: value)) }
        func word(_ at: Int) -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 | byte(table[at + $1]) << (8 * UInt32($1)) } }
        func lanes(_ w: UInt32) -> (Int32, Int32) {
            (Int32(Int16(truncatingIfNeeded: w)), Int32(Int16(truncatingIfNeeded: w >> 16)))
        }
        func sxtb16(_ w: UInt32) -> (Int32, Int32) {
            (Int32(Int8(truncatingIfNeeded: w)), Int32(Int8(truncatingIfNeeded: w >> 16)))
        }
        func smlad(_ a: (Int32, Int32), _ b: (Int32, Int32), _ acc: UInt32) -> UInt32 {
            acc &+ UInt32(bitPattern: a.0 &* b.0) &+ UInt32(bitPattern: a.1 &* b.1)
        }
        var sums = [Int64](repeating: 0, count: rows)
        let quads = fanIn / 4
        var w = 0
        let groups = dspRowPairGroups(rows: rows)
        let pairedRows = groups.last?.rowEnd ?? 0
        var wt = pairedRows * quads * 4
        for group in groups {
            for block in 0..<group.blocks {
                let first = group.firstRow + block * 2 * group.pairs
                var mix = [UInt32](repeating: 0, count: group.pairs)
                var low = [UInt32](repeating: 0, count: group.pairs)
                for quad in 0..<quads {
                    let xEven = (Int32(x[4 * quad]), Int32(x[4 * quad + 2]))
                    let xOdd = (Int32(x[4 * quad + 1]), Int32(x[4 * quad + 3]))
                    for pair in 0..<group.pairs {
                        let even = word(w + 8 * pair)
                        let odd = word(w + 8 * pair + 4)
                        mix[pair] = smlad(lanes(even), xEven, mix[pair])
                        low[pair] = smlad(sxtb16(even), xEven, low[pair])
                        mix[pair] = smlad(lanes(odd), xOdd, mix[pair])
                        low[pair] = smlad(sxtb16(odd), xOdd, low[pair])
                    }
                    w += 8 * group.pairs
                }
                for pair in 0..<group.pairs {
                    sums[first + 2 * pair] = Int64(Int32(bitPattern: low[pair]))
                    sums[first + 2 * pair + 1] = Int64(Int32(bitPattern: mix[pair] &- low[pair]) / 256)
                }
                for column in (quads * 4)..<fanIn {
                    for row in 0..<(2 * group.pairs) { sums[first + row] += table[wt + row] * x[column] }
                    wt += 2 * group.pairs
                }
            }
        }
        for row in pairedRows..<rows {
            sums[row] = (0..<fanIn).reduce(Int64(0)) { $0 + table[wt + (row - pairedRows) * fanIn + $1] * x[$1] }
        }
        return sums
    }
}

private extension Int64 {
    func clamped(_ low: Int64, _ high: Int64) -> Int64 { Swift.min(Swift.max(self, low), high) }
}
