// GenDriver/writeReport.swift - The per-layer report (`<name>.report.json`): what was done and what it costs.

import GenCompress
import GenLearn
import GenLowering
import GenModel
import GenSupport

/// Rounds to 6 significant decimals so reports stay readable and stable.
private func rounded(_ value: Double) -> JSONValue { .num((value * 1e6).rounded() / 1e6) }

/// What one layer does and costs, for the terminal table (the JSON report has more).
package struct LayerCost: Sendable {
    package var name: String
    package var type: String
    package var outputShape: [Int]
    package var method: String
    /// "8/16", or "" for layers without weights.
    package var structure: String
    package var sparsity: Double?
    package var pqIndex: Double?
    package var macs: Int
    /// Weights, indices, bias and shifts in flash.
    package var weightBytes: Int
    package var indexBytes: Int
    package var otherBytes: Int
    /// Bytes of the layer's output tensor (its share of the activation memory; 0 for a conv2d that does the max
    /// pool after it, whose own output is never stored).
    package var outputBytes: Int
}

/// The report as JSON text plus the per-layer costs for the terminal table.
package struct ModelReport: Sendable {
    package var json: String
    package var layers: [LayerCost]
    package var arenaBytes: Int
}

/// Builds the report: options, arithmetic rules, one entry per layer, totals.
package func writeReport(
    _ program: Program, options: GenerateOptions, resolved: ResolvedOptions, sourceFile: String,
    training: TrainingSummary? = nil, sap: SAPSummary? = nil, edp: EDPSummary? = nil,
    darbLayerSparsity: [(layer: String, sparsity: Double)] = []
) -> ModelReport {
    let quantized = program.quantized
    var layers: [JSONValue] = []
    var costs: [LayerCost] = []
    var totals = (weights: 0, kept: 0, macs: 0, denseMacs: 0, weightBytes: 0, indexBytes: 0, otherBytes: 0)
    let stepsByLayer = Dictionary(program.steps.map { ($0.layerIndex, $0) }, uniquingKeysWith: { first, _ in first })
    // Max pools done inside the conv2d before them (`ConvStep.pool`): the pool's layer index, and the conv2d's.
    var fusedPools: [Int: Int] = [:]
    for step in program.steps {
        guard case .conv2d(let conv) = step.kind, conv.pool != nil,
            let pool = quantized.layers.indices.first(where: { index in
                guard index > step.layerIndex, case .maxPool2d = quantized.layers[index].op else { return false }
                return true
            })
        else { continue }
        fusedPools[pool] = step.layerIndex
    }
    for (index, layer) in quantized.layers.enumerated() {
        var entry: [(String, JSONValue)] = [
            ("name", .str(layer.layer.name)), ("type", .str(layer.layer.op.typeName)),
            ("inputShape", .ints(layer.layer.inputShape)), ("outputShape", .ints(layer.layer.outputShape)),
        ]
        if !layer.layer.folded.isEmpty { entry.append(("folded", .arr(layer.layer.folded.map { .str($0) }))) }
        entry.append(("inputFormat", .str(layer.input.description)))
        entry.append(("outputFormat", .str(layer.output.description)))
        var cost = LayerCost(
            name: layer.layer.name, type: layer.layer.op.typeName, outputShape: layer.layer.outputShape, method: "",
            structure: "", sparsity: nil, pqIndex: nil, macs: 0, weightBytes: 0, indexBytes: 0, otherBytes: 0,
            outputBytes: layer.layer.outputShape.reduce(1, *) * program.activationType.byteCount)
        let weights: QuantizedWeights?
        let real: [Double]
        var positions = 1
        switch layer.op {
        case .dense(let dense, let q):
            weights = q
            real = dense.weights
        case .conv2d(let conv, let q):
            weights = q
            real = conv.weights
            positions = layer.layer.outputShape[1] * layer.layer.outputShape[2]
        case .maxPool2d, .avgPool2d, .flatten, .clamp, .softmax:
            weights = nil
            real = []
        }
        if let q = weights, let step = stepsByLayer[index] {
            let data: WeightedStepData
            var columnBytes = 0
            var paddedRowsBytes = 0
            switch step.kind {
            case .dense(let dense):
                data = dense.data
                if dense.data.sharedSparse != nil, dense.columnOffset != nil {
                    columnBytes = dense.data.setColumnElements * program.activationType.byteCount
                }
            case .conv2d(let conv):
                data = conv.data
                // The im2col column, and with shared index sets the set's gathered inputs after it (only those where
                // the sets gather straight from the input).
                if conv.columnOffset != nil {
                    let field = conv.data.sharedSparse?.windowOffsets == nil ? conv.data.fanIn : 0
                    columnBytes = (field + conv.data.setColumnElements) * program.activationType.byteCount
                }
                if conv.paddedRowsOffset != nil {
                    paddedRowsBytes = conv.paddedRowsElements * program.activationType.byteCount
                }
            case .maxPool2d, .avgPool2d, .clamp: preconditionFailure("weighted layer lowered to an unweighted step")
            }
            let stored = q.rows * q.fanIn
            let keptValues = (0..<stored).filter { q.mask?.kept[$0] ?? true }.map { real[$0] }
            let kept = keptValues.count
            // Filter pruning: sparsity and dense MACs count the weights the layer had before compaction.
            // EDP layers count their own weights; the totals count each decomposed source once.
            let decomposition = layer.layer.decomposition
            let total = decomposition != nil ? stored : layer.layer.weightsBeforeCompaction ?? stored
            let sourceTotal = decomposition?.sourceWeights ?? total
            // An EDP pair's sparsity: its two factors' weights against the source layer's (both rows
            // show it); a merged layer's against its source.
            var sparsity = Double(total - kept) / Double(max(total, 1))
            if let decomposition {
                let neighbour: Int?
                switch decomposition.role {
                case .basis: neighbour = index + 1
                case .coefficients: neighbour = index - 1
                case .merged: neighbour = nil
                }
                let pairKept = kept + (neighbour.map { quantized.layers[$0].layer.op.weightMatrix?.weights.count ?? 0 } ?? 0)
                let source = decomposition.role == .coefficients
                    ? quantized.layers[index - 1].layer.decomposition?.sourceWeights ?? 0 : decomposition.sourceWeights
                sparsity = Double(source - pairKept) / Double(max(source, 1))
            }
            let loweredDense = data.sparse == nil && data.sharedSparse == nil && data.kernelSparse == nil && data.darb == nil
            // A pruned layer lowered dense (its sparse form does not pay) runs every MAC, zeros included, but
            // those of the rows lowering stores as constants (`removeConstantOutputs`).
            // A k-of-n layer's rows keep the same count, and those stored as constants run none.
            let macs = (loweredDense ? data.rows * data.fanIn : kept * data.rows / data.outputCount) * positions
            let indexBytes = data.sparse?.storedIndices.byteCount ?? data.sharedSparse?.storedIndices.byteCount
                ?? data.kernelSparse?.channels.byteCount
                ?? data.darb?.indexBytes ?? 0
            let otherBytes = data.bias.byteCount + (data.shifts?.byteCount ?? 0)
            // On Arm DSP cores the paired table is compiled (vector-wise sets padded to word boundaries).
            let weightBytes = max(data.weights.byteCount, data.dspWeights?.byteCount ?? 0)
            var method: [(String, JSONValue)]
            let name: String
            switch resolved.prune {
            case .dpp: name = "dpp"
            case .sap: name = "sap"
            case .darb: name = "darb"
            case .edp: name = "edp"
            case .none, .kOfN: name = "kofn"
            }
            if let decomposition {
                method = [
                    ("method", .str("edp")), ("role", .str(decomposition.role.rawValue)),
                    ("decomposedFrom", .str(decomposition.source)), ("rank", .int(decomposition.rank)),
                    ("fullRank", .int(decomposition.fullRank)), ("sourceWeights", .int(decomposition.sourceWeights)),
                    ("structure", .str(edpStructure(decomposition, layer: layer.layer))),
                ]
            } else if let mask = q.mask {
                method = [("method", .str(name)), ("k", .int(mask.k)), ("n", .int(mask.n))]
                if mask.rowsPerSet > 1 { method.append(("rowsPerIndexSet", .int(mask.rowsPerSet))) }
                if let blocks = mask.rowBlocks {
                    // DARB: how many rows have each block size (k = 1 of every s).
                    method = [("method", .str(name)), ("k", .int(1))]
                    method.append((
                        "rowsPerBlockSize",
                        .obj(Set(blocks).sorted().map { size in (String(size), .int(blocks.filter { $0 == size }.count)) })))
                }
                let darbText: String? = data.darb.map { darb -> String in
                    let groups = darb.groups.map { "\($0.rows.values.count) x s=\($0.blockSize)" }.joined(separator: ", ")
                    return "DARB: one weight per block, rows grouped by block size " + groups + "; offsets in 1, 2 or 4 bits packed (s <= 16), 8 bits up to s = 256, 16 above; the index bytes include the row tables"
                }
                let sharedText: String? = data.sharedSparse.map { sharedStructure($0, conv: step.kind.isConv) }
                let structure: String =
                    darbText
                    ?? data.kernelSparse.map { _ in "kernel k-of-n: kept input-channel kernels, dense inside" }
                    ?? sharedText
                    ?? data.sparse.map { "k-of-n tables, \($0.format.rawValue) indices" }
                    ?? (data.estimate == nil ? "dense (k-of-n keeps every weight)" : "dense tables holding the pruned zeros")
                method.append(("structure", .str(structure)))
                if let estimate = data.estimate { method.append(("lowering", loweringReport(estimate))) }
                method.append(("granularity", .str(mask.unit > 1 ? "kernel" : "weight")))
            } else if let before = layer.layer.channelsBeforeCompaction, name == "edp" {
                method = [
                    ("method", .str("edp")),
                    ("structure", .str("dense, left whole; \(q.rows) of \(before) output channels kept (the others carried only their bias, folded downstream)")),
                ]
            } else if let before = layer.layer.channelsBeforeCompaction {
                method = [
                    ("method", .str("kofn")), ("granularity", .str("filter")),
                    ("structure", .str("filter k-of-n: compacted from \(before) to \(q.rows) output channels, dense, no index tables")),
                ]
            } else if layer.layer.weightsBeforeCompaction != nil, name == "edp" {
                method = [
                    ("method", .str("edp")),
                    ("structure", .str("dense, left whole; inputs compacted after EDP pruned the previous layer's output channels")),
                ]
            } else if layer.layer.weightsBeforeCompaction != nil {
                method = [
                    ("method", .str("kofn")), ("granularity", .str("filter")),
                    ("structure", .str("dense; inputs compacted after the previous layer's filters were pruned")),
                ]
            } else {
                method = [("method", .str("none")), ("structure", .str("dense"))]
            }
            entry += method
            entry += [
                ("weights", .int(total)), ("keptWeights", .int(kept)),
                ("sparsity", rounded(sparsity)),
                ("pqIndex", rounded(pqIndex(keptValues))),
                ("indexBitsPerKeptWeight", data.darb.map { darb in
                    rounded(Double(darb.indexBytes * 8) / Double(max(kept, 1))) }
                    ?? data.sharedSparse.map { rounded(Double($0.storedIndices.byteCount * 8) / Double(max(data.rows * $0.keptPerRow, 1))) }
                    ?? .int(data.sparse?.indexBits ?? 0)),
                ("indexBitsPerKeptKernel", .int(data.kernelSparse.map { $0.channels.elementType.byteCount * 8 } ?? 0)),
                ("macs", .int(macs)), ("denseMacs", .int(total * positions)),
                ("weightBytes", .int(weightBytes)), ("indexBytes", .int(indexBytes)),
                ("biasAndShiftBytes", .int(otherBytes)),
                ("weightFracBits", .ints([q.weightFrac.min() ?? 0, q.weightFrac.max() ?? 0])),
                ("accumulatorBits", .int(q.accumulatorBits)), ("accumulatorBound", .int(Int(q.accumulatorBound))),
                ("calibratedMaxAbs", rounded(layer.calibratedMaxAbs)),
                ("inputInterval", .arr([.int(Int(q.inputInterval.lowerBound)), .int(Int(q.inputInterval.upperBound))])),
                ("saturation", saturationReport(q, layer: layer)),
                // The im2col column this conv2d (or the inputs a vector-wise k-of-n layer) gathers into
                // the arena while it runs (0: none).
                ("columnBytes", .int(columnBytes)),
                // One output row's kernel rows with the padding as zeros, after the column (0: none; only
                // where they fit beside the largest pair, so they never grow the arena).
                ("paddedRowsBytes", .int(paddedRowsBytes)),
            ]
            if !q.saturatedBiasRows.isEmpty { entry.append(("saturatedBiasRows", .ints(q.saturatedBiasRows))) }
            // Outputs proven the same for every input, which the C does not compute (GenLowering/removeConstantOutputs.swift):
            // the model's row and its value in the output format; the C stores them after the computed outputs.
            if !data.constantOutputs.isEmpty {
                entry.append(("constantOutputs", .arr(data.constantOutputs.map {
                    .obj([("row", .int($0.modelRow)), ("value", .int(Int($0.value)))])
                })))
            }
            // A conv2d whose vector-wise sets gather straight from the input (unpadded: no im2col column).
            if case .conv2d(let conv) = step.kind, conv.data.sharedSparse?.windowOffsets != nil {
                entry.append(("setsGatherFromInput", .bool(true)))
            }
            // A conv2d on the Arm DSP lane-pair kernel (GenLowering/pairLanesForDSP.swift): its int16-lane pairs per output.
            if case .conv2d(let conv) = step.kind, let lanes = conv.data.lanePairs {
                entry.append(("lanePairs", .int(lanes.pairs.count)))
            }
            // A conv2d on the Arm DSP pixel-pair kernel (GenLowering/pairPixelsForDSP.swift): its kernel rows, and the
            // multiply terms it writes out over all output channels (2 per kernel row and channel, less its zero weights',
            // one for both packed middle weights), and the two kernel rows whose middle weights it packs, if any.
            if case .conv2d(let conv) = step.kind, let pixels = conv.data.pixelPairs {
                entry.append(("pixelPairKernelRows", .int(pixels.kernelRows)))
                let terms = pixelPairTerms(conv.data.weights.values, rows: conv.data.rows, layout: pixels)
                entry.append(("pixelPairTerms", .int(terms.reduce(0) { $0 + $1.count })))
                if let packed = pixels.packedMiddles {
                    entry.append(("pixelPairPackedMiddles", .ints([packed.first, packed.second])))
                }
            }
            // The max pool after it, done inside it: its output tensor is never stored.
            if let pool = fusedPools.first(where: { $0.value == index })?.key {
                entry.append(("fusedMaxPool", .str(quantized.layers[pool].layer.name)))
                cost.outputBytes = 0
            }
            cost.method = q.mask == nil && layer.layer.weightsBeforeCompaction == nil && decomposition == nil ? "none" : name
            cost.structure =
                decomposition.map { edpShortStructure($0) } ?? q.mask.map {
                    $0.rowBlocks != nil ? "1/s, s in " + Set($0.rowBlocks!).sorted().map(String.init).joined(separator: ",") + (loweredDense ? " as dense" : "")
                    : !loweredDense ? "\($0.k)/\($0.n)" : data.estimate == nil ? "\($0.k)/\($0.n) (all kept)" : "\($0.k)/\($0.n) as dense"
                }
                ?? layer.layer.channelsBeforeCompaction.map { "\(q.rows)/\($0) filters" } ?? "dense"
            cost.sparsity = sparsity
            cost.pqIndex = pqIndex(keptValues)
            cost.macs = macs
            cost.weightBytes = weightBytes
            cost.indexBytes = indexBytes
            cost.otherBytes = otherBytes
            totals.weights += sourceTotal
            totals.kept += kept
            totals.macs += macs
            totals.denseMacs += sourceTotal * positions
            totals.weightBytes += weightBytes
            totals.indexBytes += indexBytes
            totals.otherBytes += otherBytes
        }
        if let conv = fusedPools[index] {
            // Its windows are taken inside the conv2d before it, which writes this layer's output.
            entry.append(("fusedInto", .str(quantized.layers[conv].layer.name)))
        }
        layers.append(.obj(entry))
        costs.append(cost)
    }
    let prune: JSONValue
    switch resolved.prune {
    case .none: prune = .obj([("method", .str("none"))])
    case .kOfN(let k, let n):
        prune = .obj([
            ("method", .str("kofn")), ("k", .int(k)), ("n", .int(n)),
            ("granularity", .str(granularityDescription(resolved))),
        ] + (resolved.rowsPerSet > 1 ? [("rowsPerIndexSet", .int(resolved.rowsPerSet))] : []) + recipeMember(options))
    case .darb(let sparsity):
        prune = .obj([
            ("method", .str("darb")), ("sparsity", .num(sparsity)),
            ("masks", .str("block-max: one weight per block of s per row; s per row from the row's density under unstructured magnitude pruning of the layer at the target sparsity (the layer's own where the recipe gives one), a power of two dividing the fan-in (a conv2d's rows are its output channels)")),
        ] + recipeMember(options) + (darbLayerSparsity.isEmpty ? [] : [
            ("layerSparsity", .obj(darbLayerSparsity.map { ($0.layer, .num($0.sparsity)) })),
        ]))
    case .edp(let options):
        prune = edpReport(options, summary: edp, layers: quantized.layers.map(\.layer))
    case .sap(let sapOptions, let n):
        var members: [(String, JSONValue)] = [
            ("method", .str("sap")), ("n", .int(n)), ("p", .num(sapOptions.p)), ("q", .num(sapOptions.q)),
            ("eta", .num(sapOptions.eta)), ("gamma", .num(sapOptions.gamma)), ("beta", .num(sapOptions.beta)),
            ("scope", .str(sapOptions.scope.rawValue)),
            ("lowering", .str("SAP chose each layer's k (ceil(n x the fraction it kept)); magnitude chose which k of every n, so the C has static k-of-n tables")),
        ] + recipeMember(options)
        if let sap {
            members.append((
                "form",
                .str(sap.dataDriven
                    ? "Algorithm 1: rewind to the given model's weights (not a random init) under the mask, retrain --epochs, prune; then k-of-n and fine-tuning"
                    : "data-free: the rule applied to the fixed weights until it prunes nothing")))
            members.append(("pruneSteps", .int(sap.pruneSteps)))
            members.append((
                "layers",
                .arr(sap.layerNames.indices.map {
                    .obj([("layer", .str(sap.layerNames[$0])), ("keptFraction", rounded(sap.layerKeptFraction[$0])), ("k", .int(sap.layerK[$0]))])
                })))
            members.append((
                "trajectory",
                .arr(sap.trajectory.map {
                    .obj([("iteration", .int($0.iteration)), ("keptFraction", rounded($0.keptFraction)), ("pqIndex", rounded($0.globalPQIndex))])
                })))
        }
        prune = .obj(members)
    case .dpp(let k, let n):
        prune = .obj([
            ("method", .str("dpp")), ("k", .int(k)), ("n", .int(n)),
            ("granularity", .str(granularityDescription(resolved))),
        ] + (resolved.rowsPerSet > 1 ? [("rowsPerIndexSet", .int(resolved.rowsPerSet))] : []) + recipeMember(options) + [
            ("masks", .str("learned by Gumbel top-k with a sequential-softmax relaxation, frozen to the top-k of the logits"
                + (resolved.rowsPerSet > 1 ? "; one row of logits per set of \(resolved.rowsPerSet) rows (the mask gradient summed over the set's rows)" : ""))),
            (
                "maskMetrics",
                .arr((training?.maskMetrics ?? []).map {
                    .obj([("layer", .str($0.layer)), ("confidence", rounded($0.confidence)), ("diversity", rounded($0.diversity))])
                })
            ),
        ])
    }
    let flash = totals.weightBytes + totals.indexBytes + totals.otherBytes
    let report: JSONValue = .obj([
        ("generator", .str("sprig gen")),
        ("model", .str(program.name)), ("source", .str(sourceFile)), ("target", .str(program.target.name)),
        ("pruning", prune),
        (
            "quantization",
            .obj([
                ("weightBits", .int(quantized.options.weightBits)),
                ("activationBits", .int(quantized.options.activationBits)),
                ("weightScaling", .str(quantized.options.weightScaling == .perChannel ? "per output channel" : "per layer")),
                ("scales", .str("powers of two")),
                ("accumulator", .str("int32; int64 where the worst-case bound exceeds int32")),
                ("rounding", .str("round half up: add 2^(shift-1), then floor (arithmetic shift)")),
                ("saturation", .str("clamp to the output type and the fused activation (relu: >= 0, relu6: <= 6.0)")),
                ("inputRounding", .str("float wrapper: round to nearest, ties away from zero, then saturate")),
                ("calibration", .str(quantized.calibrationSource)),
                ("inputFormat", .str(quantized.input.description)), ("outputFormat", .str(quantized.output.description)),
            ])
        ),
        ("seed", .int(Int(resolved.seed))),
        ("fineTuning", training.map(trainingJSON) ?? .null),
        ("metadata", quantized.graph.metadata ?? .null),
        ("layers", .arr(layers)),
        (
            "totals",
            .obj([
                ("weights", .int(totals.weights)), ("keptWeights", .int(totals.kept)),
                ("sparsity", rounded(Double(totals.weights - totals.kept) / Double(max(totals.weights, 1)))),
                ("macs", .int(totals.macs)), ("denseMacs", .int(totals.denseMacs)),
                ("weightBytes", .int(totals.weightBytes)), ("indexBytes", .int(totals.indexBytes)),
                ("biasAndShiftBytes", .int(totals.otherBytes)), ("flashTableBytes", .int(flash)),
                ("arenaBytes", .int(program.activationBytes)),
            ])
        ),
    ])
    return ModelReport(json: JSONWriter.write(report), layers: costs, arenaBytes: program.activationBytes)
}

