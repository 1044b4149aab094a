// GenLowering/lowerProgram.swift - Stage 4: QuantizedGraph -> Program.

import GenCompress
import GenModel
import GenSupport
import GenTarget

/// Lowers a quantized graph for a target: one step per dense/conv2d/pool/unfused activation
/// (flatten aliases its input, softmax is left to the float wrapper; a max pool that a conv2d does inside
/// it, `fuseMaxPools`, has none), constant tables in the narrowest types, and a static memory plan.
///
/// A pruned layer is lowered sparse unless the target's cost model estimates its sparse form
/// slower or bigger than dense (`options.sparseLowering`); dense then holds the same zeros, so the
/// arithmetic is identical either way.
package func lowerProgram(
    _ quantized: QuantizedGraph, name: String, target: TargetDescription, options: LoweringOptions = LoweringOptions()
) -> Program {
    let context = WeightLoweringContext(
        bits: quantized.options.weightBits, activationBits: quantized.options.activationBits,
        costModel: target.costModel, options: options, hasScratch: target.memoryLayout == .arena,
        convColumns: target.armDSP && target.memoryLayout == .arena, armDSP: target.armDSP)
    var kinds: [(StepKind, Int)] = []
    var sizes = [quantized.graph.inputSize]
    for (index, layer) in quantized.layers.enumerated() {
        if let kind = lowerLayer(quantized.layers, at: index, context: context) {
            kinds.append((kind, index))
            sizes.append(layer.layer.outputShape.reduce(1, *))
        }
    }
    if kinds.isEmpty {
        // Nothing to compute (e.g. flatten + softmax only): copy input to output.
        let full = FixedPoint.range(bits: quantized.options.activationBits)
        kinds.append((.clamp(ClampStep(count: quantized.graph.inputSize, clamp: full)), max(quantized.layers.count - 1, 0)))
        sizes.append(quantized.graph.inputSize)
    }
    let rowPairs = { (data: WeightedStepData) in rowPairTables(data, target: target, quantization: quantized.options) != nil }
    if options.sparseLowering == .auto, target.costModel != nil {
        var denseContext = context
        denseContext.options.sparseLowering = .never
        lowerDenseWhereConstantOutputsPay(
            &kinds, denseForm: { lowerLayer(quantized.layers, at: $0, context: denseContext)! },
            instructions: context.instructions, activationRange: FixedPoint.range(bits: quantized.options.activationBits),
            rowPairs: rowPairs)
    }
    removeConstantOutputs(&kinds, activationRange: FixedPoint.range(bits: quantized.options.activationBits), rowPairs: rowPairs)
    // A pruned layer reports the form it was lowered to as lowered: the rows it computes, the columns it reads.
    for position in kinds.indices {
        let instructions = context.instructions(kinds[position].0)
        kinds[position].0.updateWeightedData { data in
            guard var estimate = data.estimate, let instructions, !data.constantOutputs.isEmpty || data.foldedColumns > 0
            else { return }
            if isPlainDenseTable(data) {
                guard estimate.denseInstructions != instructions else { return }
                estimate.denseInstructions = instructions
                estimate.denseBytes = data.weights.values.count * data.weights.elementType.byteCount
                estimate.reason += "; as lowered, without its constant outputs or inputs, \(Int(instructions.rounded())) instructions"
            } else if let indices = data.sparse?.storedIndices ?? data.sharedSparse?.storedIndices {
                // A k-of-n layer with its own indices per row, or vector-wise sets (the sparse forms that lose
                // constant rows; a set consumer reads its producer's constants, so it changes only its order).
                guard !data.constantOutputs.isEmpty else { return }
                estimate.sparseInstructions = instructions
                estimate.sparseBytes = data.weights.values.count * data.weights.elementType.byteCount + indices.byteCount
                estimate.reason += "; as lowered, without its constant outputs, \(Int(instructions.rounded())) instructions"
            }
            data.estimate = estimate
        }
    }
    orderRowsForConstantShifts(&kinds, rowPairs: rowPairs)
    // Vector-wise sets take the row-pair order first: their columns are as wide as that kernel reads.
    for position in kinds.indices {
        switch kinds[position].0 {
        case .dense(var dense) where dense.data.sharedSparse != nil:
            addSetRowPairs(&dense.data, target: target, quantization: quantized.options)
            kinds[position].0 = .dense(dense)
        case .conv2d(var conv) where conv.data.sharedSparse != nil:
            addSetRowPairs(&conv.data, target: target, quantization: quantized.options)
            kinds[position].0 = .conv2d(conv)
        case .dense, .conv2d, .maxPool2d, .avgPool2d, .clamp:
            break
        }
    }
    var columns = kinds.map { entry in
        columnElements(entry.0, target: target, quantization: quantized.options)
    }
    var pixelPairCandidates = kinds.enumerated().map { position, entry -> PixelPairLayout? in
        guard columns[position] > 0, case .conv2d(let conv) = entry.0 else { return nil }
        return pixelPairKernel(conv, target: target, quantization: quantized.options)
    }
    fuseMaxPools(
        &kinds, sizes: &sizes, columns: &columns, pixelPairCandidates: &pixelPairCandidates, layout: target.memoryLayout)
    let (scratch, paddedRows, pixelPairs) = planConvScratch(
        kinds.map(\.0), columns: columns, pixelPairCandidates: pixelPairCandidates, sizes: sizes, layout: target.memoryLayout)
    let plan = planMemory(tensorSizes: sizes, scratch: scratch, layout: target.memoryLayout)
    let steps = kinds.enumerated().map { position, entry in
        var kind = entry.0
        switch kind {
        case .dense(var dense):
            if dense.data.sharedSparse != nil {
                dense.columnOffset = plan.scratchOffsets[position]
            } else {
                addRowPairTables(&dense.data, target: target, quantization: quantized.options)
            }
            kind = .dense(dense)
        case .conv2d(var conv):
            // `fuseMaxPools` folds a pool only into a pixel-pair candidate, whose scratch `planConvScratch` keeps.
            precondition(conv.pool == nil || pixelPairs[position] != nil, "a fused max pool without the pixel-pair kernel")
            if let layout = pixelPairs[position] {
                // No column: the kernel reads the input's rows, or the padded rows (its only scratch) where padded.
                conv.paddedRowsOffset = paddedRows[position] ? plan.scratchOffsets[position] : nil
                let packed = packingMiddles(
                    layout, weights: conv.data.weights.values, rows: conv.data.rows,
                    pooledKernelHeight: conv.pool != nil ? conv.kernelHeight : nil)
                conv.data.pixelPairs = packed
                let stored = storedPixelPairWords(conv.data.weights.values, rows: conv.data.rows, layout: packed)
                conv.data.dspWeights = ConstantTable(
                    role: .weights, elementType: .int32, shape: [stored.words.count], values: stored.words)
                kind = .conv2d(conv)
            } else if let offset = plan.scratchOffsets[position] {
                conv.columnOffset = offset
                if paddedRows[position] { conv.paddedRowsOffset = offset + columns[position] }
                if conv.data.sharedSparse == nil {
                    if let lanes = lanePairKernel(conv.data, target: target, quantization: quantized.options) {
                        conv.data.lanePairs = lanes
                        let values = lanePairWeights(conv.data.weights.values, rows: conv.data.rows, fanIn: conv.data.fanIn, layout: lanes)
                        conv.data.dspWeights = ConstantTable(
                            role: .weights, elementType: .int32, shape: [conv.data.rows, lanes.pairs.count], values: values)
                    } else {
                        addRowPairTables(&conv.data, target: target, quantization: quantized.options)
                    }
                }
                kind = .conv2d(conv)
            }
        case .maxPool2d, .avgPool2d, .clamp:
            break
        }
        return Step(
            kind: kind, layerIndex: entry.1,
            input: BufferRef(location: plan.locations[position], count: sizes[position]),
            output: BufferRef(location: plan.locations[position + 1], count: sizes[position + 1]))
    }
    return Program(
        name: name, quantized: quantized, target: target,
        activationType: .signed(bits: quantized.options.activationBits), steps: steps, arenaElements: plan.arena,
        pingPongElements: plan.pingPong)
}

