// GenDriver/runEDP.swift - `--prune edp`: truncated SVD, group lasso with data, then pruning and merging.

import GenCompress
import GenLearn
import GenModel
import GenSupport

/// What EDP planned per layer, for the report (the final ranks are on the graph's layers).
package struct EDPSummary: Sendable {
    package struct Layer: Sendable {
        package var name: String
        package var fullRank: Int
        /// The rank the SVD step chose; nil when factoring would not have made the layer smaller.
        package var svdRank: Int?
        /// Share of the layer's Σσ² in the kept components (1 for a layer left whole).
        package var energyKept: Double
        package var weights: Int
    }

    package var options: EDPOptions
    package var layers: [Layer]
    /// True when the factors were trained with group lasso and fine-tuned (--data).
    package var dataDriven: Bool
    /// Weights the SVD plan holds, against the model's dense/conv2d weights.
    package var plannedWeights: Int
    package var denseWeights: Int
}

struct EDPRun {
    var graph: Graph
    var training: TrainingSummary?
    var summary: EDPSummary
}

/// Output channels whose weights are all (nearly) zero are removed first. Data-free: truncated SVD at the rank rule, then the PM module. With data: the same start, then
/// `epochs` of training with group-lasso proximal steps on the coefficient matrices, the PM module
/// (which removes the channels the lasso zeroed and merges pairs that stopped paying), and
/// `epochs` of fine-tuning of what is left.
func runEDP(
    _ graph: Graph, options: EDPOptions, data: DataFile?, training trainingOptions: TrainingOptions, progress: ProgressReporter?,
    diagnostics: DiagnosticEngine
) -> EDPRun {
    let epochs = trainingOptions.epochs
    // Dead units (rows of zeros) go first, so that the ranks are planned on the live channels.
    let graph = pruneConstantChannels(graph, threshold: options.threshold)
    let plans = planEDP(graph, rule: options.rankRule, onlyWhenSmaller: data == nil || epochs == 0)
    let planned = Set(plans.map(\.layerIndex))
    for (index, layer) in graph.layers.enumerated() where layer.op.weightMatrix != nil && !planned.contains(index) {
        diagnostics.warning("--prune edp: the SVD of layer '\(layer.name)' did not converge in GSL; the layer stays whole", at: layer.origin)
    }
    let summary = EDPSummary(
        options: options,
        layers: plans.map {
            EDPSummary.Layer(
                name: $0.name, fullRank: $0.fullRank, svdRank: $0.rank,
                energyKept: $0.rank.map($0.energy(rank:)) ?? 1, weights: $0.sourceWeights)
        },
        dataDriven: data != nil && epochs > 0, plannedWeights: plans.reduce(0) { $0 + $1.plannedWeights },
        denseWeights: plans.reduce(0) { $0 + $1.denseWeights })
    if case .sparsity(let sparsity) = options.rankRule {
        let asRead = plans.reduce(0) { $0 + $1.sourceWeights }
        if Double(summary.plannedWeights) > (1 - sparsity) * Double(asRead) + 1e-9 {
            diagnostics.warning(
                "--sparsity \(sparsity): EDP cannot reach it; rank 1 in every layer that shrinks keeps \(summary.plannedWeights) of \(asRead) weights (sparsity \(fixed(1 - Double(summary.plannedWeights) / Double(max(asRead, 1)), 3)))")
        }
    }
    let factored = decomposeEDP(graph, plans: plans)
    guard let data, epochs > 0 else {
        return EDPRun(graph: pruneAndMergeEDP(factored, threshold: options.threshold), training: nil, summary: summary)
    }
    // The coefficient matrices and whether their rows may go (not the classes of the last layer).
    let lastWeighted = factored.layers.indices.last { factored.layers[$0].op.weightMatrix != nil }
    var coefficientShapes: [Int: (rows: Int, columns: Int, rowsPrunable: Bool)] = [:]
    for (index, layer) in factored.layers.enumerated() where layer.decomposition?.role == .coefficients {
        guard let matrix = layer.op.weightMatrix else { continue }
        // A 1x1 conv2d's fan-in is its input channels: the coefficient matrix is rows x fanIn either way.
        coefficientShapes[index] = (matrix.rows, matrix.fanIn, index != lastWeighted)
    }
    let shapes = coefficientShapes
    let lassoed = train(
        factored, on: data.train, options: trainingOptions,
        onEpoch: { epoch in
            progress?.update(
                "edp", done: epoch.epoch, total: 2 * epochs,
                detail: "group lasso, loss \(fixed(epoch.loss, 4)), train accuracy \(fixed(epoch.trainAccuracy * 100, 2))%")
        },
        afterStep: { layerIndex, weights, rate, _ in
            guard let shape = shapes[layerIndex] else { return }
            applyGroupLasso(
                &weights, rows: shape.rows, columns: shape.columns, columnStep: rate * options.columnLasso,
                rowStep: shape.rowsPrunable ? rate * options.rowLasso : 0)
        })
    let pruned = pruneAndMergeEDP(lassoed.graph, threshold: options.threshold)
    let tuned = train(pruned, on: data.train, options: trainingOptions) { epoch in
        progress?.update(
            "edp", done: epochs + epoch.epoch, total: 2 * epochs,
            detail: "fine-tune, loss \(fixed(epoch.loss, 4)), train accuracy \(fixed(epoch.trainAccuracy * 100, 2))%")
    }
    var history = lassoed.history
    history += tuned.history.map { EpochStatistics(epoch: epochs + $0.epoch, loss: $0.loss, trainAccuracy: $0.trainAccuracy) }
    var options = trainingOptions
    options.epochs = 2 * epochs
    var training = TrainingSummary(options: options, history: history, data: data, before: factored, after: tuned.graph)
    training.masks = "none (EDP has no masks): group-lasso proximal steps on the coefficients in the first half, plain fine-tuning of the pruned factors in the second"
    return EDPRun(graph: tuned.graph, training: training, summary: summary)
}
