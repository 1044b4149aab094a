// GenEmitC/SharedKofNContexts.swift - What the vector-wise k-of-n kernel (dense_kofn_sets) writes.

import GenLowering

/// A vector-wise k-of-n dense layer: one gather per set of rows, then the set's rows as a dense layer
/// over the gathered column (the row-pair kernel on Arm DSP cores, plain loops elsewhere).
struct SharedSetsKernelContext {
    var comment: String
    var function: String
    var actType: String
    var accType: String
    var requantize: String
    var weightType: String
    var weightTable: String
    var biasTable: String
    var indexTable: String
    var indexType: String
    var shiftTable: String?
    var rowShift: String
    var clampLow: String
    var clampHigh: String
    var inputs: String
    var outputs: String
    var k: String
    var n: String
    /// The rows of a set, for the header comment (`SharedKofNLayout.setSizeText`).
    var rowsPerSet: String
    var keptPerRow: String
    var column: String
    /// Where a set gathers from (`x`, or a conv2d's im2col column `col`) and into (`col`, or `scol`).
    var gatherSource: String
    var setColumn: String
    /// Row o's output of the set, plain C (from `ys`, the set's first: `SharedSetRunContext.setOutputs`).
    var plainOutput: String
    /// The sets' loop (`kofn_sets_body`, rendered and indented where the kernel's template places it).
    var setsBody: String = ""
    /// An unpadded conv2d (`SharedKofNLayout.windowOffsets`): no im2col column; each set gathers from `win`, the
    /// pixel's window origin in x (`windowOrigin`, its index).
    var windowGather: Bool = false
    var windowOrigin: String = ""
    /// conv2d: the im2col column's place, its gather for pixel (oy, ox) (rendered, indented), geometry.
    var imColumn: String = ""
    var imColumnGather: String = ""
    /// conv2d with padded rows (`ConvStep.paddedRowsOffset`): their place, and their copy per output row.
    var usesPaddedRows: Bool = false
    var paddedPlace: String = ""
    var imPaddedRows: String = ""
    var inputSize: String = ""
    var outputSize: String = ""
    var outHeight: String = ""
    var outWidth: String = ""
    /// The weights are also in the row-pair order (`dspWeights`), each set from `SharedSetRunContext.weightBase`.
    var paired: Bool
    /// The DSP gather writes four inputs per word up to `gatherQuadEnd`, then the rest one by one: written
    /// out (`gatherWords`, `gatherTail`) where the set keeps at most `unrolledGatherLimit` inputs, else loops.
    var gatherQuadEnd: String
    var hasGatherQuads: Bool
    var hasGatherTail: Bool
    var gatherUnrolled: Bool
    var gatherWords: [GatherWordContext]
    var gatherTail: [String]
    /// Where the row-pair kernel reads more columns (`WeightedStepData.dspSetColumns`) than the kept inputs.
    var columnPadNote: String?
    /// A dense layer whose sets' columns are whole words, at most `registerLaneLimit`: the DSP gather builds
    /// each word's int16 lanes in registers (`laneWords`) instead of writing col, and every row of the set
    /// reads them there (`WeightedKernelContext.columnInRegisters`).
    var registerLanes: Bool = false
    var laneWords: [SetLaneWordContext] = []
    var runs: [SharedSetRunContext]
    /// Outputs proven constant (`removeConstantOutputs`), stored after the computed rows; a conv2d's are
    /// whole channels of `outPixels`.
    var hasConstantOutputs = false
    var constantOutputs: [ConstantOutputContext] = []
    var outPixels: String = ""
}

/// One word of a set's column held in registers: inputs 4w and 4w + 2 as the int16 lanes of `xEven<w>`,
/// 4w + 1 and 4w + 3 as those of `xOdd<w>` (`0` past the kept inputs, where the weights are zero; no `xOdd<w>`
/// where both are past them, `hasOdd` false: only a set keeping 1, since a column is whole words only at 1, 3
/// and a multiple of 4 kept, `rowPairSetColumns`).
struct SetLaneWordContext {
    var word: String
    var even: String
    var odd: String
    var hasOdd: Bool
}