/// One layer's step (nil for flatten and softmax, which have none), its weights lowered as `context` decides.
private func lowerLayer(_ layers: [QuantizedLayer], at index: Int, context: WeightLoweringContext) -> StepKind? {
    let layer = layers[index]
    let outSize = layer.layer.outputShape.reduce(1, *)
    let inShape = layer.layer.inputShape
    let outShape = layer.layer.outputShape
    switch layer.op {
    case .dense(_, let weights):
        return .dense(DenseStep(data: lowerWeights(weights, kind: .dense, context: context)))
    case .conv2d(let conv, let weights):
        var maxPoolFollows = false
        if index + 1 < layers.count, case .maxPool2d(let pool) = layers[index + 1].op {
            maxPoolFollows = fusesMaxPool(
                inChannels: conv.inChannels, kernelHeight: conv.kernel.h, strideHeight: conv.stride.h,
                outHeight: outShape[1], pool: (pool.size.h, pool.size.w, pool.stride.h, pool.stride.w))
        }
        // Sets gather straight from the input where every window lies inside it (no padding) and the offsets from a
        // window's origin fit the index type the fan-in's positions take (so the tables' bytes, and their estimate,
        // are the same); elsewhere from the im2col column.
        let padding = conv.padding
        let largestOffset = ((conv.inChannels - 1) * inShape[1] + conv.kernel.h - 1) * inShape[2] + conv.kernel.w - 1
        let fanIn = conv.inChannels * conv.kernel.h * conv.kernel.w
        let unpadded = padding.top == 0 && padding.bottom == 0 && padding.left == 0 && padding.right == 0
            && ElementType.index(count: largestOffset + 1) == ElementType.index(count: fanIn)
        var work = convWork(
            inChannels: conv.inChannels, kernelHeight: conv.kernel.h, kernelWidth: conv.kernel.w,
            strideHeight: conv.stride.h, strideWidth: conv.stride.w, outHeight: outShape[1], outWidth: outShape[2],
            maxPoolFollows: maxPoolFollows)
        if case .conv(let pixels, let area, let pixelPairs, let pooled, _) = work, unpadded {
            work = .conv(outputPixels: pixels, kernelArea: area, pixelPairs: pixelPairs, pooled: pooled, windowGather: true)
        }
        var step = ConvStep(
            data: lowerWeights(weights, kind: work, context: context), inChannels: conv.inChannels, inHeight: inShape[1],
            inWidth: inShape[2], outHeight: outShape[1], outWidth: outShape[2], kernelHeight: conv.kernel.h,
            kernelWidth: conv.kernel.w, strideHeight: conv.stride.h, strideWidth: conv.stride.w,
            padTop: conv.padding.top, padLeft: conv.padding.left)
        step.maxPoolFollows = maxPoolFollows
        if unpadded, var shared = step.data.sharedSparse {
            shared.windowOffsets = windowOffsets(shared, conv: step)
            step.data.sharedSparse = shared
        }
        return .conv2d(step)
    case .maxPool2d(let pool):
        return .maxPool2d(poolStep(pool, inShape: inShape, outShape: outShape))
    case .avgPool2d(let pool):
        return .avgPool2d(poolStep(pool, inShape: inShape, outShape: outShape))
    case .clamp(_, let range):
        return .clamp(ClampStep(count: outSize, clamp: range))
    case .flatten, .softmax:
        return nil
    }
}

/// The layers the Arm DSP kernels (and the cost model fitted to them) cover: 8-bit weights and
/// activations with int32 accumulators.
package func hasEightBitKernels(weightBits: Int, activationBits: Int, accumulatorBits: Int) -> Bool {
    weightBits == 8 && activationBits == 8 && accumulatorBits == 32
}

/// The im2col column a conv2d step needs on an Arm DSP target (8-bit weights and activations, int32
/// accumulators): each output pixel's receptive field is gathered into the arena once and reused by
/// every output channel, by the dense kernel's four-row blocking (at least four output channels and
/// four weights each), by the weight-granularity k-of-n rows or by DARB's groups of output channels.
/// Kernel granularity reads the input.
/// A vector-wise k-of-n dense layer gathers each set's kept inputs into a column (on every arena target).
private func columnElements(_ kind: StepKind, target: TargetDescription, quantization: QuantizationOptions) -> Int {
    if case .dense(let dense) = kind, dense.data.sharedSparse != nil { return dense.data.setColumnElements }
    // conv2d with shared index sets: the im2col column, then the set's gathered inputs after it; an unpadded one
    // gathers its sets straight from the input (`windowOffsets`): the set's column alone.
    if case .conv2d(let conv) = kind, let shared = conv.data.sharedSparse {
        return (shared.windowOffsets == nil ? conv.data.fanIn : 0) + conv.data.setColumnElements
    }
    guard case .conv2d(let conv) = kind, target.armDSP, target.memoryLayout == .arena,
        hasEightBitKernels(
            weightBits: quantization.weightBits, activationBits: quantization.activationBits,
            accumulatorBits: conv.data.accumulator.byteCount * 8),
        conv.data.kernelSparse == nil,
        conv.data.sparse != nil || conv.data.darb != nil || (conv.data.rows >= 4 && conv.data.fanIn >= 4)
    else { return 0 }
    return conv.data.fanIn
}