/// Where the output format can clip: on the calibration data, and in the worst case over every
/// input the layer can receive (from the accumulator ranges).
private func saturationReport(_ q: QuantizedWeights, layer: QuantizedLayer) -> JSONValue {
    let format = layer.output
    let calibrated =
        layer.calibratedMaxAbs > format.maxReal
        ? "calibrated values up to \(layer.calibratedMaxAbs) exceed the format's \(format.maxReal): they saturate"
        : "none within the calibrated range"
    let worst = q.saturation(outputBits: format.bits)
    let worstText: String
    if worst.rows.isEmpty {
        worstText = "impossible: every reachable accumulator fits the output after the activation"
    } else {
        let low = worst.worstLow * FixedPoint.pow2(-format.frac)
        let high = worst.worstHigh * FixedPoint.pow2(-format.frac)
        let type = FixedPoint.range(bits: format.bits)
        let minReal = FixedPoint.dequantize(type.lowerBound, fracBits: format.frac)
        worstText =
            "possible on \(worst.rows.count) of \(q.rows) outputs: worst-case values span [\(low), \(high)] against the \(format.description) range [\(minReal), \(format.maxReal)]"
    }
    return .obj([
        ("calibrated", .str(calibrated)), ("worstCase", .str(worstText)), ("worstCaseOutputs", .ints(worst.rows)),
    ])
}

