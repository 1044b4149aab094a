// GenCompress/Pruning/SAP.swift - Sparsity-informed Adaptive Pruning (Diao et al., ICLR 2023):
// the PQ index of the surviving weights decides how many to prune next.

import Foundation
import GenModel

/// Which weights share one PQ index (and so one prune count).
package enum SAPScope: String, Sendable, CaseIterable {
    /// One per output row (dense) or output filter (conv2d).
    case neuron
    /// One per layer.
    case layer
    /// One over every prunable layer, with a single magnitude threshold.
    case global
}

/// SAP's hyper-parameters (algorithms.md §1.3): norms 0 < p < q, compression η, scale γ, cap β.
package struct SAPOptions: Sendable, Equatable {
    package var p = 0.5
    package var q = 1.0
    package var eta = 0.0
    package var gamma = 1.0
    package var beta = 0.9
    package var scope = SAPScope.layer
    /// Pruning iterations T (the data-free form stops earlier, when nothing more is pruned).
    package var iterations = 30

    package init() {}
}

/// One SAP decision for one scope of `d` surviving weights.
package struct SAPStep: Sendable, Equatable {
    package var pqIndex: Double
    /// The lower bound r on the weights to retain, r = d (1+η)^(−q/(q−p)) (1 − I)^(qp/(q−p)).
    package var retainBound: Double
    /// c = ⌊d · min(γ (1 − ⌈r⌉/d), β)⌋ (clamped at 0), the weights to prune now.
    package var pruneCount: Int
}

/// SAP's step on the magnitudes of the surviving weights of one scope (the authors' code: r rounded
/// up, the pruned fraction clamped to [0, β]).
package func sapStep(_ surviving: [Double], options: SAPOptions) -> SAPStep {
    let d = Double(surviving.count)
    guard d > 0 else { return SAPStep(pqIndex: 0, retainBound: 0, pruneCount: 0) }
    let (p, q) = (options.p, options.q)
    let index = pqIndex(surviving, p: p, q: q)
    let bound = d * pow(1 + options.eta, -q / (q - p)) * pow(1 - index, q * p / (q - p))
    let retained = min(ceil(bound - 1e-9), d)
    let fraction = min(max(options.gamma * (1 - retained / d), 0), options.beta)
    return SAPStep(pqIndex: index, retainBound: bound, pruneCount: Int((d * fraction + 1e-9).rounded(.down)))
}

/// One row of the PQ index trajectory: after `iteration` pruning steps.
package struct SAPIterate: Sendable, Equatable {
    package var iteration: Int
    /// Fraction of the weights of the layers SAP prunes (not those a recipe keeps whole) still kept.
    package var keptFraction: Double
    /// PQ index over all surviving prunable weights, and per prunable layer.
    package var globalPQIndex: Double
    package var layerPQIndex: [Double]
}