/// Vector-wise k-of-n of an unpadded conv2d whose offsets fit its positions' index type (`lowerLayer` decides):
/// each kept input's offset in the input from its output pixel's
/// window origin (input channel ic, kernel row ky, column kx: (ic · inHeight + ky) · inWidth + kx), so that each
/// set gathers its inputs straight from the input. Why: the im2col column gathered the whole field (fan-in
/// values) per pixel for a set that keeps a few of them (the digits CNN's conv2 at 2/16: 9 of 72).
private func windowOffsets(_ shared: SharedKofNLayout, conv: ConvStep) -> ConstantTable {
    let area = conv.kernelHeight * conv.kernelWidth
    let offsets = shared.inputs.values.map { position -> Int64 in
        let (channel, within) = (Int(position) / area, Int(position) % area)
        let (ky, kx) = (within / conv.kernelWidth, within % conv.kernelWidth)
        return Int64((channel * conv.inHeight + ky) * conv.inWidth + kx)
    }
    return ConstantTable(role: .indices, elementType: shared.inputs.elementType, shape: shared.inputs.shape, values: offsets)
}

/// What the cost model prices of a conv2d: its output pixels and window, the pixel-pair kernel where the shape
/// suits it, and whether that kernel would do the 2x2 max pool after it (`fuseMaxPools`).
private func convWork(
    inChannels: Int, kernelHeight: Int, kernelWidth: Int, strideHeight: Int, strideWidth: Int, outHeight: Int,
    outWidth: Int, maxPoolFollows: Bool
) -> LayerWork.Kind {
    let pixelPairs = pixelPairLayout(
        inChannels: inChannels, kernelHeight: kernelHeight, kernelWidth: kernelWidth, strideWidth: strideWidth,
        outWidth: outWidth)
    return .conv(
        outputPixels: outHeight * outWidth, kernelArea: kernelHeight * kernelWidth, pixelPairs: pixelPairs,
        pooled: pixelPairs != nil && maxPoolFollows)
}

extension ConvStep {
    /// `convWork` of this step.
    var work: LayerWork.Kind {
        convWork(
            inChannels: inChannels, kernelHeight: kernelHeight, kernelWidth: kernelWidth, strideHeight: strideHeight,
            strideWidth: strideWidth, outHeight: outHeight, outWidth: outWidth, maxPoolFollows: maxPoolFollows)
    }
}

/// Folds each 2x2 max pool of stride 2 into the conv2d before it where that conv2d can run the pixel-pair
/// kernel and `fusesMaxPool` holds (`ConvStep.pool`): per pooling window the kernel computes the four sums
/// from the input rows of two output rows (the padded rows, or the input where unpadded), takes the largest
/// and requantizes it once, and the conv2d's output is never stored. Why: the pool's loads, compares and
/// stores go, and so does the conv2d's output tensor, often the model's largest (measured on Cortex-M4 -O2,
/// the digits CNN's conv1 and pool1: 7,562 instructions apart, 6,526 fused, and its arena 640 bytes against
/// 264; BENCHMARKS.md). Pair by pair, each where the arena with it fused (and its padded rows for two output
/// rows, or no scratch where unpadded) is no larger than without.
private func fuseMaxPools(
    _ kinds: inout [(StepKind, Int)], sizes: inout [Int], columns: inout [Int], pixelPairCandidates: inout [PixelPairLayout?],
    layout: MemoryLayout
) {
    var position = 0
    while position + 1 < kinds.count {
        defer { position += 1 }
        guard case .conv2d(var conv) = kinds[position].0, pixelPairCandidates[position] != nil,
            case .maxPool2d(let pool) = kinds[position + 1].0,
            fusesMaxPool(
                inChannels: conv.inChannels, kernelHeight: conv.kernelHeight, strideHeight: conv.strideHeight,
                outHeight: conv.outHeight, pool: (pool.sizeHeight, pool.sizeWidth, pool.strideHeight, pool.strideWidth))
        else { continue }
        precondition(pool.outHeight == conv.outHeight / 2 && pool.outWidth == conv.outWidth / 2, "pool shape")
        conv.pool = pool
        var (fusedKinds, fusedSizes, fusedColumns) = (kinds, sizes, columns)
        fusedKinds[position].0 = .conv2d(conv)
        fusedColumns[position] = conv.padded ? conv.paddedRowsElements : 0
        // The step reads the conv2d's input and writes the pool's output.
        fusedKinds.remove(at: position + 1)
        fusedSizes.remove(at: position + 1)
        fusedColumns.remove(at: position + 1)
        guard planMemory(tensorSizes: fusedSizes, scratch: fusedColumns, layout: layout).arena
            <= planMemory(tensorSizes: sizes, scratch: columns, layout: layout).arena
        else { continue }
        (kinds, sizes, columns) = (fusedKinds, fusedSizes, fusedColumns)
        pixelPairCandidates.remove(at: position + 1)
    }
}

/// Whether the pixel-pair kernel does the max pool after a conv2d: a 2x2 pool of stride 2, the conv2d at
/// stride 1 with an even output height, one input channel and a kernel 2 or 3 high, so that the two output
/// rows share all but one of their 3 or 4 input rows (8 lanes in registers at most). Measured on Cortex-M4
/// -O2 by a review, fused against apart: one channel 3 high 4 to 15 % faster, 2 high 0.4 %; but 2 or 3
/// channels 1 high (no row shared, 4 or 6 rows) 1 to 9 % slower, so those keep the pool as a step.
package func fusesMaxPool(
    inChannels: Int, kernelHeight: Int, strideHeight: Int, outHeight: Int,
    pool: (height: Int, width: Int, strideHeight: Int, strideWidth: Int)
) -> Bool {
    pool == (2, 2, 2, 2) && strideHeight == 1 && outHeight % 2 == 0 && inChannels == 1 && (2...3).contains(kernelHeight)
}

