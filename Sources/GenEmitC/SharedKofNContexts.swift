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
    var rowsPerSet: String
    var keptPerRow: String
    var column: String
    /// Where a set gathers from (`x`, or a conv2d's im2col column `col`) and into (`col`, or `scol`).
    var gatherSource: String
    var setColumn: String
    /// Set s's first output (`y[s * rowsPerSet]`; conv2d: that channel at pixel p) and row o's, plain C.
    var setOutputs: String
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
    /// The weights are also in the row-pair order (`dspWeights`), each set `setStride` bytes apart.
    var paired: Bool
    var setStride: String
    /// The DSP gather writes four inputs per word up to `gatherQuadEnd`, then the rest one by one.
    var gatherQuadEnd: String
    var hasGatherQuads: Bool
    var hasGatherTail: Bool
    /// Where the row-pair kernel reads more columns (`WeightedStepData.dspSetColumns`) than the kept inputs.
    var columnPadNote: String?
    var runs: [SharedSetRunContext]
}

/// Consecutive sets with the same number of rows: all full sets, then a last shorter one.
struct SharedSetRunContext {
    var note: String
    var firstSet: String
    var setEnd: String
    var rowsInSet: String
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
    let fullSets = data.rows / shared.rowsPerSet
    var runs: [(first: Int, count: Int, rows: Int)] = []
    if fullSets > 0 { runs.append((0, fullSets, shared.rowsPerSet)) }
    if data.rows % shared.rowsPerSet != 0 { runs.append((fullSets, 1, data.rows % shared.rowsPerSet)) }
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
    let setOutputs = convPixels.map { "y[s * \(shared.rowsPerSet * $0) + p]" } ?? "y[s * \(shared.rowsPerSet)]"
    return SharedSetsKernelContext(
        comment: layer.comment, function: layer.function, actType: layer.actType, accType: layer.accType,
        requantize: layer.requantize, weightType: layer.weightType, weightTable: layer.weightTable,
        biasTable: layer.biasTable, indexTable: layer.indexTable, indexType: shared.storedIndices.elementType.cName,
        shiftTable: shiftTable, rowShift: shift(0), clampLow: layer.clampLow, clampHigh: layer.clampHigh,
        inputs: String(data.fanIn), outputs: String(data.rows), k: String(shared.k), n: String(shared.n),
        rowsPerSet: String(shared.rowsPerSet), keptPerRow: String(kept),
        column: "\(arena)[\(columnOffset + (convPixels == nil || window ? 0 : data.fanIn))]",
        gatherSource: convPixels == nil ? "x" : window ? "win" : "col", setColumn: setColumn, setOutputs: setOutputs,
        plainOutput: output(0),
        paired: data.dspWeights != nil, setStride: String(data.dspSetStride), gatherQuadEnd: String(kept / 4 * 4),
        hasGatherQuads: kept >= 4, hasGatherTail: kept % 4 != 0,
        columnPadNote: data.dspSetColumns > kept
            ? "the row-pair kernel reads \(data.dspSetColumns) columns: the weights after the \(kept) kept are zero, so whatever \(setColumn)[\(kept)..\(data.dspSetColumns - 1)] holds adds nothing"
            : nil,
        runs: runs.map { run in
            var kernel: WeightedKernelContext?
            if data.dspWeights != nil {
                var set = data
                set.rows = run.rows
                set.fanIn = data.dspSetColumns
                var context = layer
                context.weightTable = "wset"
                context.biasTable = "bs"
                context.dotInput = setColumn
                context.inputs = String(data.dspSetColumns)
                context.outputRow = output(0)
                context.rowShift = shift(0)
                context.dsp = true
                addRowPairGroups(set, output: output, shift: shift, weightsThroughSetPointer: true, to: &context)
                kernel = context
            }
            let sets = run.count == 1 ? "set \(run.first): \(run.rows) rows" : "sets \(run.first)..\(run.first + run.count - 1): \(run.rows) rows each"
            return SharedSetRunContext(
                note: sets, firstSet: String(run.first), setEnd: String(run.first + run.count),
                rowsInSet: String(run.rows), kernel: kernel)
        })
}

/// `text`'s lines indented by `spaces`, but preprocessor lines (they stay at the line start, as the
/// templates write them) and empty ones; without the final line break.
func indented(_ text: String, by spaces: Int) -> String {
    let pad = String(repeating: " ", count: spaces)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    if lines.last == "" { lines.removeLast() }
    return lines.map { $0.isEmpty || $0.hasPrefix("#") ? $0 : pad + $0 }.joined(separator: "\n")
}
