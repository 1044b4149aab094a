// GenDriver/runEDP.swift - `--prune edp`: truncated SVD, group lasso with data, then pruning and merging.

import Foundation
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
    /// `--sparsity` with `--data`: the cut to the weight budget after the group-lasso training.
    package var budgetCut: EDPBudgetCut?
}

/// With a weight budget and data, the group-lasso phase runs in this many rounds (at most one per
/// epoch), each ending in a cut a geometric step nearer the budget: gradual pruning, which keeps more
/// accuracy than one cut at the end (Zhu and Gupta 2017; on the wide digits CNN one cut left 94.4 %).
let budgetRounds = 5

struct EDPRun {
    var graph: Graph
    var training: TrainingSummary?
    var summary: EDPSummary
}

/// Output channels whose weights are all (nearly) zero are removed first. Data-free: truncated SVD at the rank rule, then the PM module. With data: the same start, then
/// `epochs` of training with group-lasso proximal steps on the coefficient matrices, the PM module
/// (which removes the channels the lasso zeroed and merges pairs that stopped paying), and
/// `epochs` of fine-tuning of what is left. With data and a weight budget (`--sparsity`): the factors
/// start at full rank, and the lasso's epochs run in `budgetRounds` rounds, each ending in a cut
/// (`cutEDPToBudget`, by the loss each group holds up) a geometric step nearer the budget, the last
/// one to it; pairs are merged after the last.
func runEDP(
    _ graph: Graph, options: EDPOptions, data: DataFile?, training trainingOptions: TrainingOptions, progress: ProgressReporter?,
    diagnostics: DiagnosticEngine
) -> EDPRun {
    let epochs = trainingOptions.epochs
    // Dead units (rows of zeros) go first, so that the ranks are planned on the live channels.
    let graph = pruneConstantChannels(graph, threshold: options.threshold)
    let dataDriven = data != nil && epochs > 0
    // A weight budget with data: the factors train from full rank (algorithms.md §4.2), and the budget
    // is reached by the cuts between the lasso's rounds; without data the SVD ranks meet it.
    var budget: Int?
    if case .sparsity(let sparsity) = options.rankRule, dataDriven {
        let asRead = graph.layers.reduce(0) { $0 + ($1.op.weightMatrix == nil ? 0 : $1.weightsBeforeCompaction ?? $1.op.weightMatrix!.weights.count) }
        budget = Int(((1 - sparsity) * Double(asRead) + 1e-9).rounded(.down))
    }
    let plans = planEDP(graph, rule: budget == nil ? options.rankRule : .energy(1), onlyWhenSmaller: !dataDriven)
    let planned = Set(plans.map(\.layerIndex))
    for (index, layer) in graph.layers.enumerated() where layer.op.weightMatrix != nil && !planned.contains(index) {
        diagnostics.warning("--prune edp: the SVD of layer '\(layer.name)' did not converge in GSL; the layer stays whole", at: layer.origin)
    }
    var summary = EDPSummary(
        options: options,
        layers: plans.map {
            EDPSummary.Layer(
                name: $0.name, fullRank: $0.fullRank, svdRank: $0.rank,
                energyKept: $0.rank.map($0.energy(rank:)) ?? 1, weights: $0.sourceWeights)
        },
        dataDriven: dataDriven, plannedWeights: plans.reduce(0) { $0 + $1.plannedWeights },
        denseWeights: plans.reduce(0) { $0 + $1.denseWeights })
    if case .sparsity(let sparsity) = options.rankRule, budget == nil {
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
    // With a budget the lasso phase runs in rounds, each ending in a cut towards the budget (below);
    // otherwise in one.
    let rounds = budget == nil ? 1 : min(budgetRounds, epochs)
    var current = factored
    var history: [EpochStatistics] = []
    var trained = 0
    for round in 1...rounds {
        let segment = epochs * round / rounds - trained
        // The coefficient matrices and whether their rows may go (not the classes of the last layer).
        let lastWeighted = current.layers.indices.last { current.layers[$0].op.weightMatrix != nil }
        var coefficientShapes: [Int: (rows: Int, columns: Int, rowsPrunable: Bool)] = [:]
        for (index, layer) in current.layers.enumerated() where layer.decomposition?.role == .coefficients {
            guard let matrix = layer.op.weightMatrix else { continue }
            // A 1x1 conv2d's fan-in is its input channels: the coefficient matrix is rows x fanIn either way.
            coefficientShapes[index] = (matrix.rows, matrix.fanIn, index != lastWeighted)
        }
        let shapes = coefficientShapes
        let offset = trained
        // Each round trains its share of --epochs (a fresh Adam and cosine schedule, like a warm restart),
        // with its own shuffles.
        var roundOptions = trainingOptions
        roundOptions.epochs = segment
        roundOptions.seed = trainingOptions.seed &+ UInt64(round - 1)
        let lassoed = train(
            current, on: data.train, options: roundOptions,
            onEpoch: { epoch in
                progress?.update(
                    "edp", done: offset + epoch.epoch, total: 2 * epochs,
                    detail: "group lasso, loss \(fixed(epoch.loss, 4)), train accuracy \(fixed(epoch.trainAccuracy * 100, 2))%")
            },
            afterStep: { layerIndex, weights, rate, _ in
                guard let shape = shapes[layerIndex] else { return }
                applyGroupLasso(
                    &weights, rows: shape.rows, columns: shape.columns, columnStep: rate * options.columnLasso,
                    rowStep: shape.rowsPrunable ? rate * options.rowLasso : 0)
            })
        history += lassoed.history.map { EpochStatistics(epoch: offset + $0.epoch, loss: $0.loss, trainAccuracy: $0.trainAccuracy) }
        trained += segment
        current = lassoed.graph
        if let budget {
            // Geometric steps from what the factors hold to the budget, the last one the budget itself.
            let start = summary.budgetCut?.weightsBefore ?? edpWeightCount(current)
            let target = round == rounds ? budget : Int(Double(start) * pow(Double(budget) / Double(max(start, 1)), Double(round) / Double(rounds)))
            // The loss each group holds up is measured on the first training samples (fixed: deterministic).
            let sample = min(data.train.count, 128)
            let (cutGraph, cut) = cutEDPToBudget(
                current, budget: max(target, budget), samples: Array(data.train.inputs.prefix(sample)),
                labels: Array((data.train.labels ?? []).prefix(sample)))
            summary.budgetCut = EDPBudgetCut(
                budget: budget, weightsBefore: summary.budgetCut?.weightsBefore ?? cut.weightsBefore, weightsAfter: cut.weightsAfter,
                rankComponents: (summary.budgetCut?.rankComponents ?? 0) + cut.rankComponents,
                channels: (summary.budgetCut?.channels ?? 0) + cut.channels)
            // Pairs are merged only after the last round, so that later rounds can still cut their channels.
            current = pruneAndMergeEDP(cutGraph, threshold: options.threshold, merge: round == rounds)
            // What is kept (the PM module also drops groups the lasso zeroed, which the cut did not count).
            summary.budgetCut?.weightsAfter = edpWeightCount(current)
        } else {
            current = pruneAndMergeEDP(current, threshold: options.threshold)
        }
    }
    if let cut = summary.budgetCut, !cut.met {
        diagnostics.warning(
            "--sparsity: EDP cannot reach the budget of \(cut.budget) weights; no cut left saves weights, so \(cut.weightsAfter) are kept")
    }
    let pruned = current
    let tuned = train(pruned, on: data.train, options: trainingOptions) { epoch in
        progress?.update(
            "edp", done: epochs + epoch.epoch, total: 2 * epochs,
            detail: "fine-tune, loss \(fixed(epoch.loss, 4)), train accuracy \(fixed(epoch.trainAccuracy * 100, 2))%")
    }
    history += tuned.history.map { EpochStatistics(epoch: epochs + $0.epoch, loss: $0.loss, trainAccuracy: $0.trainAccuracy) }
    var options = trainingOptions
    options.epochs = 2 * epochs
    var training = TrainingSummary(options: options, history: history, data: data, before: factored, after: tuned.graph)
    if budget != nil { training.masks = "none (EDP has no masks): group-lasso proximal steps on the coefficients in the first half, in \(rounds) rounds each ending in a cut towards the weight budget; plain fine-tuning of the pruned factors in the second" }
    if budget == nil { training.masks = "none (EDP has no masks): group-lasso proximal steps on the coefficients in the first half, plain fine-tuning of the pruned factors in the second" }
    return EDPRun(graph: tuned.graph, training: training, summary: summary)
}
