// GenCompress/Pruning/pruneMagnitudeKofN.swift - Magnitude k-of-n pruning, exactly as the CLI spec defines it.

import GenModel

/// Prunes every dense and conv2d layer: each output unit's fan-in (row-major: `[in]` for dense,
/// `[in_ch, kh, kw]` for conv2d) is cut into groups of `n` consecutive weights (`n == 0`: one group),
/// and each group keeps the `k` weights of largest absolute value, ties going to the lower index;
/// a last partial group of r < n weights keeps min(k, r).
///
/// At kernel granularity a conv2d's units are its input-channel kernels (k of every n per output
/// channel, ranked by the L1 norm of the kh×kw kernel, ties to the lower channel); dense layers,
/// whose kernels are single weights, are pruned at weight granularity.
///
/// `perLayer` overrides `k` and `n` for the layers it names (by index in `graph.layers`): a recipe's
/// exceptions, or SAP's choice per layer; `.unpruned` leaves a layer whole.
///
/// `rowsPerSet` > 1 (weight granularity only) makes the masks vector-wise: every `rowsPerSet`
/// consecutive rows keep the same positions, chosen by the sum of their magnitudes (see
/// `magnitudeMask`). With 1 (the default) this is exactly the CLI spec's rule.
package func pruneMagnitudeKofN(
    _ graph: Graph, k defaultK: Int, n defaultN: Int, kernelGranularity: Bool = false, perLayer: [Int: LayerKofN] = [:],
    rowsPerSet: Int = 1
) -> Graph {
    var pruned = graph
    for index in pruned.layers.indices {
        var (k, n) = (defaultK, defaultN)
        switch perLayer[index] {
        case .unpruned?: continue
        case .kOfN(let layerK, let layerN)?: (k, n) = (layerK, layerN)
        case nil: break
        }
        switch pruned.layers[index].op {
        case .dense(var dense):
            dense.mask = magnitudeMask(dense.weights, rows: dense.outputs, fanIn: dense.inputs, k: k, n: n, rowsPerSet: rowsPerSet)
            pruned.layers[index].op = .dense(dense)
        case .conv2d(var conv):
            conv.mask =
                kernelGranularity
                ? kernelMagnitudeMask(conv.weights, rows: conv.outChannels, channels: conv.inChannels,
                    area: conv.kernel.h * conv.kernel.w, k: k, n: n)
                : magnitudeMask(conv.weights, rows: conv.outChannels, fanIn: conv.fanIn, k: k, n: n, rowsPerSet: rowsPerSet)
            pruned.layers[index].op = .conv2d(conv)
        case .maxPool2d, .avgPool2d, .flatten, .activation, .softmax:
            break
        }
    }
    return pruned
}

/// The k-of-n magnitude mask of a `rows × fanIn` weight matrix.
///
/// `rowsPerSet` > 1: vector-wise k-of-n (the V×1 vectors of Zhu et al. 2019, "Sparse Tensor Core",
/// and VENOM's V:N:M format, Castro et al. 2023, without its inner 2:4 step): each set of
/// `rowsPerSet` consecutive rows (the last may be shorter) ranks the positions of a group by the sum
/// of its rows' magnitudes and keeps the same k in every row, so the set shares one index set and a
/// kernel gathers its inputs once for all its rows.
package func magnitudeMask(_ weights: [Double], rows: Int, fanIn: Int, k: Int, n: Int, rowsPerSet: Int = 1) -> KeepMask {
    if rowsPerSet > 1 && rows > 1 {
        // A set larger than the layer is the whole layer (and R may be any Int: no rows + R - 1).
        let rowsPerSet = min(rowsPerSet, rows)
        let sets = (rows - 1) / rowsPerSet + 1
        var scores = [Double](repeating: 0, count: sets * fanIn)
        for row in 0..<rows {
            for position in 0..<fanIn { scores[row / rowsPerSet * fanIn + position] += abs(weights[row * fanIn + position]) }
        }
        let setMask = magnitudeMask(scores, rows: sets, fanIn: fanIn, k: k, n: n)
        let kept = (0..<(rows * fanIn)).map { setMask.kept[$0 / fanIn / rowsPerSet * fanIn + $0 % fanIn] }
        return KeepMask(k: k, n: setMask.n, kept: kept, rowsPerSet: rowsPerSet)
    }
    let group = n == 0 ? fanIn : n
    var kept = [Bool](repeating: false, count: rows * fanIn)
    var order: [Int] = []
    order.reserveCapacity(min(group, fanIn))  // n may be far larger than the fan-in
    for row in 0..<rows {
        let base = row * fanIn
        var start = 0
        while start < fanIn {
            let end = min(start + group, fanIn)
            order.removeAll(keepingCapacity: true)
            order.append(contentsOf: start..<end)
            // Largest |w| first; equal magnitudes keep the lower index first (a strict total order).
            order.sort { a, b in
                let (ma, mb) = (abs(weights[base + a]), abs(weights[base + b]))
                return ma != mb ? ma > mb : a < b
            }
            for position in order.prefix(min(k, end - start)) { kept[base + position] = true }
            start = end
        }
    }
    return KeepMask(k: k, n: group, kept: kept)
}

/// k of every n input-channel kernels per output channel, by the L1 norm of each kernel.
package func kernelMagnitudeMask(_ weights: [Double], rows: Int, channels: Int, area: Int, k: Int, n: Int) -> KeepMask {
    let norms = (0..<(rows * channels)).map { unit in
        (0..<area).reduce(0.0) { $0 + abs(weights[unit * area + $1]) }
    }
    let unitMask = magnitudeMask(norms, rows: rows, fanIn: channels, k: k, n: n)
    let kept = (0..<(rows * channels * area)).map { unitMask.kept[$0 / area] }
    return KeepMask(k: k, n: unitMask.n, kept: kept, unit: area)
}