/// The scratch of each step. A conv2d that can run the pixel-pair kernel (`pixelPairCandidates`) needs no
/// im2col column, only its padded rows where it is padded: it takes that kernel where the arena stays as the
/// plan with its column has it (else it keeps the column and the lane-pair kernel). Then each other padded
/// conv2d with an im2col column gets its padded rows after the column where the arena already has the room:
/// a step's scratch grows by them only if the arena stays as planned without.
private func planConvScratch(
    _ kinds: [StepKind], columns: [Int], pixelPairCandidates: [PixelPairLayout?], sizes: [Int], layout: MemoryLayout
) -> (scratch: [Int], paddedRows: [Bool], pixelPairs: [PixelPairLayout?]) {
    var paddedRows = columns.map { _ in false }
    var pixelPairs = columns.map { _ -> PixelPairLayout? in nil }
    guard layout == .arena else { return (columns, paddedRows, pixelPairs) }
    let columnArena = planMemory(tensorSizes: sizes, scratch: columns, layout: layout).arena
    var scratch = columns
    for (position, kind) in kinds.enumerated() {
        guard case .conv2d(let conv) = kind, let candidate = pixelPairCandidates[position] else { continue }
        var trial = scratch
        trial[position] = conv.padded ? conv.paddedRowsElements : 0
        if planMemory(tensorSizes: sizes, scratch: trial, layout: layout).arena <= columnArena {
            scratch = trial
            pixelPairs[position] = candidate
            paddedRows[position] = conv.padded
        }
    }
    let arena = planMemory(tensorSizes: sizes, scratch: scratch, layout: layout).arena
    for (position, kind) in kinds.enumerated() {
        guard case .conv2d(let conv) = kind, pixelPairs[position] == nil, columns[position] > 0, conv.padded else { continue }
        var trial = scratch
        trial[position] += conv.paddedRowsElements
        if planMemory(tensorSizes: sizes, scratch: trial, layout: layout).arena == arena {
            scratch = trial
            paddedRows[position] = true
        }
    }
    return (scratch, paddedRows, pixelPairs)
}

/// The row-pair tables of a dense weight table (a dense layer, or a conv2d over its im2col column)
/// on an Arm DSP target with the 8-bit kernels, at least four rows and four weights per row; nil
/// when the table stays as it is (see `pairRowsForDSP`).
private func rowPairTables(_ data: WeightedStepData, target: TargetDescription, quantization: QuantizationOptions)
    -> DSPRowPairTables?
{
    guard hasDenseDSPTable(data, target: target, quantization: quantization), data.rows >= 4, data.fanIn >= 4 else {
        return nil
    }
    return pairRowsForDSP(
        data.weights.values, bias: data.bias.values, rows: data.rows, fanIn: data.fanIn,
        activationBits: quantization.activationBits)
}

/// Sets `dspWeights` and `dspBias` where the row-pair kernel runs the layer (`rowPairTables`).
private func addRowPairTables(_ data: inout WeightedStepData, target: TargetDescription, quantization: QuantizationOptions) {
    guard let tables = rowPairTables(data, target: target, quantization: quantization) else { return }
    data.dspWeights = ConstantTable(
        role: .weights, elementType: data.weights.elementType, shape: [tables.weights.count], values: tables.weights)
    // Where no pair's bias folds, the kernel reads the plain bias table.
    guard tables.foldedPairs.contains(true) else { return }
    data.dspBias = ConstantTable(role: .bias, elementType: data.bias.elementType, shape: data.bias.shape, values: tables.bias)
    data.dspFoldedPairs = tables.foldedPairs
}

/// The lane-pair layout of a dense conv2d over its im2col column with a small fan-in (`lanePairFanIns`) on an
/// Arm DSP target with the 8-bit kernels; nil where the row-pair (or four-row) kernel runs it.
private func lanePairKernel(_ data: WeightedStepData, target: TargetDescription, quantization: QuantizationOptions)
    -> LanePairLayout?
{
    guard hasDenseDSPTable(data, target: target, quantization: quantization) else { return nil }
    return lanePairLayout(fanIn: data.fanIn)
}

/// The pixel-pair layout of a dense conv2d 3 wide at stride 1 with few kernel rows (`pixelPairLayout`) on an
/// Arm DSP target with the 8-bit kernels, where it would otherwise run the lane-pair kernel; nil elsewhere.
private func pixelPairKernel(_ conv: ConvStep, target: TargetDescription, quantization: QuantizationOptions)
    -> PixelPairLayout?
{
    guard lanePairKernel(conv.data, target: target, quantization: quantization) != nil else { return nil }
    return pixelPairLayout(
        inChannels: conv.inChannels, kernelHeight: conv.kernelHeight, kernelWidth: conv.kernelWidth,
        strideWidth: conv.strideWidth, outWidth: conv.outWidth)
}

/// A dense weight table (no k-of-n, sets, kept kernels or DARB groups) of the 8-bit kernels on an Arm DSP target:
/// the tables the row-pair and lane-pair kernels reorder.
private func hasDenseDSPTable(_ data: WeightedStepData, target: TargetDescription, quantization: QuantizationOptions)
    -> Bool
{
    target.armDSP
        && hasEightBitKernels(
            weightBits: quantization.weightBits, activationBits: quantization.activationBits,
            accumulatorBits: data.accumulator.byteCount * 8)
        && data.sparse == nil && data.sharedSparse == nil && data.kernelSparse == nil && data.darb == nil
}

/// The columns the row-pair kernel runs a vector-wise set over, on an Arm DSP target with the 8-bit
/// kernels: the set's kept inputs where it keeps 2 (one two-column step, `dspHalfStepColumns`) or at
/// least 4, else 4 (one four-column step, whose extra columns have zero weights, so whatever the column
/// holds there adds nothing: the arena only ever holds int8 values); nil where that kernel does not
/// apply (plain loops over the kept inputs).
package func rowPairSetColumns(
    keptPerRow: Int, armDSP: Bool, weightBits: Int, activationBits: Int, accumulatorBits: Int
) -> Int? {
    guard armDSP, hasEightBitKernels(weightBits: weightBits, activationBits: activationBits, accumulatorBits: accumulatorBits)
    else { return nil }
    return keptPerRow == 2 ? 2 : max(keptPerRow, 4)
}

