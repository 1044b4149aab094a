// GenLowering/pairRowsForDSP.swift - The Arm DSP kernel's weight order: two rows in every int16 lane.

/// Rows handled together by the row-pair kernel: `blocks` blocks of `pairs` row pairs from `firstRow`.
package struct DSPRowPairGroup: Sendable, Equatable {
    package var pairs: Int
    package var firstRow: Int
    package var blocks: Int

    package var rowEnd: Int { firstRow + 2 * pairs * blocks }
}

/// The row-pair kernel's blocks for `rows` rows: three pairs (six rows) at a time, which is as many
/// accumulators as the Cortex-M register file holds beside the loop's pointers, then one block of
/// two pairs or one pair for what is left; an odd last row is computed alone.
package func dspRowPairGroups(rows: Int) -> [DSPRowPairGroup] {
    var groups: [DSPRowPairGroup] = []
    if rows >= 6 { groups.append(DSPRowPairGroup(pairs: 3, firstRow: 0, blocks: rows / 6)) }
    var next = rows / 6 * 6
    for pairs in [2, 1] where rows - next >= 2 * pairs {
        groups.append(DSPRowPairGroup(pairs: pairs, firstRow: next, blocks: 1))
        next += 2 * pairs
    }
    return groups
}

/// The columns after the last whole four that the row-pair kernel runs as one two-column SMLAD step (its
/// table's region 2, `pairRowsForDSP`): 2 where fanIn % 4 is 2 or 3, else 0.
package func dspHalfStepColumns(fanIn: Int) -> Int { fanIn % 4 >= 2 ? 2 : 0 }

/// The row-pair kernel's tables: the weights in its order, and the bias it starts its sums from.
package struct DSPRowPairTables: Sendable, Equatable {
    package var weights: [Int64]
    /// `rows` values: row r's bias, but for the high row r + 1 of a pair whose bias is folded, b[r] +
    /// 256·b[r+1] modulo 2^32 (as int32), where the pair's mixed sum starts: mix − low then is
    /// 256·(b[r+1] + D[r+1]) itself, the high row's whole accumulator, with no bias to add after the loop.
    package var bias: [Int64]
    /// For each pair (rows 2i and 2i + 1), whether its bias is folded so. It is where the bound allows it
    /// in every block of the pair's group (the same position of each block shares its code); elsewhere
    /// mix starts at b[r], as low does, and the high row's bias is added after the loop.
    package var foldedPairs: [Bool]
}

