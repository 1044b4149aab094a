// GenLearn/DPP.swift - Dynamic Probabilistic Pruning (Gonzalez-Carabarin et al., TNNLS 2022) at weight level.
//
// shared/research/algorithms.md §2: per group of n fan-in positions, trainable logits φ; each
// mini-batch draws a hard k-of-n mask by Gumbel top-k, ψ = φ + σ·g; the backward pass uses the
// sequential-softmax relaxation s_l = softmax((φ masked by earlier picks + σ·g) / τ), ã = Σ_l s_l,
// with a straight-through estimator (the forward value is the hard mask, the gradient that of ã).
// τ anneals linearly from 5 to 0.5; an entropy term λ·Σ H(softmax(φ)) sharpens the distributions.
// After DPP training the mask is frozen to the top-k of φ and the weights are fine-tuned.
//
// Choices of ours (marked [R] in the notes where the paper's body was not available):
// - φ starts from log|w| of the pre-trained weights (the paper trains from random φ ~ N(0, 0.5²));
//   with a trained model this starts the search at the magnitude mask instead of at random.
// - φ has its own Adam learning rate (`logitLearningRate`).

import Foundation
import GenModel
import GenSupport

/// What one logit chooses.
package enum DPPGranularity: Sendable {
    /// One weight: k of every n weights of each output's fan-in.
    case weight
    /// One input-channel kernel of a conv2d (logits per (output channel, input channel), the mask
    /// broadcast over kh×kw); dense layers stay per weight.
    case kernel
    /// One output channel with its bias (logits per filter), for every dense/conv2d but the last;
    /// the frozen result is compacted like `pruneFilters`.
    case filter
}

package struct DPPOptions: Sendable {
    package var k: Int
    /// Group length (0 = whole fan-in).
    package var n: Int
    /// Epochs of joint training of weights and logits.
    package var epochs: Int
    /// Epochs of fine-tuning with the frozen mask afterwards.
    package var fineTuneEpochs: Int
    /// σ_g, the Gumbel noise scale (the official code: 0.1 for dense layers, 0.01 for conv kernels).
    package var noiseScale = 0.1
    /// λ of the entropy regulariser.
    package var entropyWeight = 5e-5
    package var initialTemperature = 5.0
    package var finalTemperature = 0.5
    package var logitLearningRate = 1e-2
    package var granularity = DPPGranularity.weight
    /// Vector-wise masks (`--kofn-rows`, weight granularity): every `rowsPerSet` consecutive rows share
    /// one set of logits, so they keep the same positions; 1: each row learns its own.
    package var rowsPerSet = 1
    /// A recipe's exceptions by layer index in the graph: another k and n, or no mask at all.
    package var perLayer: [Int: LayerKofN] = [:]
    package var training: TrainingOptions

    package init(k: Int, n: Int, epochs: Int, fineTuneEpochs: Int, seed: UInt64) {
        self.k = k
        self.n = n
        self.epochs = epochs
        self.fineTuneEpochs = fineTuneEpochs
        training = TrainingOptions(epochs: epochs, seed: seed)
    }
}

/// Per-layer mask statistics (§2.8): confidence C (1: every group's mass on k positions, 0:
/// uniform) and diversity D (0: every row picks the same positions, 1: rows pick differently).
package struct MaskMetrics: Sendable {
    package var layer: String
    package var confidence: Double
    package var diversity: Double
}

/// The result of DPP: the graph with frozen k-of-n masks and fine-tuned weights.
package struct DPPResult: Sendable {
    package var graph: Graph
    package var metrics: [MaskMetrics]
    package var history: [EpochStatistics]
}

