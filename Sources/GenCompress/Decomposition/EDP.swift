// GenCompress/Decomposition/EDP.swift - EDP (Ruan et al., TNNLS 2021): each layer as basis × coefficients.
//
// algorithms.md §4 is a reconstruction [R] (the paper's regularisers and merge rule were not
// readable); this file follows it: truncated SVD for the data-free form, group lasso on the
// coefficient matrix for the data-driven one, then pruning of zero channels and the merge test.

import Foundation
import GenModel

/// How EDP picks each layer's rank before any training.
package enum EDPRankRule: Sendable, Equatable {
    /// The smallest rank whose singular values keep this fraction of the layer's energy Σσ².
    case energy(Double)
    /// The same rank for every layer (capped at the layer's full rank).
    case rank(Int)
    /// A weight budget: at most (1 − sparsity) of the weights remain, ranks chosen greedily (below).
    case sparsity(Double)
}

/// `--prune edp` without a rank setting keeps 90 % of each layer's energy.
package let defaultEDPEnergy = 0.9

package struct EDPOptions: Sendable, Equatable {
    package var rankRule = EDPRankRule.energy(defaultEDPEnergy)
    /// Group-lasso strengths on the coefficient matrix's columns (λ1: basis channels, the rank) and
    /// rows (λ2: output channels), applied as proximal steps of size learning rate × λ after every
    /// optimizer step (with Adam the step is a heuristic, see `applyGroupLasso`).
    package var columnLasso = 0.5
    package var rowLasso = 0.1
    /// A column or row whose norm is at most this fraction of the largest one is pruned.
    package var threshold = 1e-3

    package init() {}
}

/// One dense/conv2d layer's decomposition plan.
package struct EDPLayerPlan: Sendable {
    package var layerIndex: Int
    package var name: String
    /// Output channels and fan-in (`c_in·kh·kw` for conv2d) of the weight matrix.
    package var rows: Int
    package var fanIn: Int
    package var svd: SingularValueDecomposition
    /// The layer's weight count in the model as read (before dead channels were removed).
    package var sourceWeights: Int
    /// The rank the layer is factored at; nil when the factored form would not be smaller.
    package var rank: Int?

    package var fullRank: Int { svd.components }
    package var denseWeights: Int { rows * fanIn }
    package func factoredWeights(rank: Int) -> Int { rank * (rows + fanIn) }
    /// The largest rank whose factors hold fewer weights than the layer (0 if there is none).
    package var largestSmallerRank: Int { (denseWeights - 1) / (rows + fanIn) }
    /// Share of Σσ² in the first `rank` components.
    package func energy(rank: Int) -> Double {
        let total = svd.values.reduce(0) { $0 + $1 * $1 }
        guard total > 0 else { return 1 }
        return svd.values.prefix(rank).reduce(0) { $0 + $1 * $1 } / total
    }
    /// Weights after the plan: the factors, or the layer unchanged.
    package var plannedWeights: Int { rank.map { factoredWeights(rank: $0) } ?? denseWeights }
}

/// The SVD of every dense/conv2d layer of `graph` and the rank `rule` gives each. With
/// `onlyWhenSmaller` (the data-free form) a layer whose factors at that rank would not hold fewer
/// weights stays whole; without it (training follows, and the merge test comes after) every layer is
/// factored at the energy or rank rule's rank. The budget rule only ever factors smaller.
package func planEDP(_ graph: Graph, rule: EDPRankRule, onlyWhenSmaller: Bool = true) -> [EDPLayerPlan] {
    var plans: [EDPLayerPlan] = []
    for (index, layer) in graph.layers.enumerated() {
        guard let matrix = layer.op.weightMatrix else { continue }
        // A layer whose SVD fails has no plan and stays whole (runEDP warns).
        guard let svd = singularValueDecomposition(matrix.weights, rows: matrix.rows, columns: matrix.fanIn) else { continue }
        plans.append(EDPLayerPlan(
            layerIndex: index, name: layer.name, rows: matrix.rows, fanIn: matrix.fanIn, svd: svd,
            sourceWeights: layer.weightsBeforeCompaction ?? matrix.weights.count))
    }
    switch rule {
    case .energy(let fraction):
        for p in plans.indices {
            var rank = 1
            while rank < plans[p].fullRank && plans[p].energy(rank: rank) < fraction - 1e-12 { rank += 1 }
            plans[p].rank = rank <= plans[p].largestSmallerRank || !onlyWhenSmaller ? rank : nil
        }
    case .rank(let requested):
        for p in plans.indices {
            let rank = min(requested, plans[p].fullRank)
            plans[p].rank = rank <= plans[p].largestSmallerRank || !onlyWhenSmaller ? rank : nil
        }
    case .sparsity(let sparsity):
        chooseRanksForBudget(&plans, sparsity: sparsity)
    }
    return plans
}

