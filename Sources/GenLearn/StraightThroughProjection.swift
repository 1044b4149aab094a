// GenLearn/StraightThroughProjection.swift - Projected training that keeps the pruned weights (SR-STE).

import GenModel

/// Training through a projection (k-of-n, DARB's block-max) with the sparse-refined straight-through
/// estimator of Zhou et al., ICLR 2021 ("Learning N:M fine-grained structured sparse neural networks
/// from scratch", SR-STE). Plain projected gradient descent sets the weights a projection drops to
/// zero, so a dropped weight comes back only if one step grows it past a kept one. Here every layer
/// also has dense weights: the network runs on their projection (the forward pass sees the sparse
/// weights), the optimizer's step on those is carried over to the dense ones unchanged (the
/// straight-through estimator: a dropped weight's gradient, computed at zero, still moves it), and
/// the dropped ones decay by `rate × decay` a step (the paper's sparse-refined term, λ_W ⊙ ¬S ⊙ W), so
/// that they come back only when the loss keeps pulling them. The projection is recomputed from the
/// dense weights after every step.
///
/// Three departures from the paper. Two because the engine trains with Adam by default: the step is
/// Adam's (the paper's is SGD with momentum) and the refine term is applied to the dense weights
/// directly, scaled by the step's learning rate (decoupled, like AdamW's decay), instead of being
/// added to the gradient, where Adam's normalisation would turn it into a step of constant size. And
/// the projection may follow a gradual schedule (k shrinking while training, as the engine's
/// projected fine-tuning does), where the paper trains at the final N:M from the start.
package final class StraightThroughProjection {
    /// Per layer (its index in `Graph.layers`): the dense weights, and the projection the network ran on.
    private var dense: [Int: [Double]] = [:]
    private var shown: [Int: [Double]] = [:]
    private let decay: Double
    private let project: (_ layerIndex: Int, _ weights: inout [Double], _ epoch: Int) -> Void

    /// `project` maps a layer's dense weights to the ones the network runs on (zeros where dropped);
    /// `decay` is λ_W, the dropped weights' decay per unit of learning rate.
    package init(decay: Double, project: @escaping (_ layerIndex: Int, _ weights: inout [Double], _ epoch: Int) -> Void) {
        self.decay = decay
        self.project = project
    }

    /// The graph to train from `graph`: every dense/conv2d layer that `project` changes at epoch 1
    /// runs on its projection from the first step, with `graph`'s weights as its dense weights (a
    /// layer the projection leaves as it is at epoch 1, as a gradual schedule's, starts from the
    /// first step's weights instead).
    package func start(from graph: Graph) -> Graph {
        var start = graph
        for index in start.layers.indices {
            switch start.layers[index].op {
            case .dense(var dense):
                guard let projected = projectedIfChanged(index, dense.weights) else { continue }
                dense.weights = projected
                start.layers[index].op = .dense(dense)
            case .conv2d(var conv):
                guard let projected = projectedIfChanged(index, conv.weights) else { continue }
                conv.weights = projected
                start.layers[index].op = .conv2d(conv)
            case .maxPool2d, .avgPool2d, .flatten, .activation, .softmax:
                continue
            }
        }
        return start
    }

    private func projectedIfChanged(_ layerIndex: Int, _ weights: [Double]) -> [Double]? {
        var projected = weights
        project(layerIndex, &projected, 1)
        guard projected != weights else { return nil }
        dense[layerIndex] = weights
        shown[layerIndex] = projected
        return projected
    }

    /// The trainer's `afterStep`: `weights` are the network's weights after the optimizer's step; on
    /// return, the projection of the updated dense weights.
    package func step(layerIndex: Int, weights: inout [Double], rate: Double, epoch: Int) {
        // A layer `start` left alone ran its first step on its weights as given: they become its dense weights.
        var denseWeights = dense[layerIndex] ?? weights
        // A dropped weight loses this fraction a step; at most all of it (rate x decay above 1 would flip its sign).
        let shrink = min(rate * decay, 1)
        if let before = shown[layerIndex] {
            for index in denseWeights.indices {
                denseWeights[index] += weights[index] - before[index]
                // A dropped weight shows as exactly zero (a kept one that is exactly zero decays too: harmless).
                if before[index] == 0 { denseWeights[index] -= shrink * denseWeights[index] }
            }
        }
        var projected = denseWeights
        project(layerIndex, &projected, epoch)
        dense[layerIndex] = denseWeights
        shown[layerIndex] = projected
        weights = projected
    }
}
