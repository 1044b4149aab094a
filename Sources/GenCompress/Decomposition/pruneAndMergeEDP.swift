// GenCompress/Decomposition/pruneAndMergeEDP.swift - EDP's PM module: drop zero channels, merge pairs that do not pay.

import GenModel

/// The PM module (algorithms.md §4.3 [R]) on every basis/coefficient pair of `graph`:
/// 1. a coefficient column whose norm is at most `threshold` × the largest one marks an unused
///    basis channel: the channel and the column go (the rank drops);
/// 2. a coefficient row so small is an output channel that only carries its bias: it goes, with the
///    next layer's matching inputs, and the constant it carried (its activated bias) is folded into
///    the next layer's bias when that is exact (the next weighted layer is dense, or a conv2d without
///    padding, reached through pools, flatten and activations), otherwise it goes only if that
///    constant is zero. The last weighted layer's outputs (the classes) always stay;
/// 3. a pair whose factors hold at least as many weights as their product is multiplied back into
///    one layer (`W = C·B`, bias `C·b_B + b_C`: exact, nothing lies between them); not with `merge`
///    false (between the rounds of a budget cut, which may still cut the pair's channels).
/// Every layer keeps at least one channel.
package func pruneAndMergeEDP(_ graph: Graph, threshold: Double, merge: Bool = true) -> Graph {
    var result = graph
    var keptByLayer: [Int: [Int]] = [:]
    for index in graph.layers.indices where isPair(graph, coefficientIndex: index) {
        let (c, rows, columns) = graph.layers[index].op.weightMatrix!
        let columnNorms = (0..<columns).map { j in (0..<rows).reduce(0.0) { $0 + c[$1 * columns + j] * c[$1 * columns + j] }.squareRoot() }
        let keptColumns = survivors(columnNorms, threshold: threshold)
        if keptColumns.count < columns { keptByLayer[index - 1] = keptColumns }
    }
    let coefficients = graph.layers.indices.filter { isPair(graph, coefficientIndex: $0) }
    keptByLayer.merge(constantChannelRows(&result, layers: coefficients, threshold: threshold)) { first, _ in first }
    result = compactFilters(result, kept: keptByLayer)
    for index in result.layers.indices where isPair(result, coefficientIndex: index) {
        let rank = result.layers[index - 1].op.weightMatrix!.rows
        result.layers[index - 1].decomposition?.rank = rank
        result.layers[index].decomposition?.rank = rank
    }
    for index in result.layers.indices.reversed() where merge && isPair(result, coefficientIndex: index) {
        let basis = result.layers[index - 1]
        let coefficient = result.layers[index]
        let (b, rank, fanIn) = basis.op.weightMatrix!
        let (c, rows, _) = coefficient.op.weightMatrix!
        guard rank * (fanIn + rows) >= rows * fanIn else { continue }
        var merged = [Double](repeating: 0, count: rows * fanIn)
        for o in 0..<rows {
            for j in 0..<rank where c[o * rank + j] != 0 {
                let scale = c[o * rank + j]
                for i in 0..<fanIn { merged[o * fanIn + i] += scale * b[j * fanIn + i] }
            }
        }
        var layer = basis
        layer.name = coefficient.name
        layer.folded = coefficient.folded
        layer.outputShape = coefficient.outputShape
        layer.channelsBeforeCompaction = nil
        layer.weightsBeforeCompaction = nil
        layer.decomposition?.role = .merged
        layer.decomposition?.rank = rank
        switch (basis.op, coefficient.op) {
        case (.dense(let basisDense), .dense(let coefficientDense)):
            let bias = (0..<rows).map { o in
                coefficientDense.bias[o] + (0..<rank).reduce(0.0) { $0 + c[o * rank + $1] * basisDense.bias[$1] }
            }
            layer.op = .dense(DenseLayer(
                inputs: fanIn, outputs: rows, weights: merged, bias: bias, activation: coefficientDense.activation, mask: nil))
        case (.conv2d(var basisConv), .conv2d(let coefficientConv)):
            basisConv.bias = (0..<rows).map { o in
                coefficientConv.bias[o] + (0..<rank).reduce(0.0) { $0 + c[o * rank + $1] * basisConv.bias[$1] }
            }
            basisConv.outChannels = rows
            basisConv.weights = merged
            basisConv.activation = coefficientConv.activation
            layer.op = .conv2d(basisConv)
        default:
            preconditionFailure("an EDP pair is two dense or two conv2d layers")
        }
        result.layers.replaceSubrange((index - 1)...index, with: [layer])
    }
    return result
}

