// GenEmitC/emitCFiles.swift - Stage 5: Program -> the generated header and source.

import GenCompress
import GenLowering
import GenModel
import GenSupport

/// A file produced in memory: its name inside the output folder and its bytes.
package struct GeneratedFile: Sendable, Equatable {
    package var name: String
    package var contents: String
    package init(name: String, contents: String) {
        self.name = name
        self.contents = contents
    }
}

/// Writes `<name>.h` and `<name>.c` for a program. `sourceFile` is the model's file name as shown
/// in comments (a base name, never an absolute path, so output does not depend on where gen runs).
package func emitCFiles(_ program: Program, sourceFile: String, renderer: TemplateRenderer) -> [GeneratedFile] {
    let namer = CNamer(prefix: program.name)
    let hls = program.target.hlsPragmas
    let actType = program.activationType.cName
    let quantized = program.quantized
    var tables = ""
    var layers = ""
    var calls: [String] = []
    var flashBytes = 0
    var needsAverage = false
    var needsAveragePow2 = false
    var requantizeHelpers = Set<RequantizeHelper>()
    var needsDSP = false
    /// Some maxpool2d has a DSP path (it needs GEN_ARM_DSP and gen_read4, not the dot-product helpers).
    var needsDSPPools = false
    var needsGatherKernel = false
    /// A DARB kernel unrolls its loops over the stored offsets (GEN_UNROLL, every core but HLS).
    var needsDARBUnroll = false
    var needsRowPairs = false
    var needsTwoColumnStep = false
    var needsLanePairs = false
    var needsPixelPairs = false
    var needsSetGather = false
    var needsSetUnroll = false
    // Dense vector-wise sets that gather into col on every core, and those whose col only the plain path uses
    // (`registerLanes`: on Arm DSP cores the column is in registers): where the arena must be declared.
    var setColumnOnEveryCore = false
    var setColumnWithoutDSPOnly = false
    var needsRowCopy = false
    var needsPaddedRows = false
    /// Some im2col column is gathered outside a GEN_ARM_DSP block (the conv2d k-of-n kernels).
    var rowCopyOnEveryCore = false
    var paddedRowsOnEveryCore = false
    /// The im2col column of a conv2d kernel that reads it on every core (vector-wise sets, DARB): the
    /// context's column fields, the runtime helpers it needs, and its gather and padded-row pieces rendered.
    func gatherColumnOnEveryCore(_ conv: ConvStep, offset: Int, context: inout WeightedKernelContext)
        -> (gather: String, paddedRows: String)
    {
        addColumn(conv, offset: offset, valueBytes: program.activationType.byteCount, namer: namer, to: &context)
        needsRowCopy = true
        needsPaddedRows = needsPaddedRows || conv.paddedRowsOffset != nil
        rowCopyOnEveryCore = true
        paddedRowsOnEveryCore = paddedRowsOnEveryCore || conv.paddedRowsOffset != nil
        let paddedRows = context.usesPaddedRows
            ? indented(renderer.render(context, template: "c/layers/im2col_padded_rows"), by: 8) : ""
        return (indented(renderer.render(context, template: "c/layers/im2col"), by: 12), paddedRows)
    }
    for step in program.steps {
        let layer = quantized.layers[step.layerIndex]
        let function = namer.layerFunction(layerIndex: step.layerIndex, layerName: layer.layer.name)
        let comment = describeStep(step, layer: layer)
        switch step.kind {
        case .dense(let dense):
            requantizeHelpers.insert(RequantizeHelper(for: dense.data))
            var context = weightedContext(dense.data, step: step, layer: layer, namer: namer, comment: comment,
                function: function, actType: actType, hls: hls, tables: &tables, flash: &flashBytes,
                attribute: program.target.tableAttribute)
            context.inputs = String(dense.data.fanIn)
            context.outputs = String(dense.data.outputCount)
            context.computedOutputs = String(dense.data.rows)
            addConstantOutputs(dense.data, to: &context)
            let dsp = program.target.armDSP
                && hasEightBitKernels(
                    weightBits: quantized.options.weightBits, activationBits: quantized.options.activationBits,
                    accumulatorBits: dense.data.accumulator.byteCount * 8)
            if let darb = dense.data.darb {
                var darbKernel = darbContext(
                    darb, context: context, step: step, layer: layer, namer: namer, tables: &tables, flash: &flashBytes,
                    attribute: program.target.tableAttribute)
                renderDARBRows(&darbKernel, renderer: renderer, indent: 8, unroll: !hls)
                needsDARBUnroll = needsDARBUnroll || (!hls && darbKernel.groups.contains { $0.packed && $0.hasFullSteps })
                layers += renderer.render(darbKernel, template: "c/layers/dense_darb")
            } else if let shared = dense.data.sharedSparse, let offset = dense.columnOffset {
                var sets = sharedSetsContext(
                    dense.data, shared: shared, columnOffset: offset, arena: namer.arena,
                    shiftTable: namer.table(layerIndex: step.layerIndex, layerName: layer.layer.name, role: .shift),
                    layer: context)
                sets.setsBody = indented(renderer.render(sets, template: "c/layers/kofn_sets_body"), by: 4)
                needsDSP = needsDSP || sets.paired
                needsRowPairs = needsRowPairs || sets.paired
                needsTwoColumnStep = needsTwoColumnStep || sets.runs.contains { $0.kernel?.hasColumnHalf == true }
                needsSetGather = needsSetGather || (sets.paired && sets.hasGatherQuads && !sets.registerLanes)
                needsSetUnroll = needsSetUnroll || sets.runs.contains { $0.kernel?.unrollsBlocks == true }
                setColumnOnEveryCore = setColumnOnEveryCore || !sets.registerLanes
                setColumnWithoutDSPOnly = setColumnWithoutDSPOnly || sets.registerLanes
                layers += renderer.render(sets, template: "c/layers/dense_kofn_sets")
            } else if let sparse = dense.data.sparse {
                // Constant outputs need the row-pair consumer of an Arm DSP target; the HLS kernel has no stores for them.
                precondition(!hls || dense.data.constantOutputs.isEmpty, "constant outputs on an HLS k-of-n layer")
                addKofNReading(sparse, dsp: dsp, to: &context)
                context.outputRow = "y[o]"
                context.rowShift = context.shift
                needsDSP = needsDSP || context.dsp
                needsGatherKernel = needsGatherKernel || !hls
                layers += renderer.render(context, template: hls ? "c/layers/dense_kofn_hls" : "c/layers/dense_kofn")
            } else {
                addDenseBlocking(dense.data, dsp: dsp, step: step, layer: layer, namer: namer, to: &context)
                needsDSP = needsDSP || context.dsp
                needsRowPairs = needsRowPairs || context.rowPairs
                needsTwoColumnStep = needsTwoColumnStep || context.hasColumnHalf
                layers += renderer.render(context, template: "c/layers/dense")
            }
        case .conv2d(let conv):
            requantizeHelpers.insert(RequantizeHelper(for: conv.data))
            var context = weightedContext(conv.data, step: step, layer: layer, namer: namer, comment: comment,
                function: function, actType: actType, hls: hls, tables: &tables, flash: &flashBytes,
                attribute: program.target.tableAttribute)
            context.inputSize = String(step.input.count)
            context.outputSize = String(step.output.count)
            context.inChannels = String(conv.inChannels)
            context.outChannels = String(conv.data.rows)
            context.outPixels = String(conv.outHeight * conv.outWidth)
            addConstantOutputs(conv.data, to: &context)
            context.inHeight = String(conv.inHeight)
            context.inWidth = String(conv.inWidth)
            context.outHeight = String(conv.outHeight)
            context.outWidth = String(conv.outWidth)
            context.kernelHeight = String(conv.kernelHeight)
            context.kernelWidth = String(conv.kernelWidth)
            context.kernelArea = String(conv.kernelHeight * conv.kernelWidth)
            context.strideHeight = String(conv.strideHeight)
            context.strideWidth = String(conv.strideWidth)
            context.padTop = String(conv.padTop)
            context.padLeft = String(conv.padLeft)
            context.keptKernels = String(conv.data.kernelSparse?.keptPerRow ?? 0)
            if let darb = conv.data.darb {
                // DARB's output channels grouped by block size, plain C: over the im2col column where lowering
                // placed one (Arm DSP targets with an arena), else straight from the input.
                let column = conv.columnOffset.map { gatherColumnOnEveryCore(conv, offset: $0, context: &context) }
                var darbKernel = darbContext(
                    darb, context: context, step: step, layer: layer, namer: namer, tables: &tables, flash: &flashBytes,
                    attribute: program.target.tableAttribute, input: column == nil ? "x" : "col")
                darbKernel.inputSize = context.inputSize
                darbKernel.outputSize = context.outputSize
                darbKernel.inHeight = context.inHeight
                darbKernel.inWidth = context.inWidth
                darbKernel.outHeight = context.outHeight
                darbKernel.outWidth = context.outWidth
                darbKernel.kernelWidth = context.kernelWidth
                darbKernel.kernelArea = context.kernelArea
                darbKernel.strideHeight = context.strideHeight
                darbKernel.strideWidth = context.strideWidth
                darbKernel.padTop = context.padTop
                darbKernel.padLeft = context.padLeft
                darbKernel.hls = hls
                if let offset = conv.columnOffset, let column {
                    darbKernel.hasColumn = true
                    darbKernel.column = "\(namer.arena)[\(offset)]"
                    darbKernel.imColumnGather = column.gather
                    darbKernel.usesPaddedRows = context.usesPaddedRows
                    darbKernel.paddedPlace = context.paddedPlace
                    darbKernel.imPaddedRows = column.paddedRows
                    darbKernel.pixels = String(conv.outHeight * conv.outWidth)
                    renderDARBRows(&darbKernel, renderer: renderer, indent: 16, unroll: true)
                    needsDARBUnroll = needsDARBUnroll || darbKernel.groups.contains { $0.packed && $0.hasFullSteps }
                }
                layers += renderer.render(darbKernel, template: "c/layers/conv2d_darb")
                break
            }
            if let shared = conv.data.sharedSparse, let offset = conv.columnOffset {
                // Vector-wise k-of-n: per pixel, the im2col column, then each set's gather from it; unpadded, each
                // set's gather straight from the input, by its inputs' offsets from the pixel's window origin.
                let window = shared.windowOffsets != nil
                let column = window ? nil : gatherColumnOnEveryCore(conv, offset: offset, context: &context)
                var sets = sharedSetsContext(
                    conv.data, shared: shared, columnOffset: offset, arena: namer.arena,
                    shiftTable: namer.table(layerIndex: step.layerIndex, layerName: layer.layer.name, role: .shift),
                    layer: context, convPixels: conv.outHeight * conv.outWidth)
                sets.windowGather = window
                sets.windowOrigin = "oy * \(conv.strideHeight * conv.inWidth) + ox" + (conv.strideWidth == 1 ? "" : " * \(conv.strideWidth)")
                sets.imColumn = "\(namer.arena)[\(offset)]"
                sets.imColumnGather = column?.gather ?? ""
                sets.usesPaddedRows = context.usesPaddedRows
                sets.paddedPlace = context.paddedPlace
                sets.imPaddedRows = column?.paddedRows ?? ""
                sets.inputSize = context.inputSize
                sets.outputSize = context.outputSize
                sets.outHeight = context.outHeight
                sets.outWidth = context.outWidth
                sets.setsBody = indented(renderer.render(sets, template: "c/layers/kofn_sets_body"), by: 16)
                needsDSP = needsDSP || sets.paired
                needsRowPairs = needsRowPairs || sets.paired
                needsTwoColumnStep = needsTwoColumnStep || sets.runs.contains { $0.kernel?.hasColumnHalf == true }
                needsSetGather = needsSetGather || (sets.paired && sets.hasGatherQuads && !sets.registerLanes)
                needsSetUnroll = needsSetUnroll || sets.runs.contains { $0.kernel?.unrollsBlocks == true }
                layers += renderer.render(sets, template: "c/layers/conv2d_kofn_sets")
                break
            }
            if let pool = conv.pool, let pixels = conv.data.pixelPairs {
                // The pixel-pair kernel with the max pool after it: a function of its own (both paths pool).
                addPixelPairs(pixels, conv: conv, valueBytes: program.activationType.byteCount, namer: namer, to: &context)
                addPooledRows(pixels, pool: pool, conv: conv, to: &context)
                addPixelChannels(pixels, conv: conv, to: &context)
                needsPixelPairs = true
                needsDSP = true
                needsRowCopy = needsRowCopy || conv.paddedRowsOffset != nil
                needsPaddedRows = needsPaddedRows || conv.paddedRowsOffset != nil
                layers += renderer.render(context, template: "c/layers/conv2d_pooled")
                break
            }
            // Only the pixel-pair kernel pools inside a conv2d: any other would write the unpooled output.
            precondition(conv.pool == nil, "a conv2d with a fused max pool runs the pixel-pair kernel")
            if let pixels = conv.data.pixelPairs {
                addPixelPairs(pixels, conv: conv, valueBytes: program.activationType.byteCount, namer: namer, to: &context)
                addPixelChannels(pixels, conv: conv, to: &context)
                // Rendered here and indented as a whole, as the lane-pair body is.
                context.pixelPairBody = indented(renderer.render(context, template: "c/layers/conv2d_pixel_pairs"), by: 4)
                needsPixelPairs = true
                needsDSP = true
                // The padded rows' copies, in the Arm DSP path only.
                needsRowCopy = needsRowCopy || conv.paddedRowsOffset != nil
                needsPaddedRows = needsPaddedRows || conv.paddedRowsOffset != nil
            } else if let offset = conv.columnOffset {
                if let sparse = conv.data.sparse {
                    addKofNReading(sparse, dsp: true, to: &context)
                    needsGatherKernel = true
                } else if let lanes = conv.data.lanePairs {
                    addLanePairs(lanes, to: &context)
                    needsLanePairs = true
                } else {
                    addDenseBlocking(
                        conv.data, dsp: true, step: step, layer: layer, namer: namer,
                        columnPixels: conv.outHeight * conv.outWidth, to: &context)
                    needsRowPairs = needsRowPairs || context.rowPairs
                    needsTwoColumnStep = needsTwoColumnStep || context.hasColumnHalf
                }
                addColumn(conv, offset: offset, valueBytes: program.activationType.byteCount, namer: namer, to: &context)
                if context.lanePairs {
                    // Rendered here and indented as a whole (a partial indents only its first line's lists).
                    context.lanePairBody = indented(renderer.render(context, template: "c/layers/conv2d_lane_pairs"), by: 12)
                }
                needsRowCopy = true
                needsPaddedRows = needsPaddedRows || conv.paddedRowsOffset != nil
                // conv2d.mustache gathers only in its GEN_ARM_DSP block; the k-of-n rows on every core.
                let everyCore = conv.data.sparse != nil || !context.dsp
                rowCopyOnEveryCore = rowCopyOnEveryCore || everyCore
                paddedRowsOnEveryCore = paddedRowsOnEveryCore || (everyCore && conv.paddedRowsOffset != nil)
                needsDSP = needsDSP || context.dsp
            }
            // Lowering gives conv2d nibble indices only where it runs over the column (kofn_rows reads them).
            precondition(conv.columnOffset != nil || conv.data.sparse?.format != .nibble,
                "conv2d k-of-n with nibble indices needs the im2col column")
            let template =
                conv.data.kernelSparse != nil ? "c/layers/conv2d_kernel"
                : conv.data.sparse == nil ? "c/layers/conv2d" : "c/layers/conv2d_kofn"
            layers += renderer.render(context, template: template)
        case .maxPool2d(let pool), .avgPool2d(let pool):
            let isAverage: Bool
            if case .avgPool2d = step.kind { isAverage = true } else { isAverage = false }
            var context = PoolKernelContext(
                comment: comment, function: function, actType: actType, hls: hls, inputSize: String(step.input.count),
                outputSize: String(step.output.count), channels: String(pool.channels),
                inHeight: String(pool.inHeight), inWidth: String(pool.inWidth), outHeight: String(pool.outHeight),
                outWidth: String(pool.outWidth), sizeHeight: String(pool.sizeHeight),
                sizeWidth: String(pool.sizeWidth), strideHeight: String(pool.strideHeight),
                strideWidth: String(pool.strideWidth))
            let window = pool.sizeHeight * pool.sizeWidth
            if isAverage {
                if window & (window - 1) == 0 {
                    context.average = "gen_average_pow2(sum, \(window.trailingZeroBitCount))"
                    needsAveragePow2 = true
                } else {
                    context.average = "gen_rounded_average(sum, \(window))"
                    needsAverage = true
                }
            } else if program.target.armDSP, quantized.options.activationBits == 8, pool.sizeHeight == 2,
                pool.sizeWidth == 2, pool.strideHeight == 2, pool.strideWidth == 2, pool.outWidth >= 2
            {
                context.dspPairs = true
                context.outPairs = String(pool.outWidth / 2)
                context.hasOddColumn = pool.outWidth % 2 == 1
                context.outRows = String(pool.channels * pool.outHeight)
                // Channel c's output row oy reads input rows 2 oy and 2 oy + 1 of channel c; with no input row
                // left over below the last window, output row i (= c * outHeight + oy) starts at input row 2 i.
                context.inRowStart = pool.inHeight == 2 * pool.outHeight
                    ? "i * \(2 * pool.inWidth)"
                    : "(i / \(pool.outHeight) * \(pool.inHeight) + 2 * (i % \(pool.outHeight))) * \(pool.inWidth)"
                needsDSPPools = true
            }
            layers += renderer.render(context, template: isAverage ? "c/layers/avgpool2d" : "c/layers/maxpool2d")
        case .clamp(let clamp):
            let full = FixedPoint.range(bits: quantized.options.activationBits)
            let low = CTableWriter.literal(clamp.clamp.lowerBound)
            let high = CTableWriter.literal(clamp.clamp.upperBound)
            var value = "x[i]"
            if clamp.clamp.upperBound < full.upperBound { value = "(\(value) > \(high) ? (\(actType))\(high) : \(value))" }
            if clamp.clamp.lowerBound > full.lowerBound { value = "(x[i] < \(low) ? (\(actType))\(low) : \(value))" }
            let context = ClampKernelContext(
                comment: comment, function: function, actType: actType, hls: hls, size: String(clamp.count),
                clampedValue: value)
            layers += renderer.render(context, template: "c/layers/clamp")
        }
        calls.append("\(function)(\(argument(step.input, namer: namer)), \(argument(step.output, namer: namer)));")
    }
    let memory: String
    let memoryNote: String
    switch program.target.memoryLayout {
    case .arena:
        let columns = program.steps.contains { step in
            if case .conv2d(let conv) = step.kind { return conv.columnOffset != nil }
            return false
        }
        let gathers = program.steps.contains { step in
            if case .dense(let dense) = step.kind { return dense.columnOffset != nil }
            return false
        }
        let scratch = [columns ? "each conv2d's im2col column" : nil, gathers ? "each vector-wise k-of-n layer's gathered inputs" : nil]
            .compactMap { $0 }.joined(separator: " and ")
        memoryNote = scratch.isEmpty
            ? "one arena, tensors placed from both ends (size = largest pair of neighbouring tensors)"
            : "one arena, tensors placed from both ends, \(scratch) in the gap between its input and output (size = the most any layer needs at once: its input and output, plus its column)"
        let declaration = "static \(actType) \(namer.arena)[\(program.arenaElements)];\n"
        // Only the Arm DSP kernels use an arena that holds nothing but im2col columns (a model whose
        // every tensor is the caller's input or output): elsewhere it would be an unused variable. Dense
        // vector-wise sets whose column is in registers use theirs only elsewhere (the plain path); other
        // sets, and conv2d k-of-n or DARB over its column, use the arena on every core.
        let dspOnlyColumns = program.steps.contains { step in
            if case .conv2d(let conv) = step.kind, conv.columnOffset != nil,
                conv.data.sparse == nil && conv.data.sharedSparse == nil && conv.data.darb == nil { return true }
            return false
        }
        let usedOnEveryCore = setColumnOnEveryCore || (setColumnWithoutDSPOnly && dspOnlyColumns) || program.steps.contains { step in
            if case .arena = step.input.location { return true }
            if case .arena = step.output.location { return true }
            if case .conv2d(let conv) = step.kind, conv.columnOffset != nil,
                conv.data.sparse != nil || conv.data.sharedSparse != nil || conv.data.darb != nil { return true }
            return false
        }
        memory =
            program.arenaElements == 0 ? "/* no intermediate tensors */\n\n"
            : usedOnEveryCore ? declaration + "\n"
            : setColumnWithoutDSPOnly ? "#if !GEN_ARM_DSP\n" + declaration + "#endif\n\n"
            : "#if GEN_ARM_DSP\n" + declaration + "#endif\n\n"
    case .pingPong:
        memoryNote = "two ping-pong buffers used alternately"
        memory = program.pingPongElements.enumerated().map { index, count in
            "static \(actType) \(namer.pingPong(index))[\(count)];\n"
        }.joined() + (program.pingPongElements.isEmpty ? "/* no intermediate tensors */\n" : "") + "\n"
    }
    let actBits = quantized.options.activationBits
    let range = FixedPoint.range(bits: actBits)
    let softmax = quantized.graph.endsWithSoftmax
    let context = ModelContext(
        fileName: namer.sourceFile, modelName: program.name, targetName: program.target.name,
        sourceFile: CNamer.commentText(sourceFile),
        headerName: namer.headerFile, headerGuard: namer.headerGuard, prefix: namer.prefix,
        macroPrefix: namer.macroPrefix, actType: actType,
        inputShape: "[" + quantized.graph.inputShape.map(String.init).joined(separator: ", ") + "]",
        inputSize: String(program.inputSize), outputSize: String(program.outputSize),
        inputFormat: quantized.input.description, outputFormat: quantized.output.description,
        inputFrac: String(quantized.input.frac), outputFrac: String(quantized.output.frac),
        outputNote: softmax ? "; logits (the model's softmax is applied only by the float wrapper)" : "",
        outputKind: softmax ? "logits (before the final softmax)" : "values",
        floatNote: softmax ? ", applying the model's final softmax" : "", flashBytes: String(flashBytes),
        arenaBytes: String(program.activationBytes), weightBits: String(quantized.options.weightBits),
        actBits: String(actBits), layerSummary: layerSummary(program), needsMath: softmax, softmax: softmax, hls: hls,
        runtime: renderer.render(RuntimeContext(
                // Every layer with weights requantizes, and each is a GEN_LAYER_FUNCTION.
                layerFunctions: !requantizeHelpers.isEmpty, hls: hls, needsAverage: needsAverage,
                needsDSP: needsDSP || needsDSPPools, needsDotProducts: needsDSP,
                needsGatherKernel: needsGatherKernel,
                needsUnroll: needsGatherKernel || needsDARBUnroll || needsLanePairs || needsDSPPools || needsSetUnroll,
                // GEN_UNROLL's users: the per-row k-of-n and DARB kernels on every core; lane pairs, the max pool
                // and the blocks of sets whose column is in registers only in their Arm DSP paths (the pixel-pair
                // kernel writes its channels out instead).
                unrollDSPOnly: !needsGatherKernel && !needsDARBUnroll,
                needsRowPairs: needsRowPairs, needsTwoColumnStep: needsTwoColumnStep,
                // The helpers emitted where the kernels' C calls them (read from it, not from each kernel's flags).
                needsOddLanes: layers.contains("gen_sxtb16_odd("), needsAlignedPairRead: layers.contains("gen_read8_aligned("),
                needsLanePack: layers.contains("gen_lanes("), needsLanePackHigh: layers.contains("gen_lanes_high("), needsRead4: layers.contains("gen_read4("),
                needsUnscheduledKernel: needsRowPairs || needsLanePairs || needsPixelPairs, needsRowCopy: needsRowCopy, needsPaddedRows: needsPaddedRows, rowCopyDSPOnly: !rowCopyOnEveryCore,
                paddedRowsDSPOnly: !paddedRowsOnEveryCore, needsSetGather: needsSetGather, needsRequantize32: requantizeHelpers.contains(.int32),
                needsRequantize32Right: requantizeHelpers.contains(.int32RightShift),
                needsRequantize32Floor: requantizeHelpers.contains(.int32Floor),
                needsFloorShift32: requantizeHelpers.contains(.int32RightShift) || requantizeHelpers.contains(.int32Floor)
                    || needsAveragePow2,
                needsRequantize64: requantizeHelpers.contains(.int64), needsAveragePow2: needsAveragePow2),
                template: "c/runtime.c"),
        tables: trimmingFinalNewline(tables), memory: trimmingFinalNewline(memory), memoryNote: memoryNote,
        layers: trimmingFinalNewline(layers), calls: calls,
        inputScale: floatLiteral(powerOfTwo: quantized.input.frac),
        outputScale: floatLiteral(powerOfTwo: -quantized.output.frac),
        actMax: String(range.upperBound), actMin: String(range.lowerBound))
    var header = context
    header.fileName = namer.headerFile
    let build = BuildContext(
        prefix: namer.prefix, macroPrefix: namer.macroPrefix, sourceFile: namer.sourceFile,
        libraries: softmax ? "-lm" : "", needsMath: softmax)
    return [
        GeneratedFile(name: namer.sourceFile, contents: renderer.render(context, template: "c/model.c")),
        GeneratedFile(name: namer.headerFile, contents: renderer.render(header, template: "c/model.h")),
        GeneratedFile(name: namer.prefix + ".mk", contents: renderer.render(build, template: "build/model.mk")),
        GeneratedFile(name: namer.prefix + ".cmake", contents: renderer.render(build, template: "build/model.cmake")),
    ]
}