/// Trains logits and weights jointly, freezes the masks, then fine-tunes.
package func trainDPP(
    _ graph: Graph, on data: Dataset, options: DPPOptions, onEpoch: (EpochStatistics) -> Void = { _ in }
) -> DPPResult {
    guard let labels = data.labels, !data.inputs.isEmpty else { return DPPResult(graph: graph, metrics: [], history: []) }
    var network = Network(graph, matrixMultiply: options.training.matrixMultiply)
    let teacher = options.training.distillation.map { Teacher($0, matrixMultiply: options.training.matrixMultiply) }
    let classes = graph.outputSize
    // Per parameter set: selectable units per row (weights, kernels or filters) and weights per
    // unit; a filter unit is a whole row (with its bias), so a layer is one "row" of filters.
    let prunable = Set(prunableFilterLayers(graph))
    let shapes: [(units: Int, size: Int)] = network.layers.compactMap { layer -> (units: Int, size: Int)? in
        switch layer {
        case .dense(let inputs, let outputs, _, _):
            return options.granularity == .filter ? (outputs, inputs) : (inputs, 1)
        case .conv2d(let conv, _, _, _):
            switch options.granularity {
            case .weight: return (conv.fanIn, 1)
            case .kernel: return (conv.inChannels, conv.kernel.h * conv.kernel.w)
            case .filter: return (conv.outChannels, conv.fanIn)
            }
        case .maxPool2d, .avgPool2d, .activation, .identity: return nil
        }
    }
    // At filter granularity the last layer's outputs are the model's: it is not pruned.
    let learned = network.parameterLayers.map {
        (options.granularity != .filter || prunable.contains($0)) && options.perLayer[$0] != .unpruned
    }
    let groupSizes = network.parameterLayers.map { layer -> (k: Int, n: Int) in
        if case .kOfN(let k, let n)? = options.perLayer[layer] { return (k, n) }
        return (options.k, options.n)
    }
    let fanIns = shapes.map(\.units)
    let filters = options.granularity == .filter
    var fullBias = network.parameters.map(\.bias)
    // Full weights live here; the network sees W ⊙ a for the mask a drawn for each batch.
    var full = network.parameters.map(\.weights)
    // Vector-wise: the rows of a set share one row of logits (a set's units are its positions).
    let rowsPerSet = options.granularity == .weight ? max(options.rowsPerSet, 1) : 1
    let rowCounts = full.indices.map { full[$0].count / max(fanIns[$0] * shapes[$0].size, 1) }
    // A set larger than a layer is the whole layer (as magnitude k-of-n caps it).
    let setRows = rowCounts.map { min(rowsPerSet, max($0, 1)) }
    // Logits per unit, from the log of the unit's L1 norm (vector-wise: summed over the set's rows).
    var logits = full.indices.map { p in
        let perUnit = stride(from: 0, to: full[p].count, by: shapes[p].size).map { start in
            full[p][start..<(start + shapes[p].size)].reduce(0) { $0 + abs($1) }
        }
        return sharedBySets(perUnit, rows: rowCounts[p], units: fanIns[p], rowsPerSet: setRows[p]).map { log($0 + 1e-8) }
    }
    func expand(_ unitMask: [Bool], _ p: Int) -> [Bool] {
        let rowMask = setRows[p] == 1 ? unitMask : (0..<rowCounts[p]).flatMap { row in
            unitMask[(row / setRows[p] * fanIns[p])..<((row / setRows[p] + 1) * fanIns[p])]
        }
        return shapes[p].size == 1 ? rowMask : rowMask.flatMap { Array(repeating: $0, count: shapes[p].size) }
    }
    var logitFirst = logits.map { [Double](repeating: 0, count: $0.count) }
    var logitSecond = logitFirst
    var state = OptimizerState(network.parameters)
    var generator = SeededGenerator(seed: options.training.seed)
    var order = Array(data.inputs.indices)
    let batchSize = options.training.batchSize
    let stepsPerEpoch = (order.count + batchSize - 1) / batchSize
    let totalSteps = max(stepsPerEpoch * options.epochs, 1)
    var history: [EpochStatistics] = []
    var step = 0
    var logitSteps = 0
    for epoch in 1...max(options.epochs, 1) where options.epochs > 0 {
        let progress = options.epochs > 1 ? Double(epoch - 1) / Double(options.epochs - 1) : 1
        let temperature = options.initialTemperature + (options.finalTemperature - options.initialTemperature) * progress
        shuffle(&order, generator: &generator)
        var lossSum = 0.0
        var correct = 0
        var start = 0
        while start < order.count {
            let indices = Array(order[start..<min(start + batchSize, order.count)])
            // One mask per mini-batch for every layer.
            var samples: [MaskSample] = []
            var expanded: [[Bool]] = []
            for p in network.parameters.indices {
                network.parameters[p].kept = nil  // the backward pass must return dL/dW_eff everywhere
                guard learned[p] else {
                    samples.append(MaskSample(hard: [], slots: []))
                    expanded.append(Array(repeating: true, count: full[p].count))
                    continue
                }
                let sample = sampleMask(
                    logits[p], fanIn: fanIns[p], k: groupSizes[p].k, n: groupSizes[p].n, noise: options.noiseScale,
                    temperature: temperature, generator: &generator)
                let hard = expand(sample.hard, p)
                network.parameters[p].weights = zip(full[p], hard).map { $1 ? $0 : 0 }
                if filters { network.parameters[p].bias = zip(fullBias[p], sample.hard).map { $1 ? $0 : 0 } }
                samples.append(sample)
                expanded.append(hard)
            }
            let result = lossAndGradients(
                network, data: data, labels: labels, indices: indices, classes: classes,
                augmentation: options.training.augmentation, teacher: teacher, generator: &generator)
            lossSum += result.lossSum
            correct += result.correct
            var gradients = result.gradients
            let rate = cosineRate(options.training.learningRate, step: step, total: totalSteps)
            logitSteps += 1
            for p in network.parameters.indices where learned[p] {
                let sample = samples[p]
                // Straight-through: dL/da = Σ over the unit's weights of dL/dW_eff ⊙ W (plus the bias
                // term for a filter); weights learn only where selected.
                let perWeight = zip(gradients.weights[p], full[p]).map { $0 * $1 }
                let size = shapes[p].size
                var maskGradient = size == 1 ? perWeight : stride(from: 0, to: perWeight.count, by: size).map {
                    perWeight[$0..<($0 + size)].reduce(0, +)
                }
                maskGradient = sharedBySets(maskGradient, rows: rowCounts[p], units: fanIns[p], rowsPerSet: setRows[p])
                if filters {
                    for unit in maskGradient.indices { maskGradient[unit] += gradients.bias[p][unit] * fullBias[p][unit] }
                    gradients.bias[p] = zip(gradients.bias[p], sample.hard).map { $1 ? $0 : 0 }
                }
                gradients.weights[p] = zip(gradients.weights[p], expanded[p]).map { $1 ? $0 : 0 }
                var logitGradient = sample.logitGradient(maskGradient, temperature: temperature)
                addEntropyGradient(logits[p], fanIn: fanIns[p], n: groupSizes[p].n, weight: options.entropyWeight, into: &logitGradient)
                adam(&logits[p], logitGradient, &logitFirst[p], &logitSecond[p], rate: options.logitLearningRate, step: logitSteps)
                network.parameters[p].weights = full[p]
                network.parameters[p].bias = fullBias[p]
            }
            state.apply(gradients, to: &network.parameters, rate: rate, options: options.training)
            // Unselected weights got no gradient but Adam's moments may still move them: keep them
            // where they were unless selected this batch.
            for p in network.parameters.indices {
                full[p] = zip(zip(network.parameters[p].weights, full[p]), expanded[p]).map { $1 ? $0.0 : $0.1 }
                fullBias[p] =
                    filters && learned[p]
                    ? zip(zip(network.parameters[p].bias, fullBias[p]), samples[p].hard).map { $1 ? $0.0 : $0.1 }
                    : network.parameters[p].bias
            }
            step += 1
            start += batchSize
        }
        let statistics = EpochStatistics(
            epoch: epoch, loss: lossSum / Double(order.count), trainAccuracy: Double(correct) / Double(order.count))
        history.append(statistics)
        onEpoch(statistics)
    }
    // Freeze: top-k of the logits, no noise.
    var frozen = graph
    var metrics: [MaskMetrics] = []
    var keptFiltersByLayer: [Int: [Int]] = [:]
    for (p, layerIndex) in network.parameterLayers.enumerated() {
        let bias = fullBias[p]
        guard learned[p] else {
            frozen = replacing(frozen, layerIndex, weights: full[p], bias: bias, mask: nil)
            continue
        }
        let (k, n) = groupSizes[p]
        let unitsKept = topKMask(logits[p], fanIn: fanIns[p], k: k, n: n)
        metrics.append(
            maskMetrics(logits[p], kept: unitsKept, fanIn: fanIns[p], k: k, n: n,
                layer: frozen.layers[layerIndex].name))
        if filters {
            frozen = replacing(frozen, layerIndex, weights: full[p], bias: bias, mask: nil)
            keptFiltersByLayer[layerIndex] = unitsKept.indices.filter { unitsKept[$0] }
            continue
        }
        let kept = expand(unitsKept, p)
        let mask = KeepMask(
            k: k, n: n == 0 ? fanIns[p] : n, kept: kept, unit: shapes[p].size, rowsPerSet: setRows[p])
        frozen = replacing(frozen, layerIndex, weights: zip(full[p], kept).map { $1 ? $0 : 0 }, bias: bias, mask: mask)
    }
    if filters { frozen = compactFilters(frozen, kept: keptFiltersByLayer) }
    var fineTune = options.training
    fineTune.epochs = options.fineTuneEpochs
    let tuned = train(frozen, on: data, options: fineTune) { statistics in
        var shifted = statistics
        shifted.epoch += options.epochs
        onEpoch(shifted)
    }
    return DPPResult(graph: tuned.graph, metrics: metrics, history: history + tuned.history)
}

