// GenCompress/Pruning/MaskProjection.swift - The projection onto a graph's mask structure, per training epoch.

import GenModel

/// Projects a layer's weights onto the structure of its mask in a pruned graph, as projected
/// fine-tuning does after every step: k-of-n masks keep the k largest of every n (k shrinking from n
/// over `rampEpochs`, `gradualK`); DARB's (`blockMax`) the largest of every block (each row's
/// `rowBlocks`, or n for a 1-of-n DARB conv2d; blocks growing from 1, `gradualBlock`). Layers
/// without a mask are left alone.
package struct MaskProjection: Sendable {
    private struct LayerMask: Sendable {
        var mask: KeepMask
        var rows: Int
        var fanIn: Int
    }
    private let layers: [Int: LayerMask]
    private let rampEpochs: Int
    private let blockMax: Bool

    /// The masks of `pruned`'s dense and conv2d layers, by index in `Graph.layers`; no ramp when
    /// `rampEpochs` is 0 (the final structure from the first step); `blockMax` for DARB's masks.
    package init(masksOf pruned: Graph, rampEpochs: Int, blockMax: Bool) {
        var layers: [Int: LayerMask] = [:]
        for (index, layer) in pruned.layers.enumerated() {
            switch layer.op {
            case .dense(let dense): layers[index] = dense.mask.map { LayerMask(mask: $0, rows: dense.outputs, fanIn: dense.inputs) }
            case .conv2d(let conv): layers[index] = conv.mask.map { LayerMask(mask: $0, rows: conv.outChannels, fanIn: conv.fanIn) }
            case .maxPool2d, .avgPool2d, .flatten, .activation, .softmax: break
            }
        }
        self.layers = layers
        self.rampEpochs = rampEpochs
        self.blockMax = blockMax
    }

    /// Whether layer `layerIndex` has a mask to project onto.
    package func projects(_ layerIndex: Int) -> Bool { layers[layerIndex] != nil }

    /// `weights` of layer `layerIndex` projected in place for training epoch `epoch` (from 1).
    package func project(_ layerIndex: Int, _ weights: inout [Double], epoch: Int) {
        guard let layer = layers[layerIndex] else { return }
        let mask = layer.mask
        if blockMax {
            let target = mask.rowBlocks ?? [Int](repeating: mask.n, count: layer.rows)
            let blocks = target.map { gradualBlock(epoch: epoch, rampEpochs: rampEpochs, block: $0) }
            projectBlockMax(&weights, rows: layer.rows, fanIn: layer.fanIn, blocks: blocks)
        } else {
            let k = gradualK(epoch: epoch, rampEpochs: rampEpochs, k: mask.k, n: mask.n)
            projectMagnitudeKofN(
                &weights, rows: layer.rows, fanIn: layer.fanIn, k: k, n: mask.n, unit: mask.unit, rowsPerSet: mask.rowsPerSet)
        }
    }
}