/// Blocks end in a blank line; the template supplies the one between sections.
private func trimmingFinalNewline(_ text: String) -> String { text.hasSuffix("\n") ? String(text.dropLast()) : text }

/// 2^exponent as an exact C99 hexadecimal float literal, e.g. `0x1p-6f`.
private func floatLiteral(powerOfTwo exponent: Int) -> String { "0x1p\(exponent >= 0 ? "+" : "")\(exponent)f" }

private func argument(_ ref: BufferRef, namer: CNamer) -> String {
    switch ref.location {
    case .input: return "input"
    case .output: return "output"
    case .arena(let offset): return "&\(namer.arena)[\(offset)]"
    case .pingPong(let buffer): return namer.pingPong(buffer)
    }
}

private func weightedContext(
    _ data: WeightedStepData, step: Step, layer: QuantizedLayer, namer: CNamer, comment: String, function: String,
    actType: String, hls: Bool, tables: inout String, flash: inout Int, attribute: String
) -> WeightedKernelContext {
    let name = CNamer.commentText(layer.layer.name)
    func tableName(_ role: ConstantTable.Role) -> String {
        namer.table(layerIndex: step.layerIndex, layerName: layer.layer.name, role: role)
    }
    let weightDesc: String
    if let kernels = data.kernelSparse {
        weightDesc = "'\(name)' kept kernels, \(data.rows) output channels x \(kernels.keptPerRow) kernels (\(kernels.k) of every \(kernels.n) input channels), \(describeWeightFormats(layer))"
    } else if let shared = data.sharedSparse {
        weightDesc = "'\(name)' kept weights, \(data.rows) rows x \(shared.keptPerRow) (\(shared.k) of every \(shared.n) inputs, the same inputs in each set of \(shared.setSizeText) rows), \(describeWeightFormats(layer))"
    } else if let sparse = data.sparse {
        weightDesc = "'\(name)' kept weights, \(data.rows) rows x \(sparse.keptPerRow) (\(sparse.k) of every \(sparse.n) inputs), \(describeWeightFormats(layer))"
    } else {
        weightDesc = "'\(name)' weights [\(data.rows)][\(data.fanIn)], \(describeWeightFormats(layer))"
    }
    // A DARB layer writes its weights per block-size group (darbContext). On Arm DSP cores the
    // row-pair or lane-pair kernel reads the same weights in its own order: one table or the other is compiled.
    if let paired = data.dspWeights {
        let dspAttribute: String
        let dspComment: String
        if let pixels = data.pixelPairs {
            // int32 words: aligned as the type is.
            dspAttribute = attribute
            let middles = pixels.middleGroups.map { group in
                "(\(group[0]), " + (group.count > 1 ? String(group[1]) : "-") + ")"
            }
            let slots = data.rows * pixels.wordsPerRow
            dspComment = weightDesc + "; for the Arm DSP pixel-pair kernel: per output channel \(pixels.wordsPerRow) words of two"
                + " int16 lanes (bits 0-15, bits 16-31): (w0, w2) of each of the \(pixels.kernelRows) kernel rows, then the"
                + " middle weights w1 of kernel rows " + middles.joined(separator: " ") + " (-: 0); channel after channel, "
                + (paired.values.count == slots ? "all \(slots)" : "the \(paired.values.count) of \(slots) that are not zero (no term reads a zero word)")
        } else if let lanes = data.lanePairs {
            // int32 words: aligned as the type is.
            dspAttribute = attribute
            let elements = lanes.pairs.map { pair in
                "(" + [pair.low, pair.high].map { $0.map(String.init) ?? "-" }.joined(separator: ", ") + ")"
            }
            dspComment = weightDesc + "; for the Arm DSP lane-pair kernel: per output channel \(lanes.pairs.count) words of two"
                + " int16 lanes (bits 0-15, bits 16-31), the weights of the column's elements " + elements.joined(separator: " ")
                + " (-: 0, taken by an earlier word)"
        } else {
            // The row-pair kernel reads it two words at a time (LDRD), which needs 4-byte alignment.
            dspAttribute = attribute.contains("aligned(4)") ? attribute
                : (attribute + " __attribute__((aligned(4)))").trimmingCharacters(in: .whitespaces)
            dspComment = weightDesc + "; in the Arm DSP row-pair order (blocks of up to three row pairs, two rows per int16 lane"
                + (data.sharedSparse != nil ? "; each set of rows from a multiple of 4 bytes)" : ")")
        }
        if paired.values.isEmpty {
            // Every weight zero (a pixel-pair table stores no zero word): the Arm DSP kernel reads no table.
            tables += "#if !GEN_ARM_DSP\n"
        } else {
            tables += "#if GEN_ARM_DSP\n"
            tables += CTableWriter.table(paired, name: tableName(.weights), attribute: dspAttribute, comment: dspComment)
            tables += "#else\n"
        }
        tables += CTableWriter.table(data.weights, name: tableName(.weights), attribute: attribute, comment: weightDesc)
        tables += "#endif\n\n"
        // The Arm DSP build holds the DSP table (vector-wise sets padded to word boundaries).
        flash += max(paired.byteCount, data.weights.byteCount)
    } else if data.darb == nil {
        tables += CTableWriter.table(data.weights, name: tableName(.weights), attribute: attribute, comment: weightDesc)
        flash += data.weights.byteCount
    }
    if let sparse = data.sparse {
        let stored = sparse.storedIndices
        let packing = sparse.format == .nibble ? ", two per byte (low nibble first)" : ""
        tables += CTableWriter.table(
            stored, name: tableName(.indices), attribute: attribute,
            comment: "'\(name)' position of each kept weight inside its group of \(sparse.n) inputs\(packing)")
        flash += stored.byteCount
    }
    if let shared = data.sharedSparse {
        let what = shared.windowOffsets == nil ? "input of each kept weight"
            : "input of each kept weight as its offset in x from the output pixel's window origin"
        tables += CTableWriter.table(
            shared.storedIndices, name: tableName(.indices), attribute: attribute,
            comment: "'\(name)' \(what), one list per set of \(shared.setSizeText) rows")
        flash += shared.storedIndices.byteCount
    }
    if let kernels = data.kernelSparse {
        tables += CTableWriter.table(
            kernels.channels, name: tableName(.indices), attribute: attribute,
            comment: "'\(name)' input channel of each kept kernel")
        flash += kernels.channels.byteCount
    }
    let biasComment = "'\(name)' bias in the accumulator format of each output (Q.(frac_in + frac_w))"
        + (data.roundingInBias ? ", plus the rounding half of its right shift, 2^(shift-1)" : "")
    // The row-pair kernel starts each pair's mixed sum from its own bias table (`dspBias`): one table or the other is compiled.
    if let dspBias = data.dspBias {
        tables += "#if GEN_ARM_DSP\n"
        tables += CTableWriter.table(
            dspBias, name: tableName(.bias), attribute: attribute,
            comment: biasComment + "; for the Arm DSP row-pair kernel, the high row r + 1 of a pair whose bias starts its mixed sum holds"
                + " b[r] + 256 * b[r + 1] (modulo 2^32), the other rows their own")
        tables += "#else\n"
        tables += CTableWriter.table(data.bias, name: tableName(.bias), attribute: attribute, comment: biasComment)
        tables += "#endif\n\n"
    } else {
        tables += CTableWriter.table(data.bias, name: tableName(.bias), attribute: attribute, comment: biasComment)
    }
    flash += data.bias.byteCount
    var shift = data.uniformShift.map(String.init) ?? tableName(.shift) + "[o]"
    if let shifts = data.shifts {
        // The row-pair kernel writes its shifts as literals where it can (`constantShifts`); where it needs none
        // of the table, only the plain C path has it.
        let plainOnly = data.dspWeights != nil && data.lanePairs == nil && data.pixelPairs == nil && data.sharedSparse == nil
            && !rowPairKernelReadsShiftTable(shifts.values)
        if plainOnly { tables += "#if !GEN_ARM_DSP\n" }
        tables += CTableWriter.table(
            shifts, name: tableName(.shift), attribute: attribute,
            comment: "'\(name)' right shift from accumulator to output format, per output")
        if plainOnly { tables += "#endif\n\n" }
        flash += shifts.byteCount
        if case .conv2d = step.kind { shift = tableName(.shift) + "[oc]" }
    }
    let sparse = data.sparse
    var context = WeightedKernelContext(
        comment: comment, function: function, actType: actType, accType: data.accumulator.cName,
        requantize: RequantizeHelper(for: data).cName, hls: hls,
        weightTable: tableName(.weights), biasTable: tableName(.bias), indexTable: tableName(.indices), shift: shift,
        clampLow: CTableWriter.literal(data.clamp.lowerBound), clampHigh: CTableWriter.literal(data.clamp.upperBound),
        k: String(sparse?.k ?? 0), n: String(sparse?.n ?? 0), fullGroups: String(sparse?.fullGroups ?? 0),
        hasFullGroups: (sparse?.fullGroups ?? 0) > 0, hasTail: (sparse?.tailKept ?? 0) > 0,
        tail: String(sparse?.tail ?? 0), tailKept: String(sparse?.tailKept ?? 0),
        tailStart: String((sparse?.fullGroups ?? 0) * (sparse?.k ?? 0)),
        tailBase: String((sparse?.fullGroups ?? 0) * (sparse?.n ?? 0)),
        partitionFactor: String(
            max(1, sparse.map { min($0.k, $0.keptPerRow) } ?? data.kernelSparse.map { _ in 1 } ?? min(data.fanIn, 8))))
    context.weightType = data.weights.elementType.cName
    return context
}