/// The graph with one dense/conv2d layer's parameters and mask replaced.
/// Per-row values (`rows × units`, row-major) summed over each set of `rowsPerSet` consecutive rows
/// (`sets × units`; the last set may be shorter); unchanged when every row is its own set.
func sharedBySets(_ values: [Double], rows: Int, units: Int, rowsPerSet: Int) -> [Double] {
    guard rowsPerSet > 1 else { return values }
    let sets = (rows + rowsPerSet - 1) / rowsPerSet
    var shared = [Double](repeating: 0, count: sets * units)
    for row in 0..<rows {
        let base = row / rowsPerSet * units
        for unit in 0..<units { shared[base + unit] += values[row * units + unit] }
    }
    return shared
}

private func replacing(_ graph: Graph, _ index: Int, weights: [Double], bias: [Double], mask: KeepMask?) -> Graph {
    var result = graph
    switch result.layers[index].op {
    case .dense(var dense):
        dense.weights = weights
        dense.bias = bias
        dense.mask = mask
        result.layers[index].op = .dense(dense)
    case .conv2d(var conv):
        conv.weights = weights
        conv.bias = bias
        conv.mask = mask
        result.layers[index].op = .conv2d(conv)
    case .maxPool2d, .avgPool2d, .flatten, .activation, .softmax:
        break
    }
    return result
}

