// GenCompress/Pruning/remaskByMagnitude.swift - Masks recomputed from fine-tuned weights, same structure.

import GenModel

/// `graph`'s dense/conv2d layers masked again from their current weights, each with the structure of
/// the same layer's mask in `masks` (layers unmasked there stay unmasked): after fine-tuning by
/// projection, whose result carries no masks. DARB rows (`rowBlocks`) keep the largest weight of each
/// block; kernel masks (`unit` > 1) the k of every n kernels of largest L1 norm; any other mask, a
/// DARB conv2d's 1-of-s included, the k of every n weights of largest magnitude (per set of rows for
/// vector-wise masks). Ties go to the lower
/// index in every rule, as in the projections, so the kept sets are the projections' own.
package func remaskByMagnitude(_ graph: Graph, masksFrom masks: Graph) -> Graph {
    var result = graph
    for index in result.layers.indices {
        switch (result.layers[index].op, masks.layers[index].op) {
        case (.dense(var dense), .dense(let pruned)):
            guard let mask = pruned.mask else { continue }
            dense.mask = sameStructure(as: mask, weights: dense.weights, rows: dense.outputs, fanIn: dense.inputs)
            result.layers[index].op = .dense(dense)
        case (.conv2d(var conv), .conv2d(let pruned)):
            guard let mask = pruned.mask else { continue }
            conv.mask = sameStructure(as: mask, weights: conv.weights, rows: conv.outChannels, fanIn: conv.fanIn)
            result.layers[index].op = .conv2d(conv)
        default:
            continue
        }
    }
    return result
}

private func sameStructure(as mask: KeepMask, weights: [Double], rows: Int, fanIn: Int) -> KeepMask {
    if let blocks = mask.rowBlocks { return blockMaxMask(weights, rows: rows, fanIn: fanIn, blocks: blocks) }
    if mask.unit > 1 {
        return kernelMagnitudeMask(weights, rows: rows, channels: fanIn / mask.unit, area: mask.unit, k: mask.k, n: mask.n)
    }
    return magnitudeMask(weights, rows: rows, fanIn: fanIn, k: mask.k, n: mask.n, rowsPerSet: mask.rowsPerSet)
}