/// The weighted layers SAP prunes, their weights and unstructured masks during the iterations.
package struct SAPState: Sendable {
    package var layers: [Int]
    package var rows: [Int]
    package var kept: [[Bool]]

    /// Every weighted layer of `graph` but those in `whole` (a recipe's `"prune": false`), which SAP
    /// neither prunes nor counts in a global scope's index.
    package init(_ graph: Graph, keepingWhole whole: Set<Int> = []) {
        layers = graph.layers.indices.filter { graph.layers[$0].op.weightMatrix != nil && !whole.contains($0) }
        rows = layers.map { graph.layers[$0].op.weightMatrix!.rows }
        kept = layers.map { [Bool](repeating: true, count: graph.layers[$0].op.weightMatrix!.weights.count) }
    }

    /// Prunes by SAP's rule once, on `graph`'s current weights; returns how many were pruned.
    package mutating func prune(_ graph: Graph, options: SAPOptions) -> Int {
        let all = layers.map { graph.layers[$0].op.weightMatrix!.weights }
        // (layer, position) groups that share a PQ index.
        var scopes: [[(Int, Int)]] = []
        switch options.scope {
        case .global:
            scopes = [layers.indices.flatMap { l in kept[l].indices.filter { kept[l][$0] }.map { (l, $0) } }]
        case .layer:
            scopes = layers.indices.map { l in kept[l].indices.filter { kept[l][$0] }.map { (l, $0) } }
        case .neuron:
            for l in layers.indices {
                let fanIn = kept[l].count / rows[l]
                for row in 0..<rows[l] {
                    scopes.append(((row * fanIn)..<((row + 1) * fanIn)).filter { kept[l][$0] }.map { (l, $0) })
                }
            }
        }
        var pruned = 0
        for scope in scopes {
            let step = sapStep(scope.map { all[$0.0][$0.1] }, options: options)
            // The c smallest magnitudes go; equal magnitudes go in weight order.
            let order = scope.sorted {
                let (a, b) = (abs(all[$0.0][$0.1]), abs(all[$1.0][$1.1]))
                return a != b ? a < b : ($0.0, $0.1) < ($1.0, $1.1)
            }
            for (l, position) in order.prefix(step.pruneCount) { kept[l][position] = false }
            pruned += step.pruneCount
        }
        return pruned
    }

    /// The PQ indices and kept fraction of the surviving weights.
    package func iterate(_ graph: Graph, iteration: Int, options: SAPOptions) -> SAPIterate {
        let surviving = layers.indices.map { l in
            zip(graph.layers[layers[l]].op.weightMatrix!.weights, kept[l]).filter { $0.1 }.map { $0.0 }
        }
        let total = kept.reduce(0) { $0 + $1.count }
        let alive = kept.reduce(0) { $0 + $1.filter { $0 }.count }
        return SAPIterate(
            iteration: iteration, keptFraction: Double(alive) / Double(max(total, 1)),
            globalPQIndex: pqIndex(surviving.flatMap { $0 }, p: options.p, q: options.q),
            layerPQIndex: surviving.map { pqIndex($0, p: options.p, q: options.q) })
    }

    /// `graph` with the pruned weights zeroed and held fixed (unstructured masks for training).
    package func masked(_ graph: Graph) -> Graph {
        var out = graph
        for (l, index) in layers.enumerated() {
            switch out.layers[index].op {
            case .dense(var dense):
                // k = 0 marks an unstructured mask: only training reads it, never lowering.
                dense.mask = KeepMask(k: 0, n: dense.inputs, kept: kept[l])
                for i in dense.weights.indices where !kept[l][i] { dense.weights[i] = 0 }
                out.layers[index].op = .dense(dense)
            case .conv2d(var conv):
                conv.mask = KeepMask(k: 0, n: conv.fanIn, kept: kept[l])
                for i in conv.weights.indices where !kept[l][i] { conv.weights[i] = 0 }
                out.layers[index].op = .conv2d(conv)
            case .maxPool2d, .avgPool2d, .flatten, .activation, .softmax:
                break
            }
        }
        return out
    }

    /// Per layer: the k of every n that keeps the fraction SAP kept (rounded up, at least 1).
    package func perLayerK(n: Int, graph: Graph) -> [Int: Int] {
        var out: [Int: Int] = [:]
        for (l, index) in layers.enumerated() {
            let fanIn = kept[l].count / rows[l]
            let group = n == 0 ? fanIn : min(n, fanIn)
            let fraction = Double(kept[l].filter { $0 }.count) / Double(max(kept[l].count, 1))
            out[index] = min(max(Int(ceil(fraction * Double(group) - 1e-9)), 1), group)
        }
        return out
    }
}

/// Data-free SAP (algorithms.md §1.5): prune by the rule on the fixed weights until it prunes
/// nothing or `options.iterations` steps have run. Returns the state and the trajectory (iteration 0
/// is the unpruned model).
package func sapDataFree(
    _ graph: Graph, options: SAPOptions, keepingWhole whole: Set<Int> = []
) -> (state: SAPState, trajectory: [SAPIterate]) {
    var state = SAPState(graph, keepingWhole: whole)
    var trajectory = [state.iterate(graph, iteration: 0, options: options)]
    for iteration in 1...max(options.iterations, 1) {
        if state.prune(graph, options: options) == 0 { break }
        trajectory.append(state.iterate(graph, iteration: iteration, options: options))
    }
    return (state, trajectory)
}

