// GenEmitC/RowPairContexts.swift - What the Arm DSP row-pair kernel (dsp_pairs) writes per block of rows.

import GenLowering

/// One group of row-pair blocks: its rows, step, the SMLAD accumulators of each pair and each
/// row's sum and output.
struct RowPairGroupContext {
    var firstRow: String
    var rowEnd: String
    var rowStep: String
    /// Bytes of the table one four-column step reads (8 per pair).
    var stepBytes: String
    /// `low0 = b[o], mix0 = b[o + 1], ...` (the low row's sum starts at its bias; the mixed one at
    /// what the DSP bias table holds for the high row, b[o] + 256·b[o + 1], so mix − low is 256 times
    /// the high row's whole sum; `mix0 = low0` where the pair's bias is not folded) and `acc0, acc1, ...`.
    var sumDeclarations: String
    var accumulatorDeclarations: String
    var pairSteps: [RowPairStepContext]
    /// The two-column step (`hasColumnHalf`): one word per pair, `halfStepBytes` per block.
    var halfStepBytes: String
    var pairHalfSteps: [RowPairStepContext]
    var pairOutputs: [RowPairOutputContext]
    /// With the column in registers (`WeightedKernelContext.columnInRegisters`): the block's pairs one after
    /// the other, and the table bytes a block reads (`blockBytes`).
    var lanePairs: [RowPairLaneContext] = []
    var blockBytes: String = ""
}

/// One pair of a block whose column is in registers: its two sums from start to output.
struct RowPairLaneContext {
    /// `low = bs[o + 2], mix = bs[o + 3]` (or `mix = low` where the pair's bias is not folded).
    var sums: String
    var steps: [RowPairLaneStepContext]
    var lowOutput: String
    var lowShift: String
    /// The high row's sum: `gen_pair_high(mix, low)`, plus its bias where the pair's is not folded.
    var highSum: String
    var highOutput: String
    var highShift: String
}

/// One word of a set's column in registers: where the pair's (or the lone row's) weights for it are, and
/// which lanes (`xEven<word>`, `xOdd<word>`) they meet; `hasOdd` is false where the word's odd lanes lie past the
/// kept inputs (a set keeping 1: its 4 columns hold one input), so their products, all zero, are not written.
struct RowPairLaneStepContext {
    var offset: String
    var word: String
    var hasOdd: Bool
}

/// One pair's two words per four-column step.
struct RowPairStepContext {
    var offset: String
    var mix: String
    var low: String
}

/// One row of a block: its accumulator, where its sum starts (low, which began at the row's bias, or the
/// high row's sum recovered from mix and low, plus its bias where the pair's is not folded), its weight in the column-tail region,
/// its output and shift (a literal where every block of the group has the same).
struct RowPairOutputContext {
    var accumulator: String
    var initialValue: String
    var tailIndex: String
    var output: String
    var shift: String
}

