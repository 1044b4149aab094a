// GenCompress/Decomposition/cutEDPToBudget.swift - EDP's weight budget with data: the weakest groups go until it holds.

import Foundation
import GenModel

/// What `cutEDPToBudget` removed.
package struct EDPBudgetCut: Sendable, Equatable {
    /// The budget: (1 − sparsity) of the weights the model was read with.
    package var budget: Int
    /// The dense/conv2d weights after the group-lasso training (each pair counted merged where that is
    /// smaller, as the PM module will leave it) and after the cut.
    package var weightsBefore: Int
    package var weightsAfter: Int
    /// Rank components (a basis channel with its coefficient column) and output channels the cut removed.
    package var rankComponents: Int
    package var channels: Int
    /// False when no cut that is left saves weights (every pair at one rank component, every layer that
    /// can lose channels at one, or the rest counted merged) and the budget still does not hold.
    package var met: Bool { weightsAfter <= budget }

    package init(budget: Int, weightsBefore: Int, weightsAfter: Int, rankComponents: Int, channels: Int) {
        self.budget = budget
        self.weightsBefore = weightsBefore
        self.weightsAfter = weightsAfter
        self.rankComponents = rankComponents
        self.channels = channels
    }
}

/// EDP's weight budget with data (`--prune edp --sparsity S --data`) [R]: algorithms.md §4.2 trains the
/// factors from full rank and §4.3 prunes the columns and rows of C that the group lasso drove to zero, at
/// a fixed threshold, so the compression is whatever the lasso strengths give. To reach a stated budget
/// instead, this zeroes the weakest groups until the network holds at most `budget` weights, counting
/// each pair as the PM module will leave it (factored, or merged where the factors are not smaller, so
/// a rank component of a pair that counts merged saves nothing and is not cut). The groups are the lasso's:
/// - a rank component j of a pair (basis channel j and coefficient column j), or several at once;
/// - an output channel o of a pair that is not the last weighted layer (row o of C, and the next
///   layer's weights that read it).
/// Each pass measures every group's strength: with `samples` and `labels`, the mean cross-entropy that
/// removing it alone adds on them (Molchanov et al. 2017's "oracle" ranking; weight norms proved a poor
/// guide across layers: on the wide digits CNN they cut conv2 to 3 channels); without, the share of its
/// family's weight norm (`‖C[:, j]‖·‖B[j, :]‖`; a channel's row of `C·B` times the next layer's weights
/// that read it). It then cuts the groups with the least strength per weight saved, a tenth of them per
/// pass (a greedy knapsack rule); the cut that reaches the budget is the one that holds up least among
/// those that would. A pair that counts merged offers its weakest rank components as one group, down
/// to the largest rank whose factors are smaller. A removed channel's bias is zeroed as well where its
/// constant could not be folded into the next layer exactly (a padded conv2d next); the PM module then
/// folds or drops it. Every pair keeps one rank component and every layer one channel. The caller runs
/// `pruneAndMergeEDP`, which removes the zeroed groups, and fine-tunes.
package func cutEDPToBudget(
    _ graph: Graph, budget: Int, samples: [[Double]] = [], labels: [Int] = []
) -> (graph: Graph, cut: EDPBudgetCut) {
    var result = graph
    var stages = weightedStages(graph)
    func total() -> Int { totalWeights(stages) }
    let before = total()
    var removedRanks = 0
    var removedChannels = 0
    let measured = !samples.isEmpty && samples.count == labels.count
    while total() > budget {
        var candidates = candidateGroups(result, stages: stages)
        guard !candidates.isEmpty else { break }
        if measured {
            // The loss decides: each group's strength is what removing it alone adds to the loss on the samples.
            let base = meanLoss(result, samples: samples, labels: labels)
            for c in candidates.indices {
                var without = result
                remove(candidates[c].group, from: &without, stages: stages)
                candidates[c].strength = meanLoss(without, samples: samples, labels: labels) - base
            }
        } else {
            shareWithinFamilies(&candidates)
        }
        candidates.sort { $0.strength / Double($0.saves) < $1.strength / Double($1.saves) }
        // A tenth of the candidates per pass (at least one), each still allowed when its turn comes.
        var taken = 0
        for next in candidates where taken < max(1, candidates.count / 10) && total() > budget {
            guard allowed(next.group, stages: stages) else { continue }
            var candidate = next
            // A cut that would reach the budget: among all that would, the one that holds up least (often
            // a smaller group, so the cut stops nearer the budget instead of overshooting by a whole channel).
            let used = total()
            if used - next.saves <= budget,
                let cheapest = candidates.filter({ used - $0.saves <= budget && allowed($0.group, stages: stages) })
                    .min(by: { $0.strength < $1.strength })
            {
                candidate = cheapest
            }
            remove(candidate.group, from: &result, stages: stages)
            switch candidate.group {
            case .rank(let s, let j):
                stages[s].liveRanks[j] = false
                removedRanks += 1
            case .ranks(let s, let components):
                for j in components { stages[s].liveRanks[j] = false }
                removedRanks += components.count
            case .channel(let s, let o):
                stages[s].liveRows[o] = false
                stages[s + 1].liveInputs[o] = false
                removedChannels += 1
            }
            taken += 1
        }
    }
    return (result, EDPBudgetCut(
        budget: budget, weightsBefore: before, weightsAfter: total(), rankComponents: removedRanks, channels: removedChannels))
}

