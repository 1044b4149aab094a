// GenLearn/StraightThroughProjection.swift - Projected training that keeps the pruned weights (SR-STE).

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
/// Two departures from the paper, both because the engine trains with Adam by default: the step is
/// Adam's (the paper's is SGD with momentum) and the refine term is applied to the dense weights
/// directly, scaled by the step's learning rate (decoupled, like AdamW's decay), instead of being
/// added to the gradient, where Adam's normalisation would turn it into a step of constant size.
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

    /// The trainer's `afterStep`: `weights` are the network's weights after the optimizer's step; on
    /// return, the projection of the updated dense weights.
    package func step(layerIndex: Int, weights: inout [Double], rate: Double, epoch: Int) {
        // Before the first step the network ran on the dense weights as given (training starts unmasked).
        var denseWeights = dense[layerIndex] ?? weights
        if let before = shown[layerIndex] {
            for index in denseWeights.indices {
                denseWeights[index] += weights[index] - before[index]
                // A dropped weight shows as exactly zero (a kept one that is exactly zero decays too: harmless).
                if before[index] == 0 { denseWeights[index] -= rate * decay * denseWeights[index] }
            }
        }
        var projected = denseWeights
        project(layerIndex, &projected, epoch)
        dense[layerIndex] = denseWeights
        shown[layerIndex] = projected
        weights = projected
    }
}