/// Writes a DARB layer's per-group tables (rows, kept weights, packed offsets) and its kernel context.
private func darbContext(
    _ darb: DARBLayout, context: WeightedKernelContext, step: Step, layer: QuantizedLayer, namer: CNamer,
    tables: inout String, flash: inout Int, attribute: String, input: String = "x"
) -> DARBKernelContext {
    let name = CNamer.commentText(layer.layer.name)
    var groups: [DARBGroupContext] = []
    for group in darb.groups {
        let s = group.blockSize
        func tableName(_ role: ConstantTable.Role) -> String {
            namer.table(layerIndex: step.layerIndex, layerName: layer.layer.name, role: role) + "_s\(s)"
        }
        tables += CTableWriter.table(
            group.rows, name: tableName(.rows), attribute: attribute,
            comment: "'\(name)' output rows with blocks of \(s)")
        tables += CTableWriter.table(
            group.weights, name: tableName(.weights), attribute: attribute,
            comment: "'\(name)' kept weights of those rows, one per block of \(s), \(describeWeightFormats(layer))")
        flash += group.rows.byteCount + group.weights.byteCount
        var groupContext = DARBGroupContext(
            blockSize: String(s), rowCount: String(group.rows.values.count), blocks: String(group.blocksPerRow),
            blocksNote: group.blocksPerRow == 1 ? "1 block" : "\(group.blocksPerRow) blocks",
            rowTable: tableName(.rows), weightTable: tableName(.weights), inputIndex: "b", offsetNote: "",
            hls: context.hls)
        if let stored = group.storedOffsets {
            let bits = group.offsetBits
            tables += CTableWriter.table(
                stored, name: tableName(.indices), attribute: attribute,
                comment: "'\(name)' offset of each kept weight inside its block of \(s), \(bits) bits"
                    + (bits < 8 ? ", \(8 / bits) to a byte (lowest bits first)" : ""))
            flash += stored.byteCount
            let indices = tableName(.indices)
            let perByte = bits < 8 ? 8 / bits : 1
            let offset =
                bits < 8
                ? "((\(indices)[member][b / \(perByte)] >> (\(bits) * (b % \(perByte)))) & \((1 << bits) - 1))"
                : "\(indices)[member][b]"
            groupContext.inputIndex = "b * \(s) + " + offset
            groupContext.offsetNote = ", offsets of \(bits) bits"
            // The fast form: one stored index element (a byte of 8 / bits offsets, or one offset) per step,
            // each offset unpacked by a constant shift, so no shift amount is computed per weight.
            let readings = readDARBOffsets(
                blocks: group.blocksPerRow, blockSize: s, bits: bits, weights: tableName(.weights), input: input,
                accType: context.accType)
            groupContext.packed = true
            groupContext.indexTable = indices
            groupContext.fullSteps = String(group.blocksPerRow / perByte)
            groupContext.hasFullSteps = group.blocksPerRow / perByte > 0
            groupContext.stepStatements = readings.step
            groupContext.hasTail = !readings.tail.isEmpty
            groupContext.tailStatements = readings.tail
        }
        groupContext.accType = context.accType
        groupContext.darbInput = input
        groups.append(groupContext)
    }
    let shift = context.shift.replacingOccurrences(of: "[oc]", with: "[o]")
    var kernel = DARBKernelContext(
        comment: context.comment, function: context.function, actType: context.actType, accType: context.accType,
        requantize: context.requantize, inputs: context.inputs, outputs: context.outputs, biasTable: context.biasTable, shift: shift,
        clampLow: context.clampLow, clampHigh: context.clampHigh, groups: groups)
    kernel.usesBlockLoop = groups.contains { !$0.packed || $0.hasFullSteps }
    return kernel
}