/// The budget rule [R]: at most (1 − sparsity) of the weights the model was read with remain.
/// 1. The largest rank r common to all layers that fits (a layer whose factors at r would not be
///    smaller stays whole; r is capped at each layer's full rank). The smallest rank along a chain of
///    layers bounds the whole network, so a balanced start matters: during development a greedy
///    "least energy lost per weight" walk down from full rank starved the digits MLP's first and
///    last layers to rank 1 (about 20 % test accuracy after fine-tuning, against about 46 % for
///    `--edp-rank 2` with `--edp-lambda 0`; not re-measured by a benchmark).
/// 2. What is left of the budget goes one step at a time (one more component, or a layer made whole
///    again when one more would not be smaller) to the step that gains the most relative energy
///    (σ²/Σσ² of its layer) per weight; ties go to the earlier layer.
/// If rank 1 everywhere does not fit, that is the plan and the budget is not reached.
func chooseRanksForBudget(_ plans: inout [EDPLayerPlan], sparsity: Double) {
    let budget = (1 - sparsity) * Double(plans.reduce(0) { $0 + $1.sourceWeights })
    func apply(uniform rank: Int) {
        for p in plans.indices {
            let capped = min(rank, plans[p].fullRank)
            plans[p].rank = capped <= plans[p].largestSmallerRank ? capped : nil
        }
    }
    func total() -> Int { plans.reduce(0) { $0 + $1.plannedWeights } }
    var uniform = 1
    let highest = plans.map(\.fullRank).max() ?? 1
    while uniform < highest {
        apply(uniform: uniform + 1)
        if Double(total()) > budget { break }
        uniform += 1
    }
    apply(uniform: uniform)
    while true {
        var best: (plan: Int, rank: Int?, gainPerWeight: Double)?
        let used = total()
        for (p, plan) in plans.enumerated() {
            guard let current = plan.rank else { continue }
            let next: Int? = current + 1 <= plan.largestSmallerRank ? current + 1 : nil
            let cost = (next.map { plan.factoredWeights(rank: $0) } ?? plan.denseWeights) - plan.plannedWeights
            guard Double(used + cost) <= budget else { continue }
            let gain = (next.map { plan.energy(rank: $0) } ?? 1) - plan.energy(rank: current)
            let gainPerWeight = gain / Double(max(cost, 1))
            if best == nil || gainPerWeight > best!.gainPerWeight { best = (p, next, gainPerWeight) }
        }
        guard let step = best else { break }
        plans[step.plan].rank = step.rank
    }
}