/// Removes the output channels of `graph`'s dense/conv2d layers (but the last) that carry only their
/// bias (row norm at most `threshold` × the layer's largest), as step 2 of `pruneAndMergeEDP` does:
/// dead units of the trained model, before any decomposition.
package func pruneConstantChannels(_ graph: Graph, threshold: Double) -> Graph {
    var result = graph
    let weighted = graph.layers.indices.filter { graph.layers[$0].op.weightMatrix != nil }
    let kept = constantChannelRows(&result, layers: weighted, threshold: threshold)
    return kept.isEmpty ? graph : compactFilters(result, kept: kept)
}

/// For each listed layer but the graph's last weighted one: the rows to keep after dropping those
/// whose norm is at most `threshold` × the largest and whose constant can be folded downstream
/// (folded into `graph` here). Layers that lose nothing are not in the result.
private func constantChannelRows(_ graph: inout Graph, layers: [Int], threshold: Double) -> [Int: [Int]] {
    let lastWeighted = graph.layers.indices.last { graph.layers[$0].op.weightMatrix != nil }
    var keptByLayer: [Int: [Int]] = [:]
    for index in layers where index != lastWeighted {
        let (w, rows, columns) = graph.layers[index].op.weightMatrix!
        let rowNorms = (0..<rows).map { o in (0..<columns).reduce(0.0) { $0 + w[o * columns + $1] * w[o * columns + $1] }.squareRoot() }
        var keptRows = survivors(rowNorms, threshold: threshold)
        for row in 0..<rows where !keptRows.contains(row) {
            if !foldConstantChannel(&graph, from: index, channel: row, channels: rows) { keptRows.append(row) }
        }
        keptRows.sort()
        if keptRows.count < rows { keptByLayer[index] = keptRows }
    }
    return keptByLayer
}

/// True when layer `index` holds EDP coefficients right after their basis.
private func isPair(_ graph: Graph, coefficientIndex index: Int) -> Bool {
    index > 0 && graph.layers[index].decomposition?.role == .coefficients
        && graph.layers[index - 1].decomposition?.role == .basis
}

/// Indices whose norm exceeds `threshold` × the largest (at least the largest one).
private func survivors(_ norms: [Double], threshold: Double) -> [Int] {
    let largest = norms.max() ?? 0
    let kept = norms.indices.filter { norms[$0] > threshold * largest }
    return kept.isEmpty ? [norms.indices.max { norms[$0] < norms[$1] } ?? 0] : kept
}

/// Folds the constant that output channel `channel` of layer `from` carries (its activated bias)
/// into the next weighted layer's bias. Returns false, changing nothing, where that would not be
/// exact (padding would mix the constant with zeros) and the constant is not zero.
func foldConstantChannel(_ graph: inout Graph, from index: Int, channel: Int, channels: Int) -> Bool {
    var value: Double
    switch graph.layers[index].op {
    case .dense(let dense): value = dense.activation.apply(dense.bias[channel])
    case .conv2d(let conv): value = conv.activation.apply(conv.bias[channel])
    case .maxPool2d, .avgPool2d, .flatten, .activation, .softmax: return false
    }
    var next = index + 1
    while next < graph.layers.count {
        switch graph.layers[next].op {
        case .activation(let activation):
            value = activation.apply(value)
            next += 1
            continue
        case .maxPool2d, .avgPool2d, .flatten:
            // Valid-padding pools of a constant give the constant; flatten only renames.
            next += 1
            continue
        case .softmax:
            return value == 0
        case .dense(var dense):
            if value != 0 {
                let perChannel = dense.inputs / channels
                for o in 0..<dense.outputs {
                    for column in (channel * perChannel)..<((channel + 1) * perChannel) {
                        dense.bias[o] += value * dense.weights[o * dense.inputs + column]
                    }
                }
                graph.layers[next].op = .dense(dense)
            }
            return true
        case .conv2d(var conv):
            guard value != 0 else { return true }
            let padding = conv.padding
            guard padding.top == 0 && padding.bottom == 0 && padding.left == 0 && padding.right == 0 else { return false }
            let area = conv.kernel.h * conv.kernel.w
            for o in 0..<conv.outChannels {
                let start = (o * conv.inChannels + channel) * area
                for tap in start..<(start + area) { conv.bias[o] += value * conv.weights[tap] }
            }
            graph.layers[next].op = .conv2d(conv)
            return true
        }
    }
    return value == 0
}