/// The dense/conv2d weights of `graph` as the PM module would leave them (each pair counted merged where
/// its factors are not smaller).
package func edpWeightCount(_ graph: Graph) -> Int { totalWeights(weightedStages(graph)) }

private func totalWeights(_ stages: [Stage]) -> Int { stages.indices.reduce(0) { $0 + weights(of: $1, in: stages) } }

/// One dense/conv2d layer of the graph, or one basis/coefficient pair, with what is still alive.
private struct Stage {
    /// The layer holding the input weights (the basis of a pair) and the one holding the output rows
    /// (the coefficients of a pair; the same layer when whole).
    var first: Int
    var last: Int
    var isPair: Bool { first != last }
    var liveRows: [Bool]
    var liveInputs: [Bool]
    /// The rank components of a pair (empty for a whole layer).
    var liveRanks: [Bool]
    /// Weights per input channel: a conv2d's kernel area, a dense layer's inputs per channel it reads.
    var perInput: Int
    /// Whether an output channel's constant may be folded downstream as it is (else its bias is zeroed).
    var foldsAnyConstant: Bool
    /// Whether a removed output channel can be compacted away at all.
    var channelsRemovable: Bool
}

private func weightedStages(_ graph: Graph) -> [Stage] {
    var stages: [Stage] = []
    var index = 0
    let lastWeighted = graph.layers.indices.last { graph.layers[$0].op.weightMatrix != nil }
    while index < graph.layers.count {
        guard let matrix = graph.layers[index].op.weightMatrix else {
            index += 1
            continue
        }
        let pair = graph.layers[index].decomposition?.role == .basis && index + 1 < graph.layers.count
            && graph.layers[index + 1].decomposition?.role == .coefficients
        let last = pair ? index + 1 : index
        let rows = graph.layers[last].op.weightMatrix!.rows
        let inputChannels: Int
        switch graph.layers[index].op {
        case .conv2d(let conv): inputChannels = conv.inChannels
        case .dense(let dense): inputChannels = stages.last.map(\.liveRows.count) ?? dense.inputs
        case .maxPool2d, .avgPool2d, .flatten, .activation, .softmax: preconditionFailure("a weighted layer")
        }
        var stage = Stage(
            first: index, last: last, liveRows: Array(repeating: true, count: rows),
            liveInputs: Array(repeating: true, count: inputChannels),
            liveRanks: Array(repeating: true, count: pair ? matrix.rows : 0), perInput: matrix.fanIn / max(inputChannels, 1),
            foldsAnyConstant: false, channelsRemovable: false)
        // Probe the PM module's fold on a copy: a channel whose activated bias is 1 (any constant), or 0.
        if pair && last != lastWeighted {
            var probe = graph
            setBias(&probe, layer: last, channel: 0, to: 1)
            stage.foldsAnyConstant = foldConstantChannel(&probe, from: last, channel: 0, channels: rows)
            probe = graph
            setBias(&probe, layer: last, channel: 0, to: 0)
            stage.channelsRemovable = stage.foldsAnyConstant || foldConstantChannel(&probe, from: last, channel: 0, channels: rows)
        }
        stages.append(stage)
        index = last + 1
    }
    return stages
}