/// A set whose column (`WeightedStepData.dspSetColumns`) is at most this many whole words keeps it in
/// registers as int16 lanes, and its row pairs run one by one (`addRowPairGroups`' `laneWords`). Why:
/// the gather's store and each block's reload and split of the words go, and only two sums are live at a
/// time instead of a block's six. Measured with `Scripts/bench_mcu.py` (Cortex-M4 -O2): up to two words, the
/// digits MLP at 2/16 in sets of 24 with one scale per layer 642 to 579 instructions, at 4/16 1,022 to 992.
/// Up to eight (32 kept inputs: more lanes than registers, GCC keeps some on the stack, still fewer loads than
/// the blocks' reloads), the digits MLP's fc1 and the wide MLP's fc1 and fc2 at 4/16 too: the wide MLP at 4/16 in
/// sets of 24 with one scale per layer 5,841 to 5,467, and no row of either bench table took more. Beyond eight
/// not measured.
let registerLaneLimit = 8

/// Where such a set's rows have shifts of their own, its blocks' loop is unrolled (`GEN_UNROLL`) if its column is
/// at most this many words: GCC then reads each row's shift at a constant place, and `USAT` takes it as its
/// immediate. Measured (Cortex-M4 -O2, Scripts/bench_mcu.py's functions): the digits MLP at 2/16 in sets of 24 666
/// to 570 instructions for 640 more bytes of code, at 4/16 1,081 to 1,045 for 256. Wider columns cost far more
/// code: the digits MLP at 4/16 (four words) 994 to 914 for 1,244 more bytes, the wide MLP 6,044 to 5,813 for
/// 4,220. With one shift per layer (USAT's immediate already) it would save 579 to 571 for 784, so not there.
let unrolledLaneLimit = 2

/// One word of the written-out gather: the set's inputs `first`..`first + 3`.
struct GatherWordContext {
    var first: String
    var second: String
    var third: String
    var fourth: String
}

/// A set keeping at most this many inputs has its gather written out word by word. Why: in a run of one set
/// GCC then reads the index table at constant places and folds it into the loads' offsets (the digits MLP
/// at 4/16 in sets of 24, Cortex-M4 -O2: 1,158 to 1,063 instructions); in a run of several the loop's
/// counting goes (2 to 6 % fewer instructions, measured at sets of 3 to 8 rows), for up to about 25 bytes
/// of code a word. A longer gather keeps its loop, whose code stays the same size whatever the set keeps
/// (LeNet's fc1 keeps 196 inputs a set at 4/16).
let unrolledGatherLimit = 48

/// Consecutive sets with the same number of rows (all full sets, then a last shorter one; fewer where
/// constant rows were stored apart), and set s's first row and first weight as C expressions of s.
struct SharedSetRunContext {
    var note: String
    var firstSet: String
    var setEnd: String
    var rowsInSet: String
    /// Set s's first stored row (its bias, shifts and plain weights), and its first output (`y[...]`;
    /// conv2d: that channel at pixel p).
    var rowBase: String
    var setOutputs: String
    /// Set s's first byte in the row-pair table.
    var weightBase: String
    /// The row-pair kernel's keys for one set (nil without the paired table).
    var kernel: WeightedKernelContext?
}