/// An 8-bit `rows × fanIn` weight matrix in the order of the Arm DSP row-pair kernel, with its bias
/// (`DSPRowPairTables`), or nil when the kernel cannot compute some row exactly (the layer then keeps
/// the four-row kernel).
///
/// Why: SMLAD multiplies two int16 lanes with two int16 lanes. If a lane holds 256·w[r+1][c] +
/// w[r][c] (two rows' weights for one column), one SMLAD accumulates both rows at once, into
/// 256·D[r+1] + D[r]; a second SMLAD of the low bytes alone (SXTB16) gives D[r], and the
/// difference divided by 256 gives D[r+1]. Per four weights that is one load, one SXTB16 and two
/// SMLADs, against one load, two SXTB16 and two SMLADs when each lane holds one weight.
///
/// Layout, in four regions (`dspRowPairGroups` gives the blocks):
/// 1. For each block, for every four columns 4m..4m+3, for each pair (r, r+1) of the block, two
///    words: [w[r][4m], h[4m], w[r][4m+2], h[4m+2]], then the same for columns 4m+1 and 4m+3; this
///    matches the SXTB16 split of four int8 activations into (x[4m], x[4m+2]) and (x[4m+1],
///    x[4m+3]). The high byte is corrected for the low byte's sign, h[c] = w[r+1][c] − (w[r][c] < 0),
///    so that the lane read as int16 is exactly 256·w[r+1][c] + w[r][c]. Every block's part is a
///    whole number of 8-byte pair steps, so the kernel may read them two words at a time.
/// 2. Where fanIn % 4 is 2 or 3 (`dspHalfStepColumns`), the two columns c, c + 1 after the last four:
///    for each block, for each pair, one word [w[r][c], h[c], w[r][c+1], h[c+1]], which one SMLAD
///    multiplies with (x[c], x[c+1]) as two int16 lanes. Why: one load, one SXTB16 and two SMLADs per
///    pair, where the per-row loop of region 3 takes a load and a multiply-add per row and column.
/// 3. For each block, its last columns (fanIn % 4, or the one after region 2's two): per column, the
///    block's rows' weights in order.
/// 4. A last row without a pair, as it is.
///
/// Exactness: D[r+1] comes back from a 32-bit difference, so |256·D[r+1]| must stay below 2^31:
/// Σ|w[r+1][c]|·2^(activationBits−1) < 2^23 over the columns the SMLADs cover, and |b[r+1]| more
/// where the bias is folded into mix (`DSPRowPairTables`); and h must fit a byte (w[r+1][c] = −128
/// with w[r][c] < 0 does not).
package func pairRowsForDSP(_ weights: [Int64], bias: [Int64], rows: Int, fanIn: Int, activationBits: Int)
    -> DSPRowPairTables?
{
    precondition(bias.count == rows, "one bias per row")
    let groups = dspRowPairGroups(rows: rows)
    let pairedRows = groups.last?.rowEnd ?? 0
    let quads = fanIn / 4
    let mixedColumns = quads * 4 + dspHalfStepColumns(fanIn: fanIn)
    let largestActivation = Int64(1) << (activationBits - 1)
    func low(_ row: Int, _ column: Int) -> Int64 { weights[row * fanIn + column] }
    func high(_ row: Int, _ column: Int) -> Int64 { weights[(row + 1) * fanIn + column] - (low(row, column) < 0 ? 1 : 0) }
    var foldable: [Bool] = []
    for row in stride(from: 0, to: pairedRows, by: 2) {
        var bound: Int64 = 0
        for column in 0..<mixedColumns {
            if high(row, column) < -128 { return nil }
            bound += abs(weights[(row + 1) * fanIn + column]) * largestActivation
        }
        if bound >= 1 << 23 { return nil }
        foldable.append(bound + abs(bias[row + 1]) < 1 << 23)
    }
    var folded: [Bool] = []
    for group in groups {
        let firstPair = group.firstRow / 2
        let positions = (0..<group.pairs).map { position in
            (0..<group.blocks).allSatisfy { foldable[firstPair + $0 * group.pairs + position] }
        }
        for _ in 0..<group.blocks { folded += positions }
    }
    var out: [Int64] = []
    out.reserveCapacity(weights.count)
    let blockStarts = groups.flatMap { group in
        (0..<group.blocks).map { (first: group.firstRow + $0 * 2 * group.pairs, pairs: group.pairs) }
    }
    for block in blockStarts {
        for quad in 0..<quads {
            for pair in 0..<block.pairs {
                let row = block.first + 2 * pair
                for column in [4 * quad, 4 * quad + 2, 4 * quad + 1, 4 * quad + 3] {
                    out.append(low(row, column))
                    out.append(high(row, column))
                }
            }
        }
    }
    for block in blockStarts where mixedColumns > quads * 4 {
        for pair in 0..<block.pairs {
            let row = block.first + 2 * pair
            for column in [quads * 4, quads * 4 + 1] {
                out.append(low(row, column))
                out.append(high(row, column))
            }
        }
    }
    for block in blockStarts {
        for column in mixedColumns..<fanIn {
            for row in block.first..<(block.first + 2 * block.pairs) { out.append(low(row, column)) }
        }
    }
    out.append(contentsOf: weights[(pairedRows * fanIn)...])
    var startingBias = bias
    for (pair, isFolded) in folded.enumerated() where isFolded {
        startingBias[2 * pair + 1] = Int64(Int32(truncatingIfNeeded: bias[2 * pair] + 256 * bias[2 * pair + 1]))
    }
    return DSPRowPairTables(weights: out, bias: startingBias, foldedPairs: folded)
}
