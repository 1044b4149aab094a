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

    @Test("the kernel's SMLAD arithmetic on the tables gives every row's exact sum, bias included")
    func kernelArithmeticIsExact() throws {
        var generator = SeededGenerator(seed: 5)
        var foldedPairs = 0, unfoldedPairs = 0
        for rows in 4...13 {
            for fanIn in 2...19 {
                // Any int8 weights, except -128 in a high (odd) row above a negative low weight, which
                // no corrected byte can hold (the next test).
                var weights: [Int64] = (0..<(rows * fanIn)).map { _ in Int64(generator.uniform(-128, 128).rounded(.down)) }
                for index in weights.indices where (index / fanIn) % 2 == 1 && weights[index] == -128 && weights[index - fanIn] < 0 {
                    weights[index] = -127
                }
                // Biases of any int32 size: the large ones (a row of tiny weights has them) cannot be folded.
                let bias: [Int64] = (0..<rows).map { _ in
                    generator.uniform(0, 1) < 0.2 ? Int64(generator.uniform(-2e9, 2e9)) : Int64(generator.uniform(-4e4, 4e4))
                }
                let x: [Int64] = (0..<fanIn).map { _ in Int64(generator.uniform(-128, 128).rounded(.down)).clamped(-128, 127) }
                let tables = try #require(pairRowsForDSP(weights, bias: bias, rows: rows, fanIn: fanIn, activationBits: 8))
                #expect(tables.weights.count == weights.count)
                foldedPairs += tables.foldedPairs.filter { $0 }.count
                unfoldedPairs += tables.foldedPairs.filter { !$0 }.count
                let sums = emulateKernel(tables, bias: bias, rows: rows, fanIn: fanIn, x: x)
                let direct = (0..<rows).map { row in
                    (0..<fanIn).reduce(bias[row]) { $0 + weights[row * fanIn + $1] * x[$1] }
                }
                #expect(sums == direct, "rows \(rows), fanIn \(fanIn)")
            }
        }
        // Both forms ran.
        #expect(foldedPairs > 0 && unfoldedPairs > 0)
    }

    @Test("a pair's bias is folded where |b[r+1]| and the weights' bound stay below 2^23, in every block alike")
    func foldedWhereTheBoundAllows() throws {
        // 14 rows: two blocks of three pairs, then one pair. Row 3 (position 3 of block 0) has a bias past
        // 2^23: pair 1 of both blocks keeps the unfolded form; pair 6 (rows 12-13) its own.
        var bias = [Int64](repeating: 1000, count: 14)
        bias[3] = 1 << 23
        bias[13] = -(1 << 23)
        let weights = [Int64](repeating: 1, count: 14 * 4)
        let tables = try #require(pairRowsForDSP(weights, bias: bias, rows: 14, fanIn: 4, activationBits: 8))
        #expect(tables.foldedPairs == [true, false, true, true, false, true, false])
        #expect(tables.bias[1] == 1000 + 256 * 1000)
        #expect(tables.bias[3] == 1 << 23)
        #expect(tables.bias[9] == 1000)
        #expect(tables.bias[13] == -(1 << 23))
        // |b| = 2^23 - 513 beside four weights of 1 times 128 stays below 2^23: folded, as int32 modulo 2^32.
        bias[3] = (1 << 23) - 4 * 128 - 1
        bias[9] = bias[3]
        let justFits = try #require(pairRowsForDSP(weights, bias: bias, rows: 14, fanIn: 4, activationBits: 8))
        #expect(justFits.foldedPairs[1] && justFits.foldedPairs[4])
        #expect(justFits.bias[3] == Int64(Int32(truncatingIfNeeded: 1000 + 256 * bias[3])))
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
        let bias = [Int64](repeating: 0, count: rows)
        let tables = try #require(pairRowsForDSP(weights, bias: bias, rows: rows, fanIn: fanIn, activationBits: 8))
        for x in [[Int64](repeating: -128, count: fanIn), [Int64](repeating: 127, count: fanIn),
                  (0..<fanIn).map { _ in generator.uniform(0, 1) < 0.5 ? -128 : 127 }] {
            let direct = (0..<rows).map { row in (0..<fanIn).reduce(Int64(0)) { $0 + weights[row * fanIn + $1] * x[$1] } }
            #expect(emulateKernel(tables, bias: bias, rows: rows, fanIn: fanIn, x: x) == direct)
        }
    }

    @Test("a high byte that cannot be corrected (-128 under a negative low weight) keeps the plain table")
    func uncorrectableHighByte() {
        var weights = [Int64](repeating: 3, count: 4 * 8)
        weights[0 * 8 + 5] = -1
        weights[1 * 8 + 5] = -128
        let bias = [Int64](repeating: 0, count: 4)
        #expect(pairRowsForDSP(weights, bias: bias, rows: 4, fanIn: 8, activationBits: 8) == nil)
        weights[0 * 8 + 5] = 1  // a non-negative low weight needs no correction
        #expect(pairRowsForDSP(weights, bias: bias, rows: 4, fanIn: 8, activationBits: 8) != nil)
    }

    @Test("a high row whose sum could pass 2^23 keeps the plain table")
    func boundTooLarge() {
        // 516 x 127 x 128 = 8,388,096 < 2^23; one more column of 127 passes it.
        let bias = [Int64](repeating: 0, count: 4)
        let fits = [Int64](repeating: 127, count: 4 * 516)
        #expect(pairRowsForDSP(fits, bias: bias, rows: 4, fanIn: 516, activationBits: 8) != nil)
        let tooLarge = [Int64](repeating: 127, count: 4 * 520)
        #expect(pairRowsForDSP(tooLarge, bias: bias, rows: 4, fanIn: 520, activationBits: 8) == nil)
    }

    @Test("the two-column step's columns pass the high-byte check; the single column after them is added per row")
    func twoColumnStepChecksItsColumns() {
        for fanIn in [6, 7, 10, 11, 14, 15] {
            let step = fanIn / 4 * 4
            for column in [step, step + 1] + (fanIn % 4 == 3 ? [step + 2] : []) {
                // -128 in a high row over a negative low weight: no corrected byte holds it where SMLAD reads it.
                var weights = [Int64](repeating: 3, count: 4 * fanIn)
                weights[2 * fanIn + column] = -1
                weights[3 * fanIn + column] = -128
                let bias = [Int64](repeating: 0, count: 4)
                let table = pairRowsForDSP(weights, bias: bias, rows: 4, fanIn: fanIn, activationBits: 8)
                #expect((table == nil) == (column < step + 2), "fan-in \(fanIn), column \(column)")
                weights[2 * fanIn + column] = 0
                #expect(pairRowsForDSP(weights, bias: bias, rows: 4, fanIn: fanIn, activationBits: 8) != nil)
            }
        }
    }

    @Test("the bound counts the two-column step: rows of 127 keep the row pairs up to 517 columns, not 518 or 519")
    func boundCountsTheTwoColumnStep() {
        // 127 * 128 per column: 516 columns give 8,388,096 < 2^23; 517 adds one per row (region 3), 518 two by SMLAD.
        let bias = [Int64](repeating: 0, count: 4)
        for (fanIn, fits) in [(514, true), (515, true), (516, true), (517, true), (518, false), (519, false)] {
            let weights = [Int64](repeating: 127, count: 4 * fanIn)
            #expect((pairRowsForDSP(weights, bias: bias, rows: 4, fanIn: fanIn, activationBits: 8) != nil) == fits, "\(fanIn)")
        }
        // A set's columns: its kept inputs, 2 by the two-column step, 1 and 3 over one padded four-column step.
        for kept in 1...60 {
            let columns = rowPairSetColumns(keptPerRow: kept, armDSP: true, weightBits: 8, activationBits: 8, accumulatorBits: 32)
            #expect(columns == (kept == 2 ? 2 : max(kept, 4)))
        }
    }

    @Test("vector-wise sets: a pair position folds in a run of sets (one code) only where every set of the run folds it")
    func setsFoldByRun() {
        // Sets of 6, 6, 6, 4 and 4 rows: runs {0, 1, 2} (three pairs) and {3, 4} (two pairs).
        let eachSet: [[Bool]] = [[true, true, true], [true, false, true], [true, true, true], [false, true], [true, true]]
        let folded = foldedPairsByRun(runs: [(0, 3, 6), (3, 2, 4)], eachSet: eachSet)
        #expect(folded == [[true, false, true], [true, false, true], [true, false, true], [false, true], [false, true]])
        // A set of its own rows is a run of one: it keeps what it could fold.
        #expect(foldedPairsByRun(runs: [(0, 1, 6), (1, 1, 4), (2, 1, 6)], eachSet: [[true, false, true], [false, true], [false, true, true]])
            == [[true, false, true], [false, true], [false, true, true]])
    }

    @Test("at the bound with a bias: the weights' 8,388,096 and |b| = 600 pass 2^23, so that pair keeps b out of mix; 511 folds")
    func foldAtTheBound() throws {
        // 4 rows of 516 columns, the high rows all 127: Σ|w|·128 = 8,388,096, 512 below 2^23.
        let rows = 4, fanIn = 516
        let weights: [Int64] = (0..<(rows * fanIn)).map { ($0 / fanIn) % 2 == 1 ? 127 : -3 }
        // Folded, b = -600 would give the high row -8,388,696 against inputs of -128: 256 times that leaves int32.
        for (highBias, folds) in [(Int64(-600), false), (-511, true), (600, false), (511, true)] {
            let bias: [Int64] = [5, highBias, -7, highBias]
            let tables = try #require(pairRowsForDSP(weights, bias: bias, rows: rows, fanIn: fanIn, activationBits: 8))
            #expect(tables.foldedPairs == [folds, folds], "b = \(highBias)")
            for x in [[Int64](repeating: -128, count: fanIn), [Int64](repeating: 127, count: fanIn)] {
                let direct = (0..<rows).map { row in (0..<fanIn).reduce(bias[row]) { $0 + weights[row * fanIn + $1] * x[$1] } }
                #expect(emulateKernel(tables, bias: bias, rows: rows, fanIn: fanIn, x: x) == direct, "b = \(highBias)")
            }
        }
    }

    /// What dsp_pairs computes, in the instructions' own arithmetic: 32-bit words read little-endian,
    /// SXTB16, SMLAD adding modulo 2^32 from the sums' starts (low at the DSP bias table's b[r], mix there
    /// too or at its high row's entry where the pair is folded), and gen_pair_high (plus the plain bias
    /// `bias` of the high row where it is not).
    private func emulateKernel(_ tables: DSPRowPairTables, bias: [Int64], rows: Int, fanIn: Int, x: [Int64]) -> [Int64] {
        let table = tables.weights
        func start(_ value: Int64) -> UInt32 { UInt32(bitPattern: Int32(truncatingIfNeeded: value)) }
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
        let half = dspHalfStepColumns(fanIn: fanIn)
        var wh = pairedRows * quads * 4
        var wt = pairedRows * (quads * 4 + half)
        for group in groups {
            for block in 0..<group.blocks {
                let first = group.firstRow + block * 2 * group.pairs
                let folded = (0..<group.pairs).map { tables.foldedPairs[first / 2 + $0] }
                var low = (0..<group.pairs).map { start(tables.bias[first + 2 * $0]) }
                var mix = (0..<group.pairs).map { folded[$0] ? start(tables.bias[first + 2 * $0 + 1]) : low[$0] }
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
                if half > 0 {
                    // One word per pair: columns c and c + 1 of both rows against (x[c], x[c + 1]).
                    let xPair = (Int32(x[4 * quads]), Int32(x[4 * quads + 1]))
                    for pair in 0..<group.pairs {
                        let both = word(wh + 4 * pair)
                        mix[pair] = smlad(lanes(both), xPair, mix[pair])
                        low[pair] = smlad(sxtb16(both), xPair, low[pair])
                    }
                    wh += 4 * group.pairs
                }
                for pair in 0..<group.pairs {
                    sums[first + 2 * pair] = Int64(Int32(bitPattern: low[pair]))
                    sums[first + 2 * pair + 1] = Int64(Int32(bitPattern: mix[pair] &- low[pair]) / 256)
                        + (folded[pair] ? 0 : bias[first + 2 * pair + 1])
                }
                for column in (quads * 4 + half)..<fanIn {
                    for row in 0..<(2 * group.pairs) { sums[first + row] += table[wt + row] * x[column] }
                    wt += 2 * group.pairs
                }
            }
        }
        for row in pairedRows..<rows {
            sums[row] = (0..<fanIn).reduce(tables.bias[row]) { $0 + table[wt + (row - pairedRows) * fanIn + $1] * x[$1] }
        }
        return sums
    }
}

private extension Int64 {
    func clamped(_ low: Int64, _ high: Int64) -> Int64 { Swift.min(Swift.max(self, low), high) }
}