/// `layer` holds the keys `weightedContext` filled (tables, requantization, clamp); `shiftTable` names
/// the per-row shift table (used when the rows do not share one shift). `convPixels`: a conv2d's output
/// pixels, one row's outputs apart; its sets gather from the im2col column at `columnOffset`, for pixel
/// p, into the set column after it. nil for a dense layer, whose sets gather from x.
func sharedSetsContext(
    _ data: WeightedStepData, shared: SharedKofNLayout, columnOffset: Int, arena: String, shiftTable: String,
    layer: WeightedKernelContext, convPixels: Int? = nil
) -> SharedSetsKernelContext {
    let kept = shared.keptPerRow
    let shiftTable = data.uniformShift == nil ? shiftTable : nil
    let firstRows = shared.setFirstRows
    let runs = shared.setRuns
    func shift(_ row: Int) -> String {
        data.uniformShift.map(String.init) ?? (row == 0 ? "ss[o]" : "ss[o + \(row)]")
    }
    // Row o (+ r) of the set: ys[o] for a dense layer; a conv2d's output channel is `pixels` apart.
    func output(_ row: Int) -> String {
        guard let pixels = convPixels else { return row == 0 ? "ys[o]" : "ys[o + \(row)]" }
        return row == 0 ? "ys[o * \(pixels)]" : "ys[(o + \(row)) * \(pixels)]"
    }
    let setColumn = convPixels == nil ? "col" : "scol"
    let window = shared.windowOffsets != nil
    let gatherSource = convPixels == nil ? "x" : window ? "win" : "col"
    // Dense layers only: a conv2d's sets keep their column in scol (none of the examples' keeps eight or fewer).
    let laneWordCount = data.dspSetColumns / 4
    let registerLanes = convPixels == nil && data.dspWeights != nil && data.dspSetColumns % 4 == 0
        && (1...registerLaneLimit).contains(laneWordCount)
    func laneInput(_ position: Int) -> String { position < kept ? "\(gatherSource)[idx[\(position)]]" : "0" }
    return SharedSetsKernelContext(
        comment: layer.comment, function: layer.function, actType: layer.actType, accType: layer.accType,
        requantize: layer.requantize, weightType: layer.weightType, weightTable: layer.weightTable,
        biasTable: layer.biasTable, indexTable: layer.indexTable, indexType: shared.storedIndices.elementType.cName,
        shiftTable: shiftTable, rowShift: shift(0), clampLow: layer.clampLow, clampHigh: layer.clampHigh,
        inputs: String(data.fanIn), outputs: String(data.outputCount), k: String(shared.k), n: String(shared.n),
        rowsPerSet: shared.setSizeText, keptPerRow: String(kept),
        column: "\(arena)[\(columnOffset + (convPixels == nil || window ? 0 : data.fanIn))]",
        gatherSource: gatherSource, setColumn: setColumn,
        plainOutput: output(0),
        paired: data.dspWeights != nil, gatherQuadEnd: String(kept / 4 * 4),
        hasGatherQuads: kept >= 4, hasGatherTail: kept % 4 != 0,
        gatherUnrolled: kept <= unrolledGatherLimit,
        gatherWords: gatherWords(kept: kept), gatherTail: (kept / 4 * 4..<kept).map(String.init),
        columnPadNote: data.dspSetColumns > kept
            ? "the row-pair kernel reads \(data.dspSetColumns) columns: the weights after the \(kept) kept are zero, so whatever \(setColumn)[\(kept)..\(data.dspSetColumns - 1)] holds adds nothing"
            : nil,
        registerLanes: registerLanes,
        laneWords: registerLanes
            ? (0..<laneWordCount).map { word in
                SetLaneWordContext(
                    word: String(word), even: "\(laneInput(4 * word)), \(laneInput(4 * word + 2))",
                    odd: "\(laneInput(4 * word + 1)), \(laneInput(4 * word + 3))", hasOdd: 4 * word + 1 < kept)
            }
            : [],
        runs: runs.map { run in
            var kernel: WeightedKernelContext?
            if data.dspWeights != nil {
                var set = data
                set.rows = run.rows
                set.fanIn = data.dspSetColumns
                set.dspFoldedPairs = foldedPairs(data, shared: shared, set: run.first)
                var context = layer
                context.weightTable = "wset"
                context.biasTable = "bs"
                context.dotInput = setColumn
                context.inputs = String(data.dspSetColumns)
                context.outputRow = output(0)
                context.rowShift = shift(0)
                context.dsp = true
                addRowPairGroups(
                    set, output: output, shift: shift, weightsThroughSetPointer: true,
                    laneWords: registerLanes ? laneWordCount : 0, laneKept: kept, to: &context)
                context.unrollsBlocks = registerLanes && shiftTable != nil && laneWordCount <= unrolledLaneLimit
                kernel = context
            }
            let rows = run.rows == 1 ? "1 row" : "\(run.rows) rows"
            let sets = run.count == 1 ? "set \(run.first): \(rows)" : "sets \(run.first)..\(run.first + run.count - 1): \(rows) each"
            // In a run every set but the overall last starts a whole number of words after the one before.
            let weightStride = run.count > 1 && data.dspWeights != nil
                ? data.dspSetOffsets[run.first + 1] - data.dspSetOffsets[run.first] : 0
            let rowBase = affine(perSet: run.rows, first: firstRows[run.first], firstSet: run.first)
            return SharedSetRunContext(
                note: sets, firstSet: String(run.first), setEnd: String(run.first + run.count),
                rowsInSet: String(run.rows), rowBase: rowBase,
                setOutputs: convPixels.map { "y[\(affine(perSet: run.rows * $0, first: firstRows[run.first] * $0, firstSet: run.first)) + p]" }
                    ?? "y[\(rowBase)]",
                weightBase: data.dspWeights == nil
                    ? "0" : affine(perSet: weightStride, first: data.dspSetOffsets[run.first], firstSet: run.first),
                kernel: kernel)
        },
        hasConstantOutputs: !data.constantOutputs.isEmpty,
        constantOutputs: data.constantOutputs.enumerated().map { offset, constant in
            ConstantOutputContext(index: String(data.rows + offset), value: CTableWriter.literal(constant.value))
        },
        outPixels: convPixels.map(String.init) ?? "")
}

