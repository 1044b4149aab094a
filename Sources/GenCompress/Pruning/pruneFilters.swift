// GenCompress/Pruning/pruneFilters.swift - Filter-granularity k-of-n: whole output channels, compacted away.

import GenModel

/// Keeps k of every n output channels (filters) of each dense/conv2d layer but the last one (its
/// outputs are the model's), ranked by the L1 norm of the filter's weights, ties to the lower
/// index. A dropped filter is removed with its bias, so its output is gone rather than constant;
/// the layers up to the next dense/conv2d lose that channel too, and the next layer loses the
/// matching inputs. The result is a smaller dense graph, with no index tables at run time.
package func pruneFilters(_ graph: Graph, k: Int, n: Int) -> Graph {
    var kept: [Int: [Int]] = [:]
    for index in prunableFilterLayers(graph) {
        switch graph.layers[index].op {
        case .dense(let dense):
            kept[index] = keptFilters(dense.weights, rows: dense.outputs, perRow: dense.inputs, k: k, n: n)
        case .conv2d(let conv):
            kept[index] = keptFilters(conv.weights, rows: conv.outChannels, perRow: conv.fanIn, k: k, n: n)
        case .maxPool2d, .avgPool2d, .flatten, .activation, .softmax:
            break
        }
    }
    return compactFilters(graph, kept: kept)
}

/// The kept filter indices, ascending: k of every n by L1 norm (ties: lower index).
private func keptFilters(_ weights: [Double], rows: Int, perRow: Int, k: Int, n: Int) -> [Int] {
    let norms = (0..<rows).map { row in weights[(row * perRow)..<((row + 1) * perRow)].reduce(0) { $0 + abs($1) } }
    let mask = magnitudeMask(norms, rows: 1, fanIn: rows, k: k, n: n)
    return (0..<rows).filter { mask.kept[$0] }
}