/// Each group's accumulation over its kept weights (c/layers/darb_row), indented for the kernel's row loop.
private func renderDARBRows(_ kernel: inout DARBKernelContext, renderer: TemplateRenderer, indent: Int, unroll: Bool) {
    for g in kernel.groups.indices {
        kernel.groups[g].unroll = unroll
        kernel.groups[g].rowBody = indented(renderer.render(kernel.groups[g], template: "c/layers/darb_row"), by: indent)
    }
}

/// The statements of one step of a DARB group's loop over its stored offsets (`v` holds step b's index
/// element: 8 / bits packed offsets, or one offset of 8 or 16 bits) and those of the partial last element
/// (`v` then holds element `blocks / (8 / bits)`): `acc += w[member][j] * input[s * j + offset j]`, the
/// offset's shift and mask constant.
private func readDARBOffsets(blocks: Int, blockSize s: Int, bits: Int, weights: String, input: String, accType: String)
    -> (step: [String], tail: [String])
{
    let perByte = bits < 8 ? 8 / bits : 1
    func offset(_ j: Int) -> String {
        guard perByte > 1 else { return "v" }
        if j == 0 { return "(v & \((1 << bits) - 1))" }
        if j == perByte - 1 { return "(v >> \(bits * j))" }
        return "((v >> \(bits * j)) & \((1 << bits) - 1))"
    }
    func statement(block: String, _ j: Int) -> String {
        "acc += (\(accType))\(weights)[member][\(block)] * \(input)[\(s) * \(block.contains(" ") ? "(\(block))" : block) + \(offset(j))];"
    }
    let step = (0..<perByte).map { j in
        statement(block: perByte == 1 ? "b" : j == 0 ? "\(perByte) * b" : "\(perByte) * b + \(j)", j)
    }
    let full = blocks / perByte
    let tail = (0..<(blocks % perByte)).map { j in statement(block: String(full * perByte + j), j) }
    return (step, tail)
}