/// Weights of stage `s` with what is alive, a pair counted merged where its factors are not smaller.
private func weights(of s: Int, in stages: [Stage]) -> Int {
    let stage = stages[s]
    let rows = stage.liveRows.filter { $0 }.count
    let fanIn = stage.liveInputs.filter { $0 }.count * stage.perInput
    guard stage.isPair else { return rows * fanIn }
    return min(stage.liveRanks.filter { $0 }.count * (rows + fanIn), rows * fanIn)
}

private enum Group {
    case rank(stage: Int, component: Int)
    case channel(stage: Int, channel: Int)
    /// Several rank components of a pair that counts merged at once: down to the largest rank whose
    /// factors are smaller than the merged layer (one component at a time would save nothing until then).
    case ranks(stage: Int, components: [Int])
}

/// A group that may be cut now, its strength (weight norms, or the loss it holds up) and the weights
/// cutting it saves.
private struct Candidate {
    var group: Group
    var strength: Double
    var saves: Int
}

/// Every group whose cut saves weights now (a pair's rank components save nothing while it counts
/// merged), each pair keeping one rank component and each layer one channel. Strengths from the weights:
/// `‖C[:, j]‖·‖B[j, :]‖` for a rank component; for a channel, the norm of its row of `C·B` times that of
/// the next layer's weights that read it.
private func candidateGroups(_ graph: Graph, stages: [Stage]) -> [Candidate] {
    var candidates: [Candidate] = []
    for (s, stage) in stages.enumerated() where stage.isPair {
        let (b, rank, fanIn) = graph.layers[stage.first].op.weightMatrix!
        let (c, rows, _) = graph.layers[stage.last].op.weightMatrix!
        var fewerRanks = stages
        fewerRanks[s].liveRanks[stage.liveRanks.firstIndex(of: true)!] = false
        let rankSaves = weights(of: s, in: stages) - weights(of: s, in: fewerRanks)
        let componentStrength = (0..<rank).map { j -> Double in
            let column = (0..<rows).reduce(0.0) { $0 + c[$1 * rank + j] * c[$1 * rank + j] }.squareRoot()
            let basisRow = (0..<fanIn).reduce(0.0) { $0 + b[j * fanIn + $1] * b[j * fanIn + $1] }.squareRoot()
            return column * basisRow
        }
        let liveComponents = (0..<rank).filter { stage.liveRanks[$0] }
        if liveComponents.count > 1 && rankSaves > 0 {
            for j in liveComponents {
                candidates.append(Candidate(group: .rank(stage: s, component: j), strength: componentStrength[j], saves: rankSaves))
            }
        } else if liveComponents.count > 1 {
            // Counted merged: the weakest components go together, down to the largest rank that pays.
            let liveRows = stage.liveRows.filter { $0 }.count
            let liveFanIn = stage.liveInputs.filter { $0 }.count * stage.perInput
            let paying = (liveRows * liveFanIn - 1) / max(liveRows + liveFanIn, 1)
            if paying >= 1 && paying < liveComponents.count {
                let weakest = liveComponents.sorted { componentStrength[$0] < componentStrength[$1] }.prefix(liveComponents.count - paying)
                var truncated = stages
                for j in weakest { truncated[s].liveRanks[j] = false }
                let saves = weights(of: s, in: stages) - weights(of: s, in: truncated)
                if saves > 0 {
                    candidates.append(Candidate(
                        group: .ranks(stage: s, components: Array(weakest).sorted()), strength: weakest.reduce(0) { $0 + componentStrength[$1] },
                        saves: saves))
                }
            }
        }
        guard stage.channelsRemovable, stage.liveRows.filter({ $0 }).count > 1, s + 1 < stages.count else { continue }
        let next = stages[s + 1]
        let (nextWeights, nextRows, nextFanIn) = graph.layers[next.first].op.weightMatrix!
        for o in 0..<rows where stage.liveRows[o] {
            var fewerChannels = stages
            fewerChannels[s].liveRows[o] = false
            fewerChannels[s + 1].liveInputs[o] = false
            let saves = weights(of: s, in: stages) + weights(of: s + 1, in: stages)
                - weights(of: s, in: fewerChannels) - weights(of: s + 1, in: fewerChannels)
            guard saves > 0 else { continue }
            var effective = 0.0
            for i in 0..<fanIn {
                var value = 0.0
                for j in 0..<rank { value += c[o * rank + j] * b[j * fanIn + i] }
                effective += value * value
            }
            var reading = 0.0
            for r in 0..<nextRows {
                for i in (o * next.perInput)..<((o + 1) * next.perInput) {
                    reading += nextWeights[r * nextFanIn + i] * nextWeights[r * nextFanIn + i]
                }
            }
            candidates.append(Candidate(
                group: .channel(stage: s, channel: o), strength: effective.squareRoot() * reading.squareRoot(), saves: saves))
        }
    }
    return candidates
}