/// The set's row pairs whose bias starts their mixed sum (`WeightedStepData.dspFoldedPairs`, set after set).
private func foldedPairs(_ data: WeightedStepData, shared: SharedKofNLayout, set: Int) -> [Bool] {
    guard !data.dspFoldedPairs.isEmpty else { return [] }
    func pairs(_ set: Int) -> Int { (dspRowPairGroups(rows: shared.setRows[set]).last?.rowEnd ?? 0) / 2 }
    let first = (0..<set).reduce(0) { $0 + pairs($1) }
    return Array(data.dspFoldedPairs[first..<(first + pairs(set))])
}

/// The written-out gather's whole words: inputs 4w..4w + 3 of the set.
private func gatherWords(kept: Int) -> [GatherWordContext] {
    stride(from: 0, to: kept / 4 * 4, by: 4).map { (first: Int) -> GatherWordContext in
        GatherWordContext(first: String(first), second: String(first + 1), third: String(first + 2), fourth: String(first + 3))
    }
}

/// `first + (s - firstSet) * perSet` as C over the loop's `s`: `s * perSet + c`, `s * perSet - c`, or the constant.
private func affine(perSet: Int, first: Int, firstSet: Int) -> String {
    let constant = first - firstSet * perSet
    let term = perSet == 0 ? "" : perSet == 1 ? "s" : "s * \(perSet)"
    if term.isEmpty { return String(first) }
    return constant == 0 ? term : constant > 0 ? "\(term) + \(constant)" : "\(term) - \(-constant)"
}

/// `text`'s lines indented by `spaces`, but preprocessor lines (they stay at the line start, as the
/// templates write them) and empty ones; without the final line break.
func indented(_ text: String, by spaces: Int) -> String {
    let pad = String(repeating: " ", count: spaces)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.last == "" { lines.removeLast() }
    return lines.map { $0.isEmpty || $0.hasPrefix("#") ? $0 : pad + $0 }.joined(separator: "\n")
}