/// How the fast k-of-n kernel walks its index table (bytes or nibbles) and whether it has a DSP path
/// (groups of a multiple of 4 kept weights).
private func addKofNReading(_ sparse: KofNLayout, dsp: Bool, to context: inout WeightedKernelContext) {
    context.indexType = sparse.storedIndices.elementType.cName
    context.dsp = dsp && sparse.k % 4 == 0 && sparse.fullGroups > 0
    switch sparse.format {
    case .byte:
        context.indexStep = String(sparse.k)
        context.tailIndexStep = String(sparse.tailKept)
        context.indexJ = "idx[j]"
        context.index0 = "idx[j]"
        context.index1 = "idx[j + 1]"
        context.index2 = "idx[j + 2]"
        context.index3 = "idx[j + 3]"
    case .nibble:
        context.indexStep = String(sparse.k / 2)
        context.tailIndexStep = String((sparse.tailKept + 1) / 2)
        context.indexJ = "(idx[j / 2] >> (4 * (j % 2))) & 15u"
        context.index0 = "idx[j / 2] & 15u"
        context.index1 = "idx[j / 2] >> 4"
        context.index2 = "idx[j / 2 + 1] & 15u"
        context.index3 = "idx[j / 2 + 1] >> 4"
    }
}

/// The dense DSP kernel's blocking (layers with at least four rows and four columns): row pairs when
/// lowering put the weights in that order, else four rows and four columns at a time; `columnPixels`:
/// a conv2d over its im2col column, whose output channel o goes to `y[o * columnPixels + p]`.
private func addDenseBlocking(
    _ data: WeightedStepData, dsp: Bool, step: Step, layer: QuantizedLayer, namer: CNamer,
    columnPixels: Int? = nil, to context: inout WeightedKernelContext
) {
    context.dsp = dsp && data.rows >= 4 && data.fanIn >= 4
    guard context.dsp else { return }
    context.rowBlockEnd = String(data.rows / 4 * 4)
    context.columnBlockEnd = String(data.fanIn / 4 * 4)
    context.hasRowTail = data.rows % 4 != 0
    context.hasColumnTail = data.fanIn % 4 != 0
    let table = namer.table(layerIndex: step.layerIndex, layerName: layer.layer.name, role: .shift)
    let shifts = [0, 1, 2, 3].map { offset in
        data.uniformShift.map(String.init) ?? (offset == 0 ? "\(table)[o]" : "\(table)[o + \(offset)]")
    }
    context.shift0 = shifts[0]
    context.shift1 = shifts[1]
    context.shift2 = shifts[2]
    context.shift3 = shifts[3]
    context.output0 = "y[o]"
    context.output1 = "y[o + 1]"
    context.output2 = "y[o + 2]"
    context.output3 = "y[o + 3]"
    context.outputRow = "y[o]"
    context.rowShift = context.shift
    addRowPairGroups(
        data,
        output: { row in
            let channel = row == 0 ? "o" : "o + \(row)"
            guard let pixels = columnPixels else { return "y[\(channel)]" }
            return row == 0 ? "y[o * \(pixels) + p]" : "y[(\(channel)) * \(pixels) + p]"
        },
        shift: { row in data.uniformShift.map(String.init) ?? (row == 0 ? "\(table)[o]" : "\(table)[o + \(row)]") },
        shiftValues: data.shifts?.values, to: &context)
}

