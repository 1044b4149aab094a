// GenCompress/Pruning/pruneDARB.swift - Density-Adaptive Regular-Block pruning (Ren et al., AAAI 2020).

import Foundation
import GenModel

/// DARB (algorithms.md §3): each row keeps exactly one weight per block of s consecutive weights,
/// the largest |w| (block-max weight masking, ties to the lower index). A row's s comes from its
/// density under unstructured magnitude pruning of the layer at `sparsity`: s ≈ fanIn / nnz, rounded
/// in log2 to a power of two that divides the fan-in; one scale α over the layer's rows is chosen so
/// that the kept count comes closest to the target. A conv2d's rows are its output channels; a layer
/// whose rows all get the same s is plain 1-of-s k-of-n.
///
/// A recipe (`--recipe`) may give a layer its own sparsity (`perLayer`, by layer index) or keep it
/// whole (`keepingWhole`: no mask, lowered dense); the paper, too, sets a compression rate per layer.
package func pruneDARB(
    _ graph: Graph, sparsity defaultSparsity: Double, perLayer: [Int: Double] = [:], keepingWhole: Set<Int> = []
) -> Graph {
    var pruned = graph
    for index in pruned.layers.indices where !keepingWhole.contains(index) {
        let sparsity = perLayer[index] ?? defaultSparsity
        switch pruned.layers[index].op {
        case .dense(var dense):
            let blocks = darbBlockSizes(dense.weights, rows: dense.outputs, fanIn: dense.inputs, sparsity: sparsity)
            dense.mask = blockMaxMask(dense.weights, rows: dense.outputs, fanIn: dense.inputs, blocks: blocks)
            pruned.layers[index].op = .dense(dense)
        case .conv2d(var conv):
            // A conv2d's row is an output channel, its fan-in c_in·kh·kw (in the weights' order).
            let blocks = darbBlockSizes(conv.weights, rows: conv.outChannels, fanIn: conv.fanIn, sparsity: sparsity)
            let mask = blockMaxMask(conv.weights, rows: conv.outChannels, fanIn: conv.fanIn, blocks: blocks)
            // One block size for every channel is ordinary k-of-n, 1 of every s, with its faster kernels.
            conv.mask = Set(blocks).count == 1 ? KeepMask(k: 1, n: blocks[0], kept: mask.kept) : mask
            pruned.layers[index].op = .conv2d(conv)
        case .maxPool2d, .avgPool2d, .flatten, .activation, .softmax:
            break
        }
    }
    return pruned
}

/// The allowed block sizes for a fan-in: powers of two that divide it (1 = the row stays dense).
package func darbAllowedBlocks(fanIn: Int) -> [Int] {
    var sizes = [1]
    while fanIn % (sizes.last! * 2) == 0 && sizes.last! * 2 <= fanIn { sizes.append(sizes.last! * 2) }
    return sizes
}

/// Per-row block sizes (see `pruneDARB`).
package func darbBlockSizes(_ weights: [Double], rows: Int, fanIn: Int, sparsity: Double) -> [Int] {
    let allowed = darbAllowedBlocks(fanIn: fanIn)
    let target = Double(weights.count) * (1 - sparsity)
    // Row densities under one unstructured magnitude threshold over the layer.
    let keep = max(Int((target).rounded()), rows)
    let threshold = weights.map(abs).sorted(by: >)[min(keep, weights.count) - 1]
    let nonZero = (0..<rows).map { row in
        weights[(row * fanIn)..<((row + 1) * fanIn)].filter { abs($0) >= threshold && $0 != 0 }.count
    }
    func sizes(_ alpha: Double) -> [Int] {
        nonZero.map { count in
            let wanted = Double(fanIn) / max(alpha * Double(count), 1e-9)
            // Nearest allowed size in log2, ties to the smaller block (more weights kept).
            return allowed.min { a, b in
                let (da, db) = (abs(log2(Double(a)) - log2(wanted)), abs(log2(Double(b)) - log2(wanted)))
                return da != db ? da < db : a < b
            }!
        }
    }
    func keptCount(_ blocks: [Int]) -> Int { blocks.reduce(0) { $0 + fanIn / $1 } }
    var best = sizes(1)
    for step in -20...20 {
        let candidate = sizes(pow(2, Double(step) / 10))
        let (d1, d0) = (abs(Double(keptCount(candidate)) - target), abs(Double(keptCount(best)) - target))
        if d1 < d0 - 1e-9 { best = candidate }
    }
    return best
}

/// Block-max weight masking: row r keeps the largest |w| of each block of `blocks[r]` weights.
package func blockMaxMask(_ weights: [Double], rows: Int, fanIn: Int, blocks: [Int]) -> KeepMask {
    var kept = [Bool](repeating: false, count: rows * fanIn)
    for row in 0..<rows {
        let size = blocks[row]
        for start in stride(from: 0, to: fanIn, by: size) {
            var best = start
            for position in start..<(start + size) where abs(weights[row * fanIn + position]) > abs(weights[row * fanIn + best]) {
                best = position
            }
            kept[row * fanIn + best] = true
        }
    }
    return KeepMask(k: 1, n: blocks.max() ?? 1, kept: kept, rowBlocks: blocks)
}

/// DARB's projection (block-max masking is the Euclidean projection onto "one non-zero per block",
/// algorithms.md §3.2): zeroes all but the largest |w| of every block, `blocks` giving each row's
/// block size. Used after each fine-tuning step, so the kept position of a block may move.
package func projectBlockMax(_ weights: inout [Double], rows: Int, fanIn: Int, blocks: [Int]) {
    let projected = blockMaxMask(weights, rows: rows, fanIn: fanIn, blocks: blocks)
    for index in weights.indices where !projected.kept[index] { weights[index] = 0 }
}