/// The groups of one row's fan-in: consecutive ranges of n (the last may be shorter).
func groups(fanIn: Int, n: Int) -> [Range<Int>] {
    let size = n == 0 ? fanIn : n
    return stride(from: 0, to: fanIn, by: size).map { $0..<min($0 + size, fanIn) }
}

/// One drawn mask with what its relaxation needs for the backward pass.
struct MaskSample {
    var hard: [Bool]
    /// Per group (row-major over rows and groups): its range in the weight array and the softmax
    /// vector of each drawn slot, over the group's positions.
    var slots: [(range: Range<Int>, softmaxes: [[Double]])]

    /// dL/dφ through ã = Σ_l s_l with s_l = softmax(z_l / τ): ∂s_j/∂φ_i = s_j (δ_ij − s_i) / τ
    /// (excluded positions have s = 0 and receive nothing from that slot).
    func logitGradient(_ maskGradient: [Double], temperature: Double) -> [Double] {
        var gradient = [Double](repeating: 0, count: hard.count)
        for (range, softmaxes) in slots {
            let u = Array(maskGradient[range])
            for s in softmaxes {
                let mean = zip(s, u).reduce(0) { $0 + $1.0 * $1.1 }
                for (offset, position) in range.enumerated() {
                    gradient[position] += s[offset] * (u[offset] - mean) / temperature
                }
            }
        }
        return gradient
    }
}

/// Gumbel top-k per group and the sequential softmax relaxation of the draw.
func sampleMask(
    _ logits: [Double], fanIn: Int, k: Int, n: Int, noise: Double, temperature: Double,
    generator: inout SeededGenerator
) -> MaskSample {
    var hard = [Bool](repeating: false, count: logits.count)
    var slots: [(range: Range<Int>, softmaxes: [[Double]])] = []
    let rows = logits.count / fanIn
    for row in 0..<rows {
        for group in groups(fanIn: fanIn, n: n) {
            let range = (row * fanIn + group.lowerBound)..<(row * fanIn + group.upperBound)
            let perturbed = range.map { index -> Double in
                let u = max(generator.nextUnit(), 1e-12)
                return logits[index] + noise * -log(-log(u))
            }
            let picks = Array(perturbed.indices.sorted { perturbed[$0] != perturbed[$1] ? perturbed[$0] > perturbed[$1] : $0 < $1 }
                .prefix(min(k, range.count)))
            var excluded = [Bool](repeating: false, count: range.count)
            var softmaxes: [[Double]] = []
            for pick in picks {
                let scaled = perturbed.indices.map { excluded[$0] ? -Double.infinity : perturbed[$0] / temperature }
                let peak = scaled.max() ?? 0
                let exps = scaled.map { $0 == -Double.infinity ? 0 : exp($0 - peak) }
                let total = exps.reduce(0, +)
                softmaxes.append(exps.map { $0 / total })
                excluded[pick] = true
                hard[range.lowerBound + pick] = true
            }
            slots.append((range, softmaxes))
        }
    }
    return MaskSample(hard: hard, slots: slots)
}