/// The outputs lowering proved constant (`removeConstantOutputs`): stored after the `rows` computed ones.
private func addConstantOutputs(_ data: WeightedStepData, to context: inout WeightedKernelContext) {
    context.hasConstantOutputs = !data.constantOutputs.isEmpty
    context.constantOutputs = data.constantOutputs.enumerated().map { offset, constant in
        ConstantOutputContext(index: String(data.rows + offset), value: CTableWriter.literal(constant.value))
    }
}

/// The lane-pair kernel's words and pairs (a dense conv2d of a small fan-in over its column, lowering's
/// `lanePairLayout`).
private func addLanePairs(_ lanes: LanePairLayout, to context: inout WeightedKernelContext) {
    context.dsp = true
    context.lanePairs = true
    context.laneWords = lanes.wordOffsets.enumerated().map { LaneWordContext(index: String($0), offset: String($1)) }
    context.lanePairList = lanes.pairs.enumerated().map { index, pair in
        LanePairContext(index: String(index), word: String(pair.word), split: pair.odd ? "gen_sxtb16_odd" : "__sxtb16")
    }
}

/// The pixel-pair kernel's kernel rows (a dense conv2d 3 wide at stride 1, lowering's `pixelPairLayout`): each
/// row's word at pixel ox, from the padded rows of output row oy where the conv2d is padded, else from the
/// input (no padding: kernel row (ic, ky) of output row oy is input row ic · inHeight + oy · strideHeight + ky).
private func addPixelPairs(
    _ layout: PixelPairLayout, conv: ConvStep, valueBytes: Int, namer: CNamer, to context: inout WeightedKernelContext
) {
    context.dsp = true
    context.pixelPairs = true
    context.outputs = String(conv.data.rows)
    context.rowShift = context.shift.replacingOccurrences(of: "[oc]", with: "[o]")
    if conv.paddedRowsOffset != nil {
        // Sets the padded rows' place, width and zeros (im2col_padded_rows).
        addRowCopies(conv, valueBytes: valueBytes, namer: namer, to: &context)
        context.pixelRowNote = "from output row oy's padded rows"
    } else {
        precondition(!conv.padded, "a padded conv2d on the pixel-pair kernel needs its padded rows")
        context.pixelRowNote = "from the input"
    }
    context.pixelRows = (0..<layout.kernelRows).map { row in
        let address: String
        if conv.paddedRowsOffset != nil {
            address = "padded[\(row * conv.paddedRowWidth) + ox]"
        } else {
            let (channel, ky) = (row / conv.kernelHeight, row % conv.kernelHeight)
            address = "x[oy * \(conv.strideHeight * conv.inWidth) + \((channel * conv.inHeight + ky) * conv.inWidth) + ox]"
        }
        let high = layout.middleSlot(row).high
        return PixelRowContext(
            index: String(row), address: address,
            middleLow: high ? "__smlabt" : "__smlabb", middleHigh: high ? "__smlatt" : "__smlatb")
    }
}