/// A vector-wise k-of-n layer's weights in the row-pair order where the DSP kernel runs its sets
/// (`sharedSetRowPairWeights`): sets `dspWeights`, `dspSetOffsets` and `dspSetColumns`, and `dspBias` with
/// `dspFoldedPairs` where some pair's bias folds into its mixed sum. One code runs every set of a run (the
/// consecutive sets with the same rows, as the emitter groups them), so a pair position folds only where it
/// does in every set of its run.
private func addSetRowPairs(_ data: inout WeightedStepData, target: TargetDescription, quantization: QuantizationOptions) {
    guard let shared = data.sharedSparse,
        let (paired, offsets, columns, sets) = sharedSetRowPairWeights(data, target: target, quantization: quantization)
    else { return }
    data.dspWeights = paired
    data.dspSetOffsets = offsets
    data.dspSetColumns = columns
    let folded = foldedPairsByRun(runs: shared.setRuns, eachSet: sets.map(\.foldedPairs))
    guard folded.contains(where: { $0.contains(true) }) else { return }
    var bias = data.bias.values
    for (set, setFirst) in shared.setFirstRows.enumerated() {
        for (pair, isFolded) in folded[set].enumerated() where isFolded {
            let low = setFirst + 2 * pair
            bias[low + 1] = Int64(Int32(truncatingIfNeeded: data.bias.values[low] + 256 * data.bias.values[low + 1]))
        }
    }
    data.dspBias = ConstantTable(role: .bias, elementType: data.bias.elementType, shape: data.bias.shape, values: bias)
    data.dspFoldedPairs = folded.flatMap { $0 }
}

/// Which row pairs of each set start their mixed sum from the bias, given which could (`eachSet`, from
/// `pairRowsForDSP`): a pair position folds in a run of sets (`SharedKofNLayout.setRuns`, consecutive sets
/// with the same rows, which share one code) only where it folds in every set of the run.
package func foldedPairsByRun(runs: [(first: Int, count: Int, rows: Int)], eachSet: [[Bool]]) -> [[Bool]] {
    var folded = eachSet
    for run in runs {
        let sets = run.first..<(run.first + run.count)
        let positions = folded[run.first].indices.map { pair in folded[sets].allSatisfy { $0[pair] } }
        for set in sets { folded[set] = positions }
    }
    return folded
}

/// The kept weights of a vector-wise k-of-n layer in the row-pair order, set by set (each set a
/// `setRows[s] × columns` dense matrix, `rowPairSetColumns`: zeros after 1 or 3 kept), every set
/// but the last padded with zeros to a multiple of 4 bytes so the next one starts word-aligned for
/// LDRD, where each set starts, and each set's own tables (`pairRowsForDSP`: which of its pairs could fold
/// their bias); nil when the DSP kernel does not apply or a set fails the row-pair bound (the layer then
/// runs the plain loops on every core).
private func sharedSetRowPairWeights(
    _ data: WeightedStepData, target: TargetDescription, quantization: QuantizationOptions
) -> (ConstantTable, offsets: [Int], columns: Int, sets: [DSPRowPairTables])? {
    guard let shared = data.sharedSparse,
        let columns = rowPairSetColumns(
            keptPerRow: shared.keptPerRow, armDSP: target.armDSP, weightBits: quantization.weightBits,
            activationBits: quantization.activationBits, accumulatorBits: data.accumulator.byteCount * 8)
    else { return nil }
    let kept = shared.keptPerRow
    var values: [Int64] = []
    var offsets: [Int] = []
    var sets: [DSPRowPairTables] = []
    for (set, first) in shared.setFirstRows.enumerated() {
        let rows = shared.setRows[set]
        let padding = [Int64](repeating: 0, count: columns - kept)
        let matrix = (first..<(first + rows)).flatMap { row in data.weights.values[(row * kept)..<((row + 1) * kept)] + padding }
        guard
            let paired = pairRowsForDSP(
                matrix, bias: Array(data.bias.values[first..<(first + rows)]), rows: rows, fanIn: columns,
                activationBits: quantization.activationBits)
        else { return nil }
        offsets.append(values.count)
        values += paired.weights
        sets.append(paired)
        if set < shared.sets - 1 { values += [Int64](repeating: 0, count: (4 - values.count % 4) % 4) }
    }
    return (
        ConstantTable(role: .weights, elementType: data.weights.elementType, shape: [values.count], values: values), offsets,
        columns, sets
    )
}

private func poolStep(_ pool: Pool2DLayer, inShape: [Int], outShape: [Int]) -> PoolStep {
    PoolStep(
        channels: inShape[0], inHeight: inShape[1], inWidth: inShape[2], outHeight: outShape[1],
        outWidth: outShape[2], sizeHeight: pool.size.h, sizeWidth: pool.size.w, strideHeight: pool.stride.h,
        strideWidth: pool.stride.w)
}

private struct WeightLoweringContext {
    var bits: Int
    var activationBits: Int
    var costModel: CostModel?
    var options: LoweringOptions
    /// The memory plan offers scratch (arena layout), where vector-wise k-of-n gathers its column.
    var hasScratch: Bool
    /// conv2d layers with the 8-bit kernels run over an im2col column (`columnElements`), where
    /// k-of-n reads its indices as dense layers do (bytes or nibbles).
    var convColumns: Bool
    /// The target has the Arm DSP kernels (the row-pair kernel for vector-wise sets, `rowPairSetColumns`).
    var armDSP: Bool

    /// A conv2d layer of these widths runs over an im2col column on this target (`columnElements`).
    func convRunsOverColumn(_ q: QuantizedWeights) -> Bool {
        convColumns && hasEightBitKernels(weightBits: bits, activationBits: activationBits, accumulatorBits: q.accumulatorBits)
    }

    /// The columns the row-pair kernel runs this layer's vector-wise sets over (`rowPairSetColumns`).
    func setColumns(_ q: QuantizedWeights, keptPerRow: Int) -> Int? {
        rowPairSetColumns(
            keptPerRow: keptPerRow, armDSP: armDSP, weightBits: bits, activationBits: activationBits,
            accumulatorBits: q.accumulatorBits)
    }