/// Without samples, weight-norm strengths are compared within their own family (one pair's rank
/// components, or one layer's channels), as shares of the family's total: layers differ in scale.
private func shareWithinFamilies(_ candidates: inout [Candidate]) {
    func family(_ group: Group) -> Int {
        switch group {
        case .rank(let s, _), .ranks(let s, _): return 2 * s
        case .channel(let s, _): return 2 * s + 1
        }
    }
    var totals: [Int: Double] = [:]
    for candidate in candidates { totals[family(candidate.group), default: 0] += candidate.strength }
    for c in candidates.indices {
        let total = totals[family(candidates[c].group)] ?? 0
        candidates[c].strength = total > 0 ? candidates[c].strength / total : 0
    }
}

/// Whether the group's pair keeps another rank component, or its layer another channel (and the
/// channel can be compacted away, and a layer follows that reads it).
private func allowed(_ group: Group, stages: [Stage]) -> Bool {
    switch group {
    case .rank(let s, let j):
        return stages[s].liveRanks[j] && stages[s].liveRanks.filter { $0 }.count > 1
    case .ranks(let s, let components):
        return components.allSatisfy { stages[s].liveRanks[$0] } && stages[s].liveRanks.filter { $0 }.count > components.count
    case .channel(let s, let o):
        return stages[s].liveRows[o] && stages[s].channelsRemovable && stages[s].liveRows.filter { $0 }.count > 1
            && s + 1 < stages.count
    }
}

private func remove(_ group: Group, from graph: inout Graph, stages: [Stage]) {
    switch group {
    case .rank(let s, let j): zeroRankComponent(&graph, stage: stages[s], component: j)
    case .ranks(let s, let components): for j in components { zeroRankComponent(&graph, stage: stages[s], component: j) }
    case .channel(let s, let o): zeroChannel(&graph, stage: stages[s], channel: o)
    }
}

/// Mean cross-entropy of `graph` on the samples (the softmax applied here when the graph ends without one).
private func meanLoss(_ graph: Graph, samples: [[Double]], labels: [Int]) -> Double {
    let endsInSoftmax: Bool
    if case .softmax = graph.layers.last?.op { endsInSoftmax = true } else { endsInSoftmax = false }
    var total = 0.0
    for (input, label) in zip(samples, labels) {
        let output = FloatExecutor.run(graph, input: input)
        guard label >= 0, label < output.count else { continue }
        if endsInSoftmax {
            total -= log(max(output[label], 1e-300))
        } else {
            let largest = output.max() ?? 0
            let sum = output.reduce(0) { $0 + exp($1 - largest) }
            total -= output[label] - largest - log(sum)
        }
    }
    return total / Double(max(samples.count, 1))
}

private func zeroRankComponent(_ graph: inout Graph, stage: Stage, component j: Int) {
    guard case (var b, let rank, let fanIn)? = graph.layers[stage.first].op.weightMatrix,
        case (var c, let rows, _)? = graph.layers[stage.last].op.weightMatrix
    else { return }
    for i in 0..<fanIn { b[j * fanIn + i] = 0 }
    for o in 0..<rows { c[o * rank + j] = 0 }
    graph.setParameters(ofLayer: stage.first, weights: b)
    graph.setParameters(ofLayer: stage.last, weights: c)
}

private func zeroChannel(_ graph: inout Graph, stage: Stage, channel o: Int) {
    guard case (var c, _, let rank)? = graph.layers[stage.last].op.weightMatrix else { return }
    for j in 0..<rank { c[o * rank + j] = 0 }
    graph.setParameters(ofLayer: stage.last, weights: c)
    if !stage.foldsAnyConstant { setBias(&graph, layer: stage.last, channel: o, to: 0) }
}

private func setBias(_ graph: inout Graph, layer: Int, channel: Int, to value: Double) {
    guard var bias = graph.layers[layer].op.bias else { return }
    bias[channel] = value
    graph.setParameters(ofLayer: layer, bias: bias)
}