private func trainingJSON(_ training: TrainingSummary) -> JSONValue {
    func percent(_ value: Double?) -> JSONValue { value.map { rounded($0 * 100) } ?? .null }
    return .obj([
        ("epochs", .int(training.options.epochs)), ("optimizer", .str(training.options.optimizer.rawValue)),
        ("learningRate", .num(training.options.learningRate)), ("schedule", .str("cosine decay to 0")),
        ("batchSize", .int(training.options.batchSize)), ("weightDecay", .num(training.options.weightDecay)),
        ("augmentation", training.options.augmentation.map(augmentationJSON) ?? .null),
        ("blas", .str(training.options.matrixMultiply.implementation.rawValue)),
        ("distillation", training.options.distillation.map(distillationJSON) ?? .null),
        ("masks", .str(training.masks)),
        ("finalLoss", training.history.last.map { rounded($0.loss) } ?? .null),
        ("floatTrainAccuracyBefore", percent(training.floatTrainBefore)),
        ("floatTestAccuracyBefore", percent(training.floatTestBefore)),
        ("floatTrainAccuracy", percent(training.floatTrain)), ("floatTestAccuracy", percent(training.floatTest)),
        ("fixedPointTrainAccuracy", percent(training.fixedPointTrain)),
        ("fixedPointTestAccuracy", percent(training.fixedPointTest)),
    ])
}