    /// A layer's dense and sparse forms priced by the cost model, dense as the kernel its dense form would
    /// run (the lane-pair kernel for a conv2d of a small fan-in over its column). The cost model was fitted
    /// to the 8-bit kernels with int32 accumulators (the ones with a DSP path), in layers of at least 4 rows
    /// and 4 inputs (fewer: no DSP kernel nor im2col column, so plain loops it was not fitted to); for other
    /// layers it has no figures, and a pruned one keeps the form pruning gave it. `denseWeights`: the layer's
    /// `rows × fanIn` weights, zeros included (the pixel-pair kernel writes no term for a zero weight).
    func estimate(_ work: LayerWork, accumulatorBits: Int, denseWeights: [Int64]) -> LayerCostEstimate {
        var work = work
        let fitted = hasEightBitKernels(weightBits: bits, activationBits: activationBits, accumulatorBits: accumulatorBits)
            && work.rows >= 4 && work.fanIn >= 4
        // As `columnElements`, `lanePairKernel` and `pixelPairKernel` decide: a dense conv2d of at least 4 rows
        // runs over its column, on the lane-pair kernel for a small fan-in, or on the pixel-pair kernel where its
        // shape suits it (priced so even where the arena has no room for its padded rows, and it keeps the column),
        // with the max pool after it inside it where one follows (priced so even where `fuseMaxPools` does not fuse).
        if case .conv(_, let kernelArea, let shapeLayout, let pooled, _) = work.kind, convColumns, fitted,
            let lanes = lanePairLayout(fanIn: work.fanIn)
        {
            // Priced with the pool inside wherever one follows (as below); the pixel-pair kernel is 3 wide.
            if let pixelPairs = shapeLayout.map({
                packingMiddles($0, weights: denseWeights, rows: work.rows, pooledKernelHeight: pooled ? kernelArea / 3 : nil)
            }) {
                work.densePixelPairRows = pixelPairs.kernelRows
                work.densePixelPairTerms = pixelPairTerms(denseWeights, rows: work.rows, layout: pixelPairs).reduce(0) { $0 + $1.count }
                work.densePixelPairWords = storedPixelPairWords(denseWeights, rows: work.rows, layout: pixelPairs).words.count
            } else {
                work.denseLanePairs = lanes.pairs.count
            }
        }
        return estimateLayerCost(work, costModel: fitted ? costModel : nil, option: options.sparseLowering)
    }

    func estimate(_ work: LayerWork, _ q: QuantizedWeights) -> LayerCostEstimate {
        estimate(work, accumulatorBits: q.accumulatorBits, denseWeights: q.weights)
    }

    /// A weighted step's instructions as lowered: the cost model's dense estimate over the rows it computes
    /// and the columns it reads where its table is plain dense, else its sparse form's estimate; nil for
    /// other steps, or where the cost model has no figures for the layer.
    func instructions(_ kind: StepKind) -> Double? {
        let work: LayerWork.Kind
        switch kind {
        case .dense: work = .dense
        case .conv2d(let conv):
            work = conv.work
        case .maxPool2d, .avgPool2d, .clamp: return nil
        }
        guard let data = kind.weightedData else { return nil }
        if let shared = data.sharedSparse, isSharedSets(data), let estimated = data.estimate?.sparseInstructions,
            let lowered = setsInstructions(work, data: data, shared: shared, sets: shared.sets),
            let whole = setsInstructions(
                work, data: data, shared: shared, rows: data.outputCount,
                sets: SharedKofNLayout.uniformSetRows(rows: data.outputCount, rowsPerSet: shared.rowsPerSet).count)
        {
            // Sets pay per set for their gathers and per row for the rest: priced again over what they compute (the
            // rest of the estimate, a max pool step after a conv2d, is over all its outputs).
            return estimated - whole + lowered
        }
        // A sparse form's estimate is for every row; its rows cost alike, and those stored as constants none.
        guard isPlainDenseTable(data) else {
            return data.estimate?.sparseInstructions.map { $0 * Double(data.rows) / Double(data.outputCount) }
        }
        let dense = LayerWork(
            kind: work, rows: data.rows, fanIn: data.fanIn, keptPerRow: data.fanIn, groupsPerRow: 0, groupKept: 1,
            kernelGranularity: false, weightBytes: data.weights.elementType.byteCount, sparseIndexBytes: 0, nibbleIndices: false)
        return estimate(dense, accumulatorBits: data.accumulator.byteCount * 8, denseWeights: data.weights.values).denseInstructions
    }
}

extension WeightLoweringContext {
    /// The cost model's instructions for the vector-wise sets of `data` over `rows` rows (default: those it
    /// computes) in `sets` sets, without the dense form's pixel-pair kernel (and so without a max pool step).
    fileprivate func setsInstructions(
        _ kind: LayerWork.Kind, data: WeightedStepData, shared: SharedKofNLayout, rows: Int? = nil, sets: Int
    ) -> Double? {
        var kind = kind
        if case .conv(let pixels, let area, _, let pooled, let window) = kind {
            kind = .conv(outputPixels: pixels, kernelArea: area, pixelPairs: nil, pooled: pooled, windowGather: window)
        }
        var work = LayerWork(
            kind: kind, rows: rows ?? data.rows, fanIn: data.fanIn, keptPerRow: shared.keptPerRow,
            groupsPerRow: (data.fanIn + shared.n - 1) / shared.n, groupKept: shared.k, kernelGranularity: false,
            weightBytes: data.weights.elementType.byteCount, sparseIndexBytes: shared.storedIndices.byteCount,
            nibbleIndices: false, rowsPerSet: shared.rowsPerSet,
            rowPairColumns: rowPairSetColumns(
                keptPerRow: shared.keptPerRow, armDSP: armDSP, weightBits: bits, activationBits: activationBits,
                accumulatorBits: data.accumulator.byteCount * 8))
        work.sets = sets
        return estimate(work, accumulatorBits: data.accumulator.byteCount * 8, denseWeights: []).sparseInstructions
    }
}