/// Fills the row-pair kernel's keys when lowering put `data`'s weights in the row-pair order:
/// `output(r)` and `shift(r)` are the C expressions of row `o + r`'s output and shift. With
/// `shiftValues` (the layer's per-row shifts), a row position whose shift is the same in every block
/// of its group, and the lone row's, are written as literals instead (`constantShifts`).
/// `weightsThroughSetPointer`: the kernel reads its weights through the pointer of a vector-wise set
/// (`wset`), which GCC has not turned into constants even for a single sixteen-column pass (see below).
/// `laneWords` (1 to `registerLaneLimit`, vector-wise sets only; 0 otherwise): the column is that many whole words, held in
/// registers as int16 lanes, and each pair of a block runs on its own (`RowPairGroupContext.lanePairs`);
/// `laneKept` of its inputs are kept (the rest of the last word is zero).
func addRowPairGroups(
    _ data: WeightedStepData, output: (Int) -> String, shift: (Int) -> String, shiftValues: [Int64]? = nil,
    weightsThroughSetPointer: Bool = false, laneWords: Int = 0, laneKept: Int = 0, to context: inout WeightedKernelContext
) {
    guard context.dsp, data.dspWeights != nil else { return }
    let groups = dspRowPairGroups(rows: data.rows)
    let pairedRows = groups.last?.rowEnd ?? 0
    context.rowPairs = true
    // Column steps: sixteen per loop pass (the loop's add, compare and branch, and the pointer step,
    // cost 4 instructions a pass: 0.04 per MAC at sixteen columns and six rows, against 0.08 at eight),
    // then eight, then four, then the last fanIn % 4 one at a time from the column-tail region, which
    // only rows in pairs have (a lone row reads its own row). A fixed table gets no loop of a single
    // sixteen-column pass, but eight-column passes: without the loop GCC folded a small layer's tables
    // into its code as constants (measured on the digits MLP's 16-input fc3: its 200 bytes of tables
    // became 400 more bytes of code). Vector-wise sets, read through their set's pointer, keep the single
    // pass, and their tables stayed tables (measured at 4/16 with sets of 24, 16 kept a row: 6.5 % fewer
    // instructions on the wide MLP, 7.5 % on the small one, the same weight and index bytes).
    let sixteensFrom = weightsThroughSetPointer ? 16 : 32
    context.hasColumnSixteens = data.fanIn >= sixteensFrom
    context.columnSixteenEnd = String(data.fanIn / 16 * 16)
    context.hasColumnOctets = data.fanIn >= 16 && data.fanIn < sixteensFrom
    context.columnOctetEnd = String(data.fanIn / 8 * 8)
    context.hasColumnOctet = data.fanIn >= sixteensFrom ? data.fanIn % 16 >= 8 : (8..<16).contains(data.fanIn)
    context.hasColumnQuad = data.fanIn % 8 >= 4
    // After the fours: two columns as one SMLAD step per pair (`dspHalfStepColumns`), then the rest per row.
    let halfColumns = groups.isEmpty ? 0 : dspHalfStepColumns(fanIn: data.fanIn)
    context.hasColumnHalf = halfColumns > 0
    context.columnTail = String(data.fanIn % 4 - halfColumns)
    context.hasColumnTail = data.fanIn % 4 > halfColumns && !groups.isEmpty
    context.quadAdvances = context.hasColumnHalf || context.hasColumnTail
    context.octetAdvances = context.hasColumnQuad || context.quadAdvances
    context.readsQuadTable = data.fanIn >= 4 || pairedRows == 0
    context.pairHalfBase = String(pairedRows * (data.fanIn / 4 * 4))
    context.pairTailBase = String(pairedRows * (data.fanIn / 4 * 4 + halfColumns))
    context.hasLoneRow = pairedRows < data.rows
    context.loneRow = String(pairedRows)
    context.loneRowBase = String(pairedRows * data.fanIn)
    context.loneRowMovesPointer = pairedRows > 0
    context.pairBiasFolded = data.dspFoldedPairs.contains(true)
    context.pairSumsNote = context.pairBiasFolded
        ? "low, or the high row's recovered from mix and low (plus its bias where mix started without it)"
        : "low, or the high row's bias plus its sum recovered from mix and low"
    context.loneRowShift = pairedRows < data.rows ? shiftValues.map { String($0[pairedRows]) } ?? context.rowShift : ""
    context.columnInRegisters = laneWords > 0
    context.hasPairGroups = !groups.isEmpty
    context.declaresRowIndex = laneWords == 0 || !groups.isEmpty
    func hasOdd(_ word: Int) -> Bool { 4 * word + 1 < laneKept }
    context.loneLaneWords = (0..<laneWords).map {
        RowPairLaneStepContext(offset: String(4 * $0), word: String($0), hasOdd: hasOdd($0))
    }
    context.pairGroups = groups.map { group in
        let pairs = 0..<group.pairs
        let rows = 0..<(2 * group.pairs)
        let constants = shiftValues.map { constantShifts(of: group, shifts: $0) }
        // A pair's bias folded into mix (`DSPRowPairTables.foldedPairs`: the same in every block of the group).
        func folded(_ pair: Int) -> Bool { data.dspFoldedPairs.isEmpty ? false : data.dspFoldedPairs[group.firstRow / 2 + pair] }
        func offset(_ row: Int) -> String { row == 0 ? "" : " + \(row)" }
        // Row r's shift: a literal where it is the same in every block of the group.
        func rowShift(_ row: Int) -> String { constants?[row].map(String.init) ?? shift(row) }
        let lanePairs = laneWords == 0 ? [] : pairs.map { pair in
            RowPairLaneContext(
                sums: "low = \(context.biasTable)[o\(offset(2 * pair))], mix = "
                    + (folded(pair) ? "\(context.biasTable)[o\(offset(2 * pair + 1))]" : "low"),
                // The table's block order: four columns of every pair of the block, then the next four.
                steps: (0..<laneWords).map {
                    RowPairLaneStepContext(offset: String(8 * group.pairs * $0 + 8 * pair), word: String($0), hasOdd: hasOdd($0))
                },
                lowOutput: output(2 * pair), lowShift: rowShift(2 * pair),
                highSum: folded(pair)
                    ? "gen_pair_high(mix, low)" : "\(context.biasTable)[o\(offset(2 * pair + 1))] + gen_pair_high(mix, low)",
                highOutput: output(2 * pair + 1), highShift: rowShift(2 * pair + 1))
        }
        return RowPairGroupContext(
            firstRow: String(group.firstRow), rowEnd: String(group.rowEnd), rowStep: String(2 * group.pairs),
            stepBytes: String(8 * group.pairs),
            sumDeclarations: pairs.map {
                "low\($0) = \(context.biasTable)[o\(offset(2 * $0))], mix\($0) = "
                    + (folded($0) ? "\(context.biasTable)[o\(offset(2 * $0 + 1))]" : "low\($0)")
            }.joined(separator: ", "),
            accumulatorDeclarations: rows.map { "acc\($0)" }.joined(separator: ", "),
            pairSteps: pairs.map { RowPairStepContext(offset: String(8 * $0), mix: "mix\($0)", low: "low\($0)") },
            halfStepBytes: String(4 * group.pairs),
            pairHalfSteps: pairs.map { RowPairStepContext(offset: String(4 * $0), mix: "mix\($0)", low: "low\($0)") },
            pairOutputs: rows.map { row in
                let pair = row / 2
                let high = "gen_pair_high(mix\(pair), low\(pair))"
                let sum = row % 2 == 0 ? "low\(pair)" : folded(pair) ? high : "\(context.biasTable)[o\(offset(row))] + \(high)"
                return RowPairOutputContext(
                    accumulator: "acc\(row)", initialValue: sum,
                    tailIndex: String(row), output: output(row), shift: rowShift(row))
            },
            lanePairs: lanePairs, blockBytes: String(8 * group.pairs * laneWords))
    }
}