/// Replaces every planned layer by a basis layer `c_in → r` (dense, or conv2d with the source's
/// kernel, stride and padding; zero bias, no activation) followed by a coefficient layer `r → c_out`
/// (dense, or 1×1 conv2d) with the source's bias and activation:
/// `C = U_r Σ_r^{1/2}`, `B = Σ_r^{1/2} V_rᵀ`, so `C·B` is the best rank-r approximation of W.
/// The basis is named `<source>_basis` (made unique); the coefficient layer keeps the source's name.
package func decomposeEDP(_ graph: Graph, plans: [EDPLayerPlan]) -> Graph {
    var result = graph
    var names = Set(graph.layers.map(\.name))
    // From the back, so that earlier indices stay valid while layers are inserted.
    for plan in plans.reversed() {
        guard let rank = plan.rank else { continue }
        let source = graph.layers[plan.layerIndex]
        let m = plan.fullRank
        var basisWeights = [Double](repeating: 0, count: rank * plan.fanIn)
        var coefficients = [Double](repeating: 0, count: plan.rows * rank)
        for j in 0..<rank {
            let root = plan.svd.values[j].squareRoot()
            for c in 0..<plan.fanIn { basisWeights[j * plan.fanIn + c] = root * plan.svd.v[c * m + j] }
            for o in 0..<plan.rows { coefficients[o * rank + j] = plan.svd.u[o * m + j] * root }
        }
        var basisName = source.name + "_basis"
        var suffix = 2
        while names.contains(basisName) {
            basisName = source.name + "_basis\(suffix)"
            suffix += 1
        }
        names.insert(basisName)
        var basis = source
        var coefficient = source
        basis.name = basisName
        basis.folded = []
        // The source's compaction history is in sourceWeights; the factors are new layers.
        for layer in [\Layer.channelsBeforeCompaction, \Layer.weightsBeforeCompaction] {
            basis[keyPath: layer] = nil
            coefficient[keyPath: layer] = nil
        }
        basis.decomposition = LayerDecomposition(
            role: .basis, source: source.name, rank: rank, fullRank: m, sourceWeights: plan.sourceWeights)
        coefficient.decomposition = LayerDecomposition(
            role: .coefficients, source: source.name, rank: rank, fullRank: m, sourceWeights: 0)
        switch source.op {
        case .dense(let dense):
            basis.op = .dense(DenseLayer(
                inputs: dense.inputs, outputs: rank, weights: basisWeights,
                bias: [Double](repeating: 0, count: rank), activation: .none, mask: nil))
            basis.outputShape = [rank]
            coefficient.op = .dense(DenseLayer(
                inputs: rank, outputs: dense.outputs, weights: coefficients, bias: dense.bias,
                activation: dense.activation, mask: nil))
            coefficient.inputShape = [rank]
        case .conv2d(let conv):
            var basisConv = conv
            basisConv.outChannels = rank
            basisConv.weights = basisWeights
            basisConv.bias = [Double](repeating: 0, count: rank)
            basisConv.activation = .none
            basisConv.mask = nil
            basis.op = .conv2d(basisConv)
            basis.outputShape = [rank] + Array(source.outputShape.dropFirst())
            coefficient.op = .conv2d(Conv2DLayer(
                inChannels: rank, outChannels: conv.outChannels, kernel: (1, 1), stride: (1, 1),
                padding: (0, 0, 0, 0), weights: coefficients, bias: conv.bias, activation: conv.activation, mask: nil))
            coefficient.inputShape = basis.outputShape
        case .maxPool2d, .avgPool2d, .flatten, .activation, .softmax:
            preconditionFailure("EDP plans only dense and conv2d layers")
        }
        result.layers.replaceSubrange(plan.layerIndex...plan.layerIndex, with: [basis, coefficient])
    }
    return result
}

/// One proximal step of group lasso on a coefficient matrix (`rows × columns`, row-major):
/// every column, then every row, is shrunk towards zero in norm by `columnStep` / `rowStep` times
/// the square root of its length (Yuan and Lin's group weighting, so that layers of different widths
/// feel the same penalty): `g ← g · max(0, 1 − step·√|g| / ‖g‖)`, which sets whole groups exactly to zero. The two penalties
/// overlap, so applying their proximal maps one after the other is the usual approximation of the
/// joint one; after an Adam step it is a heuristic rather than a true proximal gradient method.
package func applyGroupLasso(_ weights: inout [Double], rows: Int, columns: Int, columnStep: Double, rowStep: Double) {
    if columnStep > 0 {
        for j in 0..<columns {
            var norm = 0.0
            for o in 0..<rows { norm += weights[o * columns + j] * weights[o * columns + j] }
            let shrink = columnStep * Double(rows).squareRoot()
            let scale = norm > 0 ? max(0, 1 - shrink / norm.squareRoot()) : 0
            for o in 0..<rows { weights[o * columns + j] *= scale }
        }
    }
    if rowStep > 0 {
        for o in 0..<rows {
            var norm = 0.0
            for j in 0..<columns { norm += weights[o * columns + j] * weights[o * columns + j] }
            let shrink = rowStep * Double(columns).squareRoot()
            let scale = norm > 0 ? max(0, 1 - shrink / norm.squareRoot()) : 0
            for j in 0..<columns { weights[o * columns + j] *= scale }
        }
    }
}