/// A pixel-pair conv2d with a fused 2x2 max pool (`ConvStep.pool`): the input rows under a pooling window
/// (each channel's kernel height plus one, from row 2 py - padTop: in the padded rows in that order, else in
/// the input), and for each kernel row the one it reads for the window's upper and lower output row.
private func addPooledRows(_ layout: PixelPairLayout, pool: PoolStep, conv: ConvStep, to context: inout WeightedKernelContext) {
    precondition(conv.strideHeight == 1 && pool.sizeHeight == 2 && pool.strideHeight == 2, "the fused pool is 2x2 of stride 2 at stride 1")
    let perChannel = conv.paddedRowsPerChannel
    context.poolHeight = String(pool.outHeight)
    context.poolWidth = String(pool.outWidth)
    context.outPixels = String(pool.outHeight * pool.outWidth)
    context.pixelRowNote = conv.paddedRowsOffset != nil ? "from the window's padded rows" : "from the input"
    context.pooledRows = (0..<(conv.inChannels * perChannel)).map { row in
        let address: String
        if conv.paddedRowsOffset != nil {
            address = "padded[\(row * conv.paddedRowWidth) + ox]"
        } else {
            let (channel, k) = (row / perChannel, row % perChannel)
            address = "x[py * \(2 * conv.inWidth) + \((channel * conv.inHeight + k) * conv.inWidth) + ox]"
        }
        return PooledRowContext(index: String(row), address: address)
    }
    for kernelRow in context.pixelRows.indices {
        let (channel, ky) = (kernelRow / conv.kernelHeight, kernelRow % conv.kernelHeight)
        context.pixelRows[kernelRow].top = String(channel * perChannel + ky)
        context.pixelRows[kernelRow].bottom = String(channel * perChannel + ky + 1)
    }
}

/// The pixel-pair kernel's output channels, each with the terms of its nonzero weights only (`pixelPairTerms`),
/// after `addPixelPairs` (and `addPooledRows`); the input rows that no channel reads are not read.
private func addPixelChannels(_ layout: PixelPairLayout, conv: ConvStep, to context: inout WeightedKernelContext) {
    let terms = pixelPairTerms(conv.data.weights.values, rows: conv.data.rows, layout: layout)
    let positions = storedPixelPairWords(conv.data.weights.values, rows: conv.data.rows, layout: layout).positions
    let rows = context.pixelRows
    let outPixels = Int(context.outPixels)!
    context.pixelChannels = terms.enumerated().map { channel, channelTerms in
        let all = 2 * layout.kernelRows
        // Each term reads its word where the table stores it (a term's word is never zero).
        func stored(_ slot: Int) -> String { String(positions[channel][slot]!) }
        return PixelChannelContext(
            channel: String(channel),
            outerRows: channelTerms.outerRows.map { var row = rows[$0]; row.word = stored($0); return row },
            middleRows: channelTerms.middleRows.map { var row = rows[$0]; row.word = stored(layout.kernelRows + layout.middleSlot($0).word); return row },
            // The packed pair's word is the first middle word.
            packedTerms: channelTerms.packedMiddles ? [PackedTermContext(word: stored(layout.kernelRows))] : [],
            outBase: String(channel * outPixels),
            channelShift: context.rowShift.replacingOccurrences(of: "[o]", with: "[\(channel)]"),
            termNote: channelTerms.count == all ? ""
                : ": \(channelTerms.count) of \(all) terms\(channelTerms.packedMiddles ? " (one for both packed middle weights)" : ""), its zero weights left out")
    }
    var read = Set(terms.flatMap { $0.outerRows + $0.middleRows })
    if let packed = layout.packedMiddles, terms.contains(where: \.packedMiddles) {
        // The packs read both kernel rows' lanes (with the pool, the input rows each reads for either output row).
        read.formUnion([packed.first, packed.second])
        let (first, second) = (rows[packed.first], rows[packed.second])
        context.packedMiddles = context.pooledRows.isEmpty
            ? [PackedMiddlesContext(first: first.index, second: second.index)]
            : [PackedMiddlesContext(first: first.top, second: second.top, bottomFirst: first.bottom, bottomSecond: second.bottom)]
    }
    context.pixelRows = rows.filter { read.contains(Int($0.index)!) }
    context.readsInput = !read.isEmpty
    if !context.pooledRows.isEmpty {
        let pooled = Set(context.pixelRows.flatMap { [$0.top, $0.bottom] })
        context.pooledRows = context.pooledRows.filter { pooled.contains($0.index) }
    }
}

