// GenCompress/Pruning/gradualKofN.swift - Gradual magnitude pruning: k shrinks from n to K while fine-tuning.

import Foundation

/// The k of every n that epoch `epoch` (from 1) keeps under gradual pruning (Zhu and Gupta 2017,
/// "To prune, or not to prune"): the kept fraction follows k/n + (1 − k/n)(1 − t/T)³ over the first
/// `rampEpochs` epochs (t = epoch − 1, so the first epoch is dense), then stays at k.
package func gradualK(epoch: Int, rampEpochs: Int, k: Int, n: Int) -> Int {
    guard rampEpochs > 0, epoch <= rampEpochs else { return k }
    let remaining = pow(1 - Double(epoch - 1) / Double(rampEpochs), 3)
    return k + Int((Double(n - k) * remaining).rounded())
}

/// DARB's block size for epoch `epoch` (from 1) under gradual pruning: the kept fraction follows the
/// same cubic as `gradualK`, from 1 to 1/`block`, and the block is the largest power of two whose
/// one-of-block keeps at least that fraction (so a power of two that divides `block`, and the fan-in).
package func gradualBlock(epoch: Int, rampEpochs: Int, block: Int) -> Int {
    guard rampEpochs > 0, epoch <= rampEpochs else { return block }
    let final = 1 / Double(block)
    let kept = final + (1 - final) * pow(1 - Double(epoch - 1) / Double(rampEpochs), 3)
    var size = 1
    while size * 2 <= block && 1 / Double(size * 2) >= kept { size *= 2 }
    return size
}

/// Magnitude k-of-n as a projection: every group of `n` weights (of `unit`-sized kernels when
/// `unit` > 1, ranked by L1 norm) keeps its `k` largest, the others are set to zero. Used after each
/// fine-tuning step: on the weights themselves with `--sr-ste off`, so a zeroed weight that the next
/// step grows past a kept one takes its place; on the dense weights behind them under SR-STE
/// (`StraightThroughProjection`), where the dropped ones keep their values.
/// Vector-wise masks (`rowsPerSet` > 1) project their sets of rows together.
package func projectMagnitudeKofN(
    _ weights: inout [Double], rows: Int, fanIn: Int, k: Int, n: Int, unit: Int, rowsPerSet: Int = 1
) {
    let kept =
        unit > 1
        ? kernelMagnitudeMask(weights, rows: rows, channels: fanIn / unit, area: unit, k: k, n: n).kept
        : magnitudeMask(weights, rows: rows, fanIn: fanIn, k: k, n: n, rowsPerSet: rowsPerSet).kept
    for index in weights.indices where !kept[index] { weights[index] = 0 }
}