/// `"recipe"` naming the --recipe file when one was given (each layer's own k/n is in its entry; DARB's
/// per-layer sparsities are in the method's `layerSparsity`).
private func recipeMember(_ options: GenerateOptions) -> [(String, JSONValue)] {
    guard let path = options.recipePath else { return [] }
    return [("recipe", .str(String(path.split(separator: "/").last ?? Substring(path))))]
}

/// `--distill` as used: the teacher, the soft term's weight and the temperature.
private func distillationJSON(_ distillation: Distillation) -> JSONValue {
    .obj([
        ("teacher", .str("the model as read (float, unpruned)")), ("weight", .num(distillation.settings.weight)),
        ("temperature", .num(distillation.settings.temperature)),
        ("loss", .str("(1 - weight) * cross-entropy(labels) + weight * temperature^2 * KL(teacher || student), softmaxes at the temperature (Hinton et al. 2015)")),
    ])
}

/// `--augment` as used: the warp's ranges, the noise and the image geometry.
private func augmentationJSON(_ augmentation: Augmentation) -> JSONValue {
    .obj([
        ("rotateDegrees", .num(augmentation.rotationDegrees)), ("scale", .num(augmentation.scale)),
        ("shear", .num(augmentation.shear)), ("shiftPixels", .num(augmentation.shift)),
        ("noiseStd", .num(augmentation.noise)),
        ("image", .ints([augmentation.channels, augmentation.height, augmentation.width])),
    ])
}