/// The output positions along one axis whose kernel window, `position * stride - padBefore ..<` that
/// `+ kernel`, lies inside `0 ..< input` (possibly empty).
private func interior(padBefore: Int, stride: Int, kernel: Int, input: Int, output: Int) -> Range<Int> {
    let first = (padBefore + stride - 1) / stride
    let last = input - kernel + padBefore >= 0 ? (input - kernel + padBefore) / stride : -1
    let end = min(output, last + 1)
    return first < end ? first..<end : 0..<0
}

/// A conv2d kernel over its im2col column (lowering placed it in the arena): the dense four-row
/// blocking or the k-of-n rows, with `col` for the input vector, one output pixel `p` at a time,
/// output channel `o` at `y[o * pixels + p]`.
private func addColumn(
    _ conv: ConvStep, offset: Int, valueBytes: Int, namer: CNamer, to context: inout WeightedKernelContext
) {
    let pixels = conv.outHeight * conv.outWidth
    context.hasColumn = true
    context.inputs = String(conv.data.fanIn)
    context.outputs = String(conv.data.rows)
    context.computedOutputs = String(conv.data.rows)
    context.dotInput = "col"
    context.column = "\(namer.arena)[\(offset)]"
    context.padded = conv.padded
    // Output rows and columns whose receptive field lies inside the input: the gather copies them untested.
    let interiorRows = interior(padBefore: conv.padTop, stride: conv.strideHeight, kernel: conv.kernelHeight,
        input: conv.inHeight, output: conv.outHeight)
    let interiorColumns = interior(padBefore: conv.padLeft, stride: conv.strideWidth, kernel: conv.kernelWidth,
        input: conv.inWidth, output: conv.outWidth)
    context.hasInterior = context.padded && !interiorRows.isEmpty && !interiorColumns.isEmpty
    // Only the tests that can fail (a bound equal to the loop's own is left out).
    var rowTests: [String] = []
    if interiorRows.lowerBound > 0 { rowTests.append("oy >= \(interiorRows.lowerBound)") }
    if interiorRows.upperBound < conv.outHeight { rowTests.append("oy < \(interiorRows.upperBound)") }
    var columnTests: [String] = []
    if interiorColumns.lowerBound > 0 { columnTests.append("ox >= \(interiorColumns.lowerBound)") }
    if interiorColumns.upperBound < conv.outWidth { columnTests.append("ox < \(interiorColumns.upperBound)") }
    context.interiorCondition = (rowTests + columnTests).joined(separator: " && ")
    // Over the border, a kernel row inside the input is one copy where the field's columns are inside too.
    context.allColumnsInterior = context.padded && interiorColumns == 0..<conv.outWidth
    context.hasInteriorColumns = context.padded && !interiorColumns.isEmpty && !context.allColumnsInterior
    context.interiorColumnCondition = columnTests.joined(separator: " && ")
    addRowCopies(conv, valueBytes: valueBytes, namer: namer, to: &context)
    context.output0 = "y[o * \(pixels) + p]"
    context.output1 = "y[(o + 1) * \(pixels) + p]"
    context.output2 = "y[(o + 2) * \(pixels) + p]"
    context.output3 = "y[(o + 3) * \(pixels) + p]"
    context.outputRow = "y[o * \(pixels) + p]"
    context.rowShift = context.shift.replacingOccurrences(of: "[oc]", with: "[o]")
}

/// How im2col_rows copies a receptive field inside the input: one gen_copy per kernel row. A row of
/// three int8 values is copied as one word (four bytes) but the field's last row: the fourth byte is
/// the next kernel row's first value in col, which that row's copy writes again, and in x it is the
/// next input row's first value, inside x for every row before the field's last.
private func addRowCopies(_ conv: ConvStep, valueBytes: Int, namer: CNamer, to context: inout WeightedKernelContext) {
    let rowBytes = conv.kernelWidth * valueBytes
    context.kernelRows = String(conv.inChannels * conv.kernelHeight)
    context.hasLeadingChannels = conv.inChannels > 1
    context.leadingChannels = String(conv.inChannels - 1)
    if let offset = conv.paddedRowsOffset {
        // From the padded rows of output row oy: kernel row ky of channel ic is row ic * kh + ky there.
        context.usesPaddedRows = true
        context.paddedPlace = "\(namer.arena)[\(offset)]"
        context.rowSource = "padded"
        context.rowCopyNote = "from output row oy's padded rows"
        context.rowStart = "ox * \(conv.strideWidth)"
        context.rowStride = String(conv.paddedRowWidth)
        context.hasChannelStep = false
        context.paddedRowWidth = String(conv.paddedRowWidth)
        context.paddedRowsPerChannel = String(conv.paddedRowsPerChannel)
        context.paddedRowsNote = conv.pool == nil ? "output row oy's kernel rows"
            : "the pooling window's input rows, \(conv.paddedRowsPerChannel) per channel from row 2 py - \(conv.padTop)"
        context.paddedRowOrigin = conv.pool == nil ? "oy * \(conv.strideHeight)" : "2 * py"
        context.paddedRowBytes = String(conv.paddedRowWidth * valueBytes)
        context.inRowBytes = String(conv.inWidth * valueBytes)
        context.hasPadLeft = conv.padLeft > 0
        context.padLeftBytes = String(conv.padLeft * valueBytes)
        context.hasPadRight = conv.padRight > 0
        context.padRightStart = String(conv.padLeft + conv.inWidth)
        context.padRightBytes = String(conv.padRight * valueBytes)
    } else {
        context.rowSource = "x"
        context.rowCopyNote = "the field lies inside the input"
        context.rowStart = "(oy * \(conv.strideHeight) - \(conv.padTop)) * \(conv.inWidth) + ox * \(conv.strideWidth) - \(conv.padLeft)"
        context.rowStride = String(conv.inWidth)
        context.channelStep = String((conv.inHeight - conv.kernelHeight) * conv.inWidth)
        context.hasChannelStep = conv.inHeight != conv.kernelHeight
    }
    context.lastChannelRows = String(conv.kernelHeight - 1)
    context.rowBytes = String(rowBytes)
    context.rowCopyOverlaps = rowBytes == 3
    context.rowCopyBytes = String(context.rowCopyOverlaps ? 4 : rowBytes)
}

/// The `main()` that `gen verify` compiles with the generated files (not part of gen's output).
package func emitVerifyHarness(_ program: Program, renderer: TemplateRenderer) -> GeneratedFile {
    let namer = CNamer(prefix: program.name)
    struct HarnessContext {
        var prefix: String
        var macroPrefix: String
        var headerName: String
    }
    let context = HarnessContext(prefix: namer.prefix, macroPrefix: namer.macroPrefix, headerName: namer.headerFile)
    return GeneratedFile(name: "verify_main.c", contents: renderer.render(context, template: "c/verify_main.c"))
}