/// Dense tables when unpruned or when the sparse form does not pay; otherwise kept values and
/// group-relative indices (k-of-n) or kept input channels (kernel granularity), row by row.
private func lowerWeights(_ q: QuantizedWeights, kind: LayerWork.Kind, context: WeightLoweringContext)
    -> WeightedStepData
{
    let weightType = ElementType.signed(bits: context.bits)
    var weights = ConstantTable(role: .weights, elementType: weightType, shape: [q.rows, q.fanIn], values: q.weights)
    var sparse: KofNLayout?
    var sharedSparse: SharedKofNLayout?
    var kernelSparse: KernelSparseLayout?
    var estimate: LayerCostEstimate?
    var darb: DARBLayout?
    if let mask = q.mask, let blocks = mask.rowBlocks, blocks.contains(where: { $0 > 1 }) {
        // (A DARB mask whose rows all have blocks of 1 keeps every weight: lowered dense below.)
        let kept = blocks.reduce(0) { $0 + q.fanIn / $1 }
        let layout = darbLayout(q, blocks: blocks, weightType: weightType)
        // Priced by its own coefficients (darbKept, darbOutput) over the layer's kept weights.
        var work = LayerWork(
            kind: kind, rows: q.rows, fanIn: q.fanIn, keptPerRow: kept / max(q.rows, 1), groupsPerRow: 0,
            groupKept: 1, kernelGranularity: false, weightBytes: weightType.byteCount,
            sparseIndexBytes: layout.indexBytes, nibbleIndices: layout.groups.contains { $0.offsetBits > 0 && $0.offsetBits < 8 })
        work.darbKeptWeights = kept
        estimate = context.estimate(work, q)
        if estimate?.chosen == .sparse {
            darb = layout
            let values = layout.groups.flatMap(\.weights.values)
            weights = ConstantTable(role: .weights, elementType: weightType, shape: [values.count], values: values)
        }
    } else if let mask = q.mask, mask.unit > 1, KeepMask.keptPerRow(fanIn: q.fanIn / mask.unit, k: mask.k, n: mask.n) < q.fanIn / mask.unit {
        let channels = q.fanIn / mask.unit
        let perRow = KeepMask.keptPerRow(fanIn: channels, k: mask.k, n: mask.n)
        let indexType = ElementType.index(count: channels)
        let work = LayerWork(
            kind: kind, rows: q.rows, fanIn: q.fanIn, keptPerRow: perRow * mask.unit,
            groupsPerRow: (channels + mask.n - 1) / mask.n, groupKept: mask.k, kernelGranularity: true, weightBytes: weightType.byteCount,
            sparseIndexBytes: q.rows * perRow * indexType.byteCount, nibbleIndices: false)
        estimate = context.estimate(work, q)
        if estimate?.chosen == .sparse {
            var values: [Int64] = []
            var indices: [Int64] = []
            for row in 0..<q.rows {
                for channel in 0..<channels where mask.kept[row * q.fanIn + channel * mask.unit] {
                    indices.append(Int64(channel))
                    values.append(contentsOf: q.weights[(row * q.fanIn + channel * mask.unit)..<(row * q.fanIn + (channel + 1) * mask.unit)])
                }
                precondition(indices.count == (row + 1) * perRow, "kernel mask does not keep exactly min(k, r) per group")
            }
            weights = ConstantTable(role: .weights, elementType: weightType, shape: [q.rows, perRow * mask.unit], values: values)
            kernelSparse = KernelSparseLayout(
                k: mask.k, n: mask.n, keptPerRow: perRow,
                channels: ConstantTable(role: .indices, elementType: indexType, shape: [q.rows, perRow], values: indices))
        }
    } else if let mask = q.mask, mask.unit == 1, KeepMask.keptPerRow(fanIn: q.fanIn, k: mask.k, n: mask.n) < q.fanIn {
        // Shared index sets need scratch for the gathered inputs: dense layers on arena targets, and
        // conv2d where it already runs over an im2col column (the sets gather from that column).
        let convSets = !kind.isDense && context.convRunsOverColumn(q)
        // Under auto, sets of fewer than 4 kept are also compared with the per-row form below: where they
        // run plain loops (no row-pair kernel) the cost model has no figures for them, so the per-row
        // path decides alone; where the row-pair kernel runs them (over 4 columns, or 2 for 2 kept) and they lose to dense,
        // the per-row form still gets its chance.
        let keptPerSetRow = KeepMask.keptPerRow(fanIn: q.fanIn, k: mask.k, n: mask.n)
        let perRowMayDecide = keptPerSetRow < 4 && context.options.sparseLowering == .auto && context.costModel != nil
        if mask.rowsPerSet > 1, (kind.isDense && context.hasScratch) || convSets,
            !perRowMayDecide || context.setColumns(q, keptPerRow: keptPerSetRow) != nil
        {
            let (sharedEstimate, shared) = lowerSharedKofN(q, mask: mask, kind: kind, weightType: weightType, context: context)
            if shared != nil || !perRowMayDecide {
                estimate = sharedEstimate
                if let shared {
                    sharedSparse = shared.layout
                    weights = shared.weights
                }
                return finish()
            }
        }
        let fullGroups = q.fanIn / mask.n
        let tail = q.fanIn % mask.n
        let tailKept = min(mask.k, tail)
        let perRow = KeepMask.keptPerRow(fanIn: q.fanIn, k: mask.k, n: mask.n)
        let readsNibbles = kind.isDense || context.convRunsOverColumn(q)
        let format = indexFormat(k: mask.k, n: mask.n, fanIn: q.fanIn, nibblesReadable: readsNibbles, context: context)
        let indexBytesPerRow = format == .nibble ? (perRow + 1) / 2 : perRow * ElementType.index(count: mask.n).byteCount
        let work = LayerWork(
            kind: kind, rows: q.rows, fanIn: q.fanIn, keptPerRow: perRow,
            groupsPerRow: fullGroups + (tail > 0 ? 1 : 0), groupKept: mask.k, kernelGranularity: false, weightBytes: weightType.byteCount,
            sparseIndexBytes: q.rows * indexBytesPerRow, nibbleIndices: format == .nibble)
        estimate = context.estimate(work, q)
        if estimate?.chosen == .sparse {
            var values: [Int64] = []
            var indices: [Int64] = []
            values.reserveCapacity(q.rows * perRow)
            for row in 0..<q.rows {
                var groupStart = 0
                while groupStart < q.fanIn {
                    let groupEnd = min(groupStart + mask.n, q.fanIn)
                    for position in groupStart..<groupEnd where mask.kept[row * q.fanIn + position] {
                        values.append(q.weights[row * q.fanIn + position])
                        indices.append(Int64(position - groupStart))
                    }
                    groupStart = groupEnd
                }
                precondition(values.count == (row + 1) * perRow, "mask does not keep exactly min(k, r) per group")
            }
            weights = ConstantTable(role: .weights, elementType: weightType, shape: [q.rows, perRow], values: values)
            sparse = KofNLayout(
                k: mask.k, n: mask.n, fullGroups: fullGroups, tail: tail, tailKept: tailKept, format: format,
                indices: ConstantTable(
                    role: .indices, elementType: .index(count: mask.n), shape: [q.rows, perRow], values: indices))
        }
    }
    return finish()

    func finish() -> WeightedStepData {
        let uniform = Set(q.shift).count == 1 ? q.shift[0] : nil
        let folded = foldRoundingIntoBias(q)
        return WeightedStepData(
            rows: q.rows, fanIn: q.fanIn, weights: weights, sparse: sparse, sharedSparse: sharedSparse,
            kernelSparse: kernelSparse, darb: darb,
            bias: ConstantTable(role: .bias, elementType: .int32, shape: [q.rows], values: folded ?? q.bias),
            roundingInBias: folded != nil,
            uniformShift: uniform,
            shifts: uniform == nil
                ? ConstantTable(role: .shift, elementType: .int8, shape: [q.rows], values: q.shift.map(Int64.init)) : nil,
            accumulator: .signed(bits: q.accumulatorBits), clamp: q.clamp, estimate: estimate)
    }
}