/// Dense against sparse for one pruned layer: the choice, why, and the estimates behind it.
private func loweringReport(_ estimate: LayerCostEstimate) -> JSONValue {
    func instructions(_ value: Double?) -> JSONValue { value.map { .int(Int($0.rounded())) } ?? .null }
    return .obj([
        ("form", .str(estimate.chosen.rawValue)), ("reason", .str(estimate.reason)),
        ("estimatedInstructions", .obj([("dense", instructions(estimate.denseInstructions)), ("sparse", instructions(estimate.sparseInstructions))])),
        ("tableBytes", .obj([("dense", .int(estimate.denseBytes)), ("sparse", .int(estimate.sparseBytes))])),
    ])
}

/// The report's words for `--granularity`.
private func granularityDescription(_ resolved: ResolvedOptions) -> String {
    resolved.filterGranularity
        ? "filter (output channels of every layer but the last, compacted)"
        : resolved.kernelGranularity ? "kernel (conv2d), weight (dense)" : "weight"
}

/// The JSON report's words for an EDP layer.
private func edpStructure(_ decomposition: LayerDecomposition, layer: Layer) -> String {
    let isConv: Bool
    switch layer.op {
    case .conv2d: isConv = true
    case .dense, .maxPool2d, .avgPool2d, .flatten, .activation, .softmax: isConv = false
    }
    let rank = "rank \(decomposition.rank) of \(decomposition.fullRank)"
    switch decomposition.role {
    case .basis:
        return "EDP basis of \(decomposition.source) (\(rank)): \(layer.inputShape.first ?? 0) -> \(decomposition.rank) channels\(isConv ? " with the source's kernel" : ""), dense, no index tables"
    case .coefficients:
        return "EDP coefficients of \(decomposition.source) (\(rank)): \(decomposition.rank) -> \(layer.outputShape.first ?? 0) channels\(isConv ? " (1x1 conv)" : ""), dense, no index tables"
    case .merged:
        return "EDP: \(decomposition.source) merged back from its factors (\(rank); the factors would not be smaller), dense"
    }
}