/// The frozen mask: top-k of the logits in every group, ties to the lower index.
func topKMask(_ logits: [Double], fanIn: Int, k: Int, n: Int) -> [Bool] {
    var kept = [Bool](repeating: false, count: logits.count)
    for row in 0..<(logits.count / fanIn) {
        for group in groups(fanIn: fanIn, n: n) {
            let positions = group.map { row * fanIn + $0 }
            let sorted = positions.sorted { logits[$0] != logits[$1] ? logits[$0] > logits[$1] : $0 < $1 }
            for position in sorted.prefix(min(k, positions.count)) { kept[position] = true }
        }
    }
    return kept
}

/// Adds λ·∂H/∂φ for H = −Σ p log p, p = softmax(φ) per group: ∂H/∂φ_i = −p_i (log p_i + H).
func addEntropyGradient(_ logits: [Double], fanIn: Int, n: Int, weight: Double, into gradient: inout [Double]) {
    guard weight > 0 else { return }
    for row in 0..<(logits.count / fanIn) {
        for group in groups(fanIn: fanIn, n: n) {
            let positions = group.map { row * fanIn + $0 }
            let p = softmax(positions.map { logits[$0] })
            let entropy = -p.reduce(0) { $0 + ($1 > 0 ? $1 * log($1) : 0) }
            for (offset, position) in positions.enumerated() where p[offset] > 0 {
                gradient[position] += weight * -p[offset] * (log(p[offset]) + entropy)
            }
        }
    }
}

func softmax(_ values: [Double]) -> [Double] {
    let peak = values.max() ?? 0
    let exps = values.map { exp($0 - peak) }
    let total = exps.reduce(0, +)
    return exps.map { $0 / total }
}

/// One Adam step on `values`.
func adam(_ values: inout [Double], _ gradient: [Double], _ m: inout [Double], _ v: inout [Double], rate: Double, step: Int) {
    let (beta1, beta2, epsilon) = (0.9, 0.999, 1e-8)
    let correction1 = 1 - pow(beta1, Double(step))
    let correction2 = 1 - pow(beta2, Double(step))
    for i in values.indices {
        m[i] = beta1 * m[i] + (1 - beta1) * gradient[i]
        v[i] = beta2 * v[i] + (1 - beta2) * gradient[i] * gradient[i]
        values[i] -= rate * (m[i] / correction1) / ((v[i] / correction2).squareRoot() + epsilon)
    }
}

/// Confidence and diversity of a layer's mask (§2.8, our normalisation for k-of-n groups):
/// C = 1 − (H̄ − log k)/(log r − log k) over groups' softmax(φ); D = (H(p̄) − log k)/(log r − log k)
/// with p̄ the frequency with which each group position is kept across rows.
func maskMetrics(_ logits: [Double], kept: [Bool], fanIn: Int, k: Int, n: Int, layer: String) -> MaskMetrics {
    let rows = logits.count / fanIn
    var confidence = 0.0
    var diversity = 0.0
    var counted = 0
    for group in groups(fanIn: fanIn, n: n) where group.count > k {
        let (logK, logR) = (log(Double(k)), log(Double(group.count)))
        var frequency = [Double](repeating: 0, count: group.count)
        var meanEntropy = 0.0
        for row in 0..<rows {
            let positions = group.map { row * fanIn + $0 }
            let p = softmax(positions.map { logits[$0] })
            meanEntropy -= p.reduce(0) { $0 + ($1 > 0 ? $1 * log($1) : 0) }
            for (offset, position) in positions.enumerated() where kept[position] { frequency[offset] += 1 }
        }
        meanEntropy /= Double(rows)
        let total = frequency.reduce(0, +)
        let marginal = frequency.map { $0 / total }
        let marginalEntropy = -marginal.reduce(0) { $0 + ($1 > 0 ? $1 * log($1) : 0) }
        confidence += min(max(1 - (meanEntropy - logK) / (logR - logK), 0), 1)
        diversity += min(max((marginalEntropy - logK) / (logR - logK), 0), 1)
        counted += 1
    }
    guard counted > 0 else { return MaskMetrics(layer: layer, confidence: 1, diversity: 0) }
    return MaskMetrics(layer: layer, confidence: confidence / Double(counted), diversity: diversity / Double(counted))
}