/// Vector-wise k-of-n: the estimate, and (when sparse is chosen) the kept weights row by row with one
/// table of input positions per set of rows.
private func lowerSharedKofN(
    _ q: QuantizedWeights, mask: KeepMask, kind: LayerWork.Kind, weightType: ElementType, context: WeightLoweringContext
) -> (LayerCostEstimate, (layout: SharedKofNLayout, weights: ConstantTable)?) {
    let perRow = KeepMask.keptPerRow(fanIn: q.fanIn, k: mask.k, n: mask.n)
    let sets = (q.rows + mask.rowsPerSet - 1) / mask.rowsPerSet
    let indexType = ElementType.index(count: q.fanIn)
    let work = LayerWork(
        kind: kind, rows: q.rows, fanIn: q.fanIn, keptPerRow: perRow, groupsPerRow: (q.fanIn + mask.n - 1) / mask.n,
        groupKept: mask.k, kernelGranularity: false, weightBytes: weightType.byteCount,
        sparseIndexBytes: sets * perRow * indexType.byteCount, nibbleIndices: false, rowsPerSet: mask.rowsPerSet,
        rowPairColumns: context.setColumns(q, keptPerRow: perRow))
    let estimate = context.estimate(work, q)
    guard estimate.chosen == .sparse else { return (estimate, nil) }
    var values: [Int64] = []
    var inputs: [Int64] = []
    for row in 0..<q.rows {
        let positions = (0..<q.fanIn).filter { mask.kept[row * q.fanIn + $0] }
        precondition(positions.count == perRow, "mask does not keep exactly min(k, r) per group")
        if row % mask.rowsPerSet == 0 {
            inputs += positions.map(Int64.init)
        } else {
            precondition(
                positions.map(Int64.init) == Array(inputs.suffix(perRow)), "rows of one set keep different positions")
        }
        values += positions.map { q.weights[row * q.fanIn + $0] }
    }
    let layout = SharedKofNLayout(
        k: mask.k, n: mask.n, rowsPerSet: mask.rowsPerSet, keptPerRow: perRow,
        setRows: SharedKofNLayout.uniformSetRows(rows: q.rows, rowsPerSet: mask.rowsPerSet),
        inputs: ConstantTable(role: .indices, elementType: indexType, shape: [sets, perRow], values: inputs))
    return (estimate, (layout, ConstantTable(role: .weights, elementType: weightType, shape: [q.rows, perRow], values: values)))
}

/// Groups the rows of a DARB mask by block size (ascending), each with its kept weights and offsets.
private func darbLayout(_ q: QuantizedWeights, blocks: [Int], weightType: ElementType) -> DARBLayout {
    var groups: [DARBGroup] = []
    var location = [(group: Int, position: Int)](repeating: (0, 0), count: q.rows)
    for size in Set(blocks).sorted() {
        let rows = blocks.indices.filter { blocks[$0] == size }
        var values: [Int64] = []
        var offsets: [Int64] = []
        for (position, row) in rows.enumerated() {
            location[row] = (groups.count, position)
            for start in stride(from: 0, to: q.fanIn, by: size) {
                let kept = (start..<(start + size)).filter { q.mask!.kept[row * q.fanIn + $0] }
                precondition(kept.count == 1, "DARB keeps exactly one weight per block")
                values.append(q.weights[row * q.fanIn + kept[0]])
                offsets.append(Int64(kept[0] - start))
            }
        }
        let perRow = q.fanIn / size
        let bits = size == 1 ? 0 : size <= 2 ? 1 : size <= 4 ? 2 : size <= 16 ? 4 : size <= 256 ? 8 : 16
        groups.append(
            DARBGroup(
                blockSize: size,
                rows: ConstantTable(role: .rows, elementType: .index(count: q.rows), shape: [rows.count], values: rows.map(Int64.init)),
                weights: ConstantTable(role: .weights, elementType: weightType, shape: [rows.count, perRow], values: values),
                offsets: size == 1
                    ? nil
                    : ConstantTable(role: .indices, elementType: .index(count: size), shape: [rows.count, perRow], values: offsets),
                offsetBits: bits))
    }
    return DARBLayout(groups: groups, rowLocation: location)
}

/// Nibbles when asked, or under `auto` when the cost model says the flash saved outweighs the
/// extra instructions; they need n <= 16 and an even k (each group starts on a byte), and a kernel
/// that reads them: dense layers, and conv2d over its im2col column (the plain conv2d k-of-n loop,
/// on targets without the column, keeps byte indices). Under `auto` a layer with no full group (fan-in
/// below n) keeps bytes: the per-weight loop of its one partial group unpacks each nibble apart
/// (measured on Cortex-M4: the digits CNNs' 9-input conv1 took half as many instructions again).
private func indexFormat(k: Int, n: Int, fanIn: Int, nibblesReadable: Bool, context: WeightLoweringContext)
    -> KofNLayout.Format
{
    guard nibblesReadable, n <= 16, k % 2 == 0 else { return .byte }
    switch context.options.indexFormat {
    case .byte: return .byte
    case .nibble: return .nibble
    case .auto:
        guard let model = context.costModel, fanIn >= n else { return .byte }
        // Per kept weight: bytes go from (w + 1) to (w + 0.5); instructions from sparseKept to
        // sparseKept + nibbleKept. Prefer the smaller relative cost.
        let weightBytes = Double(ElementType.signed(bits: context.bits).byteCount)
        let flashSaved = 0.5 / (weightBytes + 1)
        let instructionsAdded = model.nibbleKept / max(model.sparseKept, 1e-9)
        return flashSaved > instructionsAdded ? .nibble : .byte
    }
}

extension LayerWork.Kind {
    var isDense: Bool {
        switch self {
        case .dense: return true
        case .conv: return false
        }
    }
}