/// The terminal table's short structure of an EDP layer.
private func edpShortStructure(_ decomposition: LayerDecomposition) -> String {
    switch decomposition.role {
    case .basis: return "basis r=\(decomposition.rank)/\(decomposition.fullRank)"
    case .coefficients: return "coeff r=\(decomposition.rank)"
    case .merged: return "merged r=\(decomposition.rank)"
    }
}

/// The `pruning` object of an EDP run: the rule, and per source layer the rank the SVD chose and the
/// form it ended in.
private func edpReport(_ options: EDPOptions, summary: EDPSummary?, layers: [Layer]) -> JSONValue {
    let rule: [(String, JSONValue)]
    switch options.rankRule {
    case .energy(let energy): rule = [("rankRule", .str("energy")), ("energy", .num(energy))]
    case .rank(let rank): rule = [("rankRule", .str("rank")), ("rank", .int(rank))]
    case .sparsity(let sparsity): rule = [("rankRule", .str("weight budget")), ("sparsity", .num(sparsity))]
    }
    var members: [(String, JSONValue)] = [("method", .str("edp"))] + rule
    members.append(("threshold", .num(options.threshold)))
    guard let summary else { return .obj(members) }
    if summary.dataDriven {
        members += [("columnLasso", .num(options.columnLasso)), ("rowLasso", .num(options.rowLasso))]
    }
    members.append((
        "form",
        .str(summary.budgetCut != nil
            ? "factors from the full-rank SVD, then --epochs of training with group-lasso proximal steps on the coefficient columns and rows in 5 rounds, each ending in a cut a geometric step nearer the weight budget (the rank components and channels that hold up the least training loss per weight saved) and the pruning of what was cut; merging of pairs that are not smaller after the last round, and --epochs of fine-tuning"
            : summary.dataDriven
            ? "truncated SVD (C = U_r S_r^1/2, B = S_r^1/2 V_r^T), then --epochs of training with group-lasso proximal steps on the coefficient columns and rows, pruning of zeroed channels, merging of pairs that are not smaller, and --epochs of fine-tuning"
            : "data-free: truncated SVD (C = U_r S_r^1/2, B = S_r^1/2 V_r^T); a layer whose factors would not be smaller stays whole")))
    members += [
        ("weightsAsRead", .int(summary.layers.reduce(0) { $0 + $1.weights })),
        ("weightsOfLiveChannels", .int(summary.denseWeights)), ("weightsAfterSVD", .int(summary.plannedWeights)),
    ]
    if let cut = summary.budgetCut {
        members.append((
            "budgetCut",
            .obj([
                ("budget", .int(cut.budget)), ("weightsBefore", .int(cut.weightsBefore)), ("weightsAfter", .int(cut.weightsAfter)),
                ("rankComponentsRemoved", .int(cut.rankComponents)), ("channelsRemoved", .int(cut.channels)), ("met", .bool(cut.met)),
            ])))
    }
    members.append((
        "layers",
        .arr(summary.layers.map { planned in
            let final = layers.first { $0.decomposition?.source == planned.name && $0.decomposition?.role != .coefficients }
            let form: String
            switch final?.decomposition?.role {
            case .basis: form = "factored"
            case .merged: form = "merged"
            case .coefficients, nil: form = "whole"
            }
            return .obj([
                ("layer", .str(planned.name)), ("fullRank", .int(planned.fullRank)),
                ("svdRank", planned.svdRank.map { .int($0) } ?? .null), ("energyKept", rounded(planned.energyKept)),
                ("form", .str(form)), ("rank", final?.decomposition.map { .int($0.rank) } ?? .null),
            ])
        })))
    return .obj(members)
}

/// The report's structure text of a vector-wise k-of-n layer.
private func sharedStructure(_ shared: SharedKofNLayout, conv: Bool) -> String {
    let bits = shared.storedIndices.elementType.byteCount * 8
    let gathered = !conv ? "gathered once per set"
        : shared.windowOffsets == nil ? "gathered from the im2col column once per set and output pixel"
        : "gathered from the input (offsets from the pixel's window) once per set and output pixel"
    return "vector-wise k-of-n: each set of \(shared.setSizeText) rows shares one list of kept inputs (\(bits)-bit positions), \(gathered); the set's rows run dense over them"
}

private extension StepKind {
    var isConv: Bool {
        switch self {
        case .conv2d: return true
        case .dense, .maxPool2d, .avgPool2d, .clamp: return false
        }
    }
}
