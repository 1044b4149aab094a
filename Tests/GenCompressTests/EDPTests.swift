// GenCompressTests/EDPTests.swift - EDP: SVD factors, rank rules, group lasso, pruning and merging.

import GenCompress
import GenModel
import GenSupport
import Testing

@Suite("EDP: basis x coefficients, channel pruning and merging")
struct EDPTests {
    /// conv (padding same) -> relu -> maxpool -> conv (valid) -> flatten -> dense -> dense -> softmax.
    static func model(seed: UInt64 = 3) -> String {
        var g = SeededGenerator(seed: seed)
        func tensor(_ count: Int) -> String { (0..<count).map { _ in String(g.uniform(-0.6, 0.6)) }.joined(separator: ",") }
        return """
            {"version": 1, "name": "e", "input": {"shape": [2, 6, 6]}, "layers": [
              {"type": "conv2d", "padding": "same", "weights": {"shape": [6, 2, 3, 3], "data": [\(tensor(108))]}, "bias": {"shape": [6], "data": [\(tensor(6))]}},
              {"type": "relu"},
              {"type": "maxpool2d", "size": [2, 2]},
              {"type": "conv2d", "activation": "relu6", "weights": {"shape": [5, 6, 2, 2], "data": [\(tensor(120))]}, "bias": {"shape": [5], "data": [\(tensor(5))]}},
              {"type": "flatten"},
              {"type": "dense", "activation": "relu", "weights": {"shape": [12, 20], "data": [\(tensor(240))]}, "bias": {"shape": [12], "data": [\(tensor(12))]}},
              {"type": "dense", "weights": {"shape": [3, 12], "data": [\(tensor(36))]}, "bias": {"shape": [3], "data": [\(tensor(3))]}},
              {"type": "softmax"}]}
            """
    }

    static func graph() throws -> Graph {
        fuseActivations(try loadModel(file: "e.json", bytes: Array(model().utf8), diagnostics: DiagnosticEngine()))
    }

    static func inputs(_ count: Int) -> [[Double]] {
        var g = SeededGenerator(seed: 11)
        return (0..<count).map { _ in (0..<72).map { _ in g.uniform(-1, 1) } }
    }

    static func largestDifference(_ a: Graph, _ b: Graph) -> Double {
        var worst = 0.0
        for input in inputs(8) {
            let x = FloatExecutor.run(a, input: input)
            let y = FloatExecutor.run(b, input: input)
            #expect(x.count == y.count)
            for (p, q) in zip(x, y) { worst = max(worst, abs(p - q)) }
        }
        return worst
    }

    @Test("GSL's SVD reconstructs tall and wide matrices with orthonormal factors, values descending")
    func svd() throws {
        var g = SeededGenerator(seed: 2)
        for (rows, columns) in [(7, 4), (3, 9), (5, 5)] {
            let a = (0..<(rows * columns)).map { _ in g.uniform(-1, 1) }
            let d = try #require(singularValueDecomposition(a, rows: rows, columns: columns))
            let m = min(rows, columns)
            #expect(d.components == m)
            for j in 1..<m { #expect(d.values[j - 1] >= d.values[j]) }
            for r in 0..<rows {
                for c in 0..<columns {
                    let value = (0..<m).reduce(0.0) { $0 + d.u[r * m + $1] * d.values[$1] * d.v[c * m + $1] }
                    #expect(abs(value - a[r * columns + c]) < 1e-12)
                }
            }
            for i in 0..<m {
                for j in 0..<m {
                    let uu = (0..<rows).reduce(0.0) { $0 + d.u[$1 * m + i] * d.u[$1 * m + j] }
                    let vv = (0..<columns).reduce(0.0) { $0 + d.v[$1 * m + i] * d.v[$1 * m + j] }
                    #expect(abs(uu - (i == j ? 1 : 0)) < 1e-12 && abs(vv - (i == j ? 1 : 0)) < 1e-12)
                }
            }
        }
        // diag(3, 2, 1) in a 3 x 4 matrix: singular values 3, 2, 1.
        let d = try #require(singularValueDecomposition([0, 3, 0, 0, 2, 0, 0, 0, 0, 0, 0, -1], rows: 3, columns: 4))
        #expect(d.values.map { ($0 * 1e9).rounded() / 1e9 } == [3, 2, 1])
    }

    @Test("factored at full rank, the graph computes what the model computes")
    func fullRankIsExact() throws {
        let graph = try Self.graph()
        let plans = planEDP(graph, rule: .energy(1), onlyWhenSmaller: false)
        #expect(plans.map(\.fullRank) == [6, 5, 12, 3])
        let factored = decomposeEDP(graph, plans: plans)
        #expect(factored.layers.count == graph.layers.count + 4)
        #expect(factored.layers.map(\.name).filter { $0.hasSuffix("_basis") }.count == 4)
        #expect(Self.largestDifference(graph, factored) < 1e-9)
        // The factors' product at full rank is the layer, so every pair merges back to the same function;
        // with biases on the basis layers too (training gives them), which the merge moves into C·b_B.
        var biased = factored
        var g = SeededGenerator(seed: 9)
        for index in biased.layers.indices where biased.layers[index].decomposition?.role == .basis {
            switch biased.layers[index].op {
            case .dense(var dense):
                dense.bias = dense.bias.map { _ in g.uniform(-0.5, 0.5) }
                biased.layers[index].op = .dense(dense)
            case .conv2d(var conv):
                conv.bias = conv.bias.map { _ in g.uniform(-0.5, 0.5) }
                biased.layers[index].op = .conv2d(conv)
            case .maxPool2d, .avgPool2d, .flatten, .activation, .softmax:
                break
            }
        }
        let mergedBiased = pruneAndMergeEDP(biased, threshold: 1e-3)
        #expect(mergedBiased.layers.count == graph.layers.count)
        #expect(Self.largestDifference(biased, mergedBiased) < 1e-9)
        #expect(Self.largestDifference(graph, biased) > 1e-3)
        let merged = pruneAndMergeEDP(factored, threshold: 1e-3)
        #expect(merged.layers.count == graph.layers.count)
        #expect(merged.layers.allSatisfy { $0.decomposition == nil || $0.decomposition?.role == .merged })
        #expect(Self.largestDifference(graph, merged) < 1e-9)
    }

    @Test("the energy and rank rules pick the hand-computed ranks; data-free keeps layers whole that would grow")
    func rankRules() throws {
        let graph = try Self.graph()
        // The 12 x 20 dense layer: 12·20 = 240 weights; rank r costs 32r, so ranks up to 7 are smaller.
        let plans = planEDP(graph, rule: .energy(0.9))
        let dense = plans[2]
        #expect(dense.largestSmallerRank == 7)
        var rank = 1
        while dense.energy(rank: rank) < 0.9 { rank += 1 }
        #expect(dense.rank == (rank <= 7 ? rank : nil))
        let ranked = planEDP(graph, rule: .rank(2))
        // conv1 6 x 18 (rank 2 costs 48 < 108), conv2 5 x 24 (58 < 120), dense 64 < 240, last 3 x 12: 30 < 36.
        #expect(ranked.map(\.rank) == [2, 2, 2, 2])
        #expect(planEDP(graph, rule: .rank(3)).map(\.rank) == [3, 3, 3, nil])
        // Energy 1 keeps the full rank, which is never smaller.
        #expect(planEDP(graph, rule: .energy(1)).allSatisfy { $0.rank == nil })
    }

    @Test("the weight budget is met, and each move is the one losing least energy per weight")
    func budget() throws {
        let graph = try Self.graph()
        let plans = planEDP(graph, rule: .sparsity(0.6))
        let dense = plans.reduce(0) { $0 + $1.denseWeights }
        let planned = plans.reduce(0) { $0 + $1.plannedWeights }
        #expect(Double(planned) <= 0.4 * Double(dense), "planned \(planned) of \(dense)")
        // Hand-built: two layers; one has all its energy in one component, the other spread evenly.
        let concentrated = "{\"shape\": [4, 8], \"data\": [" + (0..<32).map { $0 < 8 ? "1" : "0.001" }.joined(separator: ",") + "]}"
        var g = SeededGenerator(seed: 4)
        let spread = "{\"shape\": [4, 4], \"data\": [" + (0..<16).map { _ in String(g.uniform(-1, 1)) }.joined(separator: ",") + "]}"
        let text = """
            {"version": 1, "name": "b", "input": {"shape": [8]}, "layers": [
              {"type": "dense", "weights": \(concentrated)}, {"type": "dense", "weights": \(spread)}]}
            """
        let two = try loadModel(file: "b.json", bytes: Array(text.utf8), diagnostics: DiagnosticEngine())
        let chosen = planEDP(two, rule: .sparsity(0.25))
        // 48 weights, budget 36: the concentrated 4 x 8 layer drops to rank 1 (12 weights, almost no
        // energy lost); the evenly spread 4 x 4 one (rank 1 would cost 8 of 16) stays whole.
        #expect(chosen[0].rank == 1 && chosen[1].rank == nil)
    }

    @Test("group lasso shrinks whole columns and rows by step·√length, to exactly zero")
    func groupLasso() {
        // 2 x 2: column 0 = (3, 4) (norm 5), column 1 = (0.1, 0) (norm 0.1).
        var w: [Double] = [3, 0.1, 4, 0]
        applyGroupLasso(&w, rows: 2, columns: 2, columnStep: 0.5, rowStep: 0)
        let scale = 1 - 0.5 * 2.0.squareRoot() / 5
        #expect(abs(w[0] - 3 * scale) < 1e-12 && abs(w[2] - 4 * scale) < 1e-12)
        #expect(w[1] == 0 && w[3] == 0)
        var rows: [Double] = [0.2, 0.1, 3, 4]
        applyGroupLasso(&rows, rows: 2, columns: 2, columnStep: 0, rowStep: 0.5)
        #expect(rows[0] == 0 && rows[1] == 0)
        #expect(abs(rows[2] - 3 * scale) < 1e-12)
    }

    @Test("zero coefficient columns and rows are pruned exactly; the folded constants keep the function")
    func pruneChannels() throws {
        let graph = try Self.graph()
        var factored = decomposeEDP(graph, plans: planEDP(graph, rule: .energy(1), onlyWhenSmaller: false))
        // The dense 12 x 20 pair (layers 6 and 7): zero coefficient column 1 (basis channel 1 unused)
        // and coefficient rows 2 and 5 (those outputs become their relu(bias), folded into the next layer).
        guard case .dense(var c) = factored.layers[7].op else { Issue.record("expected the dense coefficients"); return }
        for o in 0..<c.outputs { c.weights[o * c.inputs + 1] = 0 }
        for o in [2, 5] { for j in 0..<c.inputs { c.weights[o * c.inputs + j] = 0 } }
        c.bias[2] = 0.4
        c.bias[5] = -0.3
        factored.layers[7].op = .dense(c)
        let pruned = pruneAndMergeEDP(factored, threshold: 1e-3)
        #expect(Self.largestDifference(factored, pruned) < 1e-9)
        let denseLayers = pruned.layers.compactMap { layer -> (Int, Int)? in
            if case .dense(let d) = layer.op { return (d.inputs, d.outputs) }
            return nil
        }
        // basis 20 -> 11, coefficients 11 -> 10: 11·30 = 330 >= 200 weights, so the pair is merged
        // back into 20 -> 10; the last layer's inputs drop from 12 to 10 (it was merged too).
        #expect(denseLayers.map(\.0) == [20, 10] && denseLayers.map(\.1) == [10, 3])
        #expect(pruned.layers.first { $0.name == "dense6" }?.decomposition?.role == .merged)
    }

    @Test("a layer compacted twice (dead units, then a pruned coefficient row) keeps its weight count as read")
    func compactedTwice() throws {
        var g = SeededGenerator(seed: 6)
        let first = (0..<48).map { $0 < 6 ? "0" : String(g.uniform(-1, 1)) }.joined(separator: ",")
        let second = (0..<8).map { _ in String(g.uniform(-1, 1)) }.joined(separator: ",")
        let text = """
            {"version": 1, "name": "t", "input": {"shape": [6]}, "layers": [
              {"type": "dense", "activation": "relu", "weights": {"shape": [8, 6], "data": [\(first)]}, "bias": {"shape": [8], "data": [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]}},
              {"type": "dense", "weights": {"shape": [1, 8], "data": [\(second)]}}]}
            """
        let graph = try loadModel(file: "t.json", bytes: Array(text.utf8), diagnostics: DiagnosticEngine())
        let live = pruneConstantChannels(graph, threshold: 1e-3)
        #expect(live.layers[1].weightsBeforeCompaction == 8)
        var factored = decomposeEDP(live, plans: planEDP(live, rule: .rank(2)))
        #expect(factored.layers.count == 3)
        guard case .dense(var c) = factored.layers[1].op else { Issue.record("expected the coefficients"); return }
        for j in 0..<c.inputs { c.weights[3 * c.inputs + j] = 0 }
        factored.layers[1].op = .dense(c)
        let pruned = pruneAndMergeEDP(factored, threshold: 1e-3)
        guard case .dense(let last) = pruned.layers.last?.op else { Issue.record("expected dense"); return }
        #expect(last.inputs < 7)
        #expect(pruned.layers.last?.weightsBeforeCompaction == 8)
        #expect(Self.largestDifferenceOf(factored, pruned, inputs: 6) < 1e-9)
    }

    static func largestDifferenceOf(_ a: Graph, _ b: Graph, inputs: Int) -> Double {
        var g = SeededGenerator(seed: 12)
        var worst = 0.0
        for _ in 0..<8 {
            let input = (0..<inputs).map { _ in g.uniform(-1, 1) }
            for (p, q) in zip(FloatExecutor.run(a, input: input), FloatExecutor.run(b, input: input)) { worst = max(worst, abs(p - q)) }
        }
        return worst
    }

    @Test("constant channels before a padded conv go only when their constant is zero")
    func paddingBlocksFolding() throws {
        let text = """
            {"version": 1, "name": "p", "input": {"shape": [1, 4, 4]}, "layers": [
              {"type": "conv2d", "padding": "valid", "weights": {"shape": [2, 1, 1, 1], "data": [1, 0]}, "bias": {"shape": [2], "data": [0, 0.5]}},
              {"type": "conv2d", "padding": "same", "weights": {"shape": [1, 2, 3, 3], "data": [\((0..<18).map { _ in "0.1" }.joined(separator: ","))]}},
              {"type": "flatten"}]}
            """
        let graph = try loadModel(file: "p.json", bytes: Array(text.utf8), diagnostics: DiagnosticEngine())
        // Channel 1 is the constant 0.5 everywhere; zero padding makes it differ at the borders.
        let kept = pruneConstantChannels(graph, threshold: 1e-3)
        guard case .conv2d(let first) = kept.layers[0].op else { Issue.record("expected conv2d"); return }
        #expect(first.outChannels == 2)
    }

    /// Weights of the dense/conv2d layers of `graph`.
    static func weightCount(_ graph: Graph) -> Int {
        graph.layers.reduce(0) { $0 + ($1.op.weightMatrix?.weights.count ?? 0) }
    }

    @Test("the budget cut counts what the PM module leaves: after pruning and merging the graph holds its figure, within the budget", arguments: [450, 350, 250, 150, 80])
    func budgetCutMatchesPruning(budget: Int) throws {
        let graph = try Self.graph()
        let factored = decomposeEDP(graph, plans: planEDP(graph, rule: .energy(1), onlyWhenSmaller: false))
        let (cutGraph, cut) = cutEDPToBudget(factored, budget: budget)
        #expect(cut.met && cut.weightsAfter <= budget)
        #expect(cut.rankComponents + cut.channels > 0)
        let pruned = pruneAndMergeEDP(cutGraph, threshold: 1e-3)
        #expect(Self.weightCount(pruned) == cut.weightsAfter)
        // The zeroed groups are gone without changing what the cut graph computes.
        #expect(Self.largestDifference(cutGraph, pruned) < 1e-9)
    }

    @Test("the cut takes the weakest group per weight first: the hidden unit the next layer barely reads, by weight norms or by the loss on samples")
    func budgetCutOrder() throws {
        // dense 4 -> 3 (relu) -> dense 3 -> 2. Unit 2 of the first layer is read with weights 1e-4; the
        // rest is strong. Factored at full rank, the first pair holds 3·(4 + 3) = 21 > 12 weights, so it
        // counts merged (12); the second 2·(3 + 2) = 10 > 6 (6): 18 in all.
        let text = """
            {"version": 1, "name": "c", "input": {"shape": [4]}, "layers": [
              {"type": "dense", "activation": "relu", "weights": {"shape": [3, 4], "data": [1, 0.5, 0, 0, 0, 1, 0.5, 0, 0.3, 0, 1, 0.5]}, "bias": {"shape": [3], "data": [0.1, 0.2, 0.3]}},
              {"type": "dense", "weights": {"shape": [2, 3], "data": [1, -1, 0.0001, 0.5, 2, -0.0001]}, "bias": {"shape": [2], "data": [0, 0]}}]}
            """
        let graph = try loadModel(file: "c.json", bytes: Array(text.utf8), diagnostics: DiagnosticEngine())
        let factored = decomposeEDP(graph, plans: planEDP(graph, rule: .energy(1), onlyWhenSmaller: false))
        let (cutGraph, cut) = cutEDPToBudget(factored, budget: 16)
        #expect(cut.weightsBefore == 18)
        // Unit 2 goes (its constant relu(0.3) folds into the last layer's bias): 4·2 + 2·2 = 12 weights.
        #expect(cut.channels == 1 && cut.rankComponents == 0 && cut.weightsAfter == 12)
        let pruned = pruneAndMergeEDP(cutGraph, threshold: 1e-3)
        #expect(Self.weightCount(pruned) == 12)
        #expect(Self.largestDifferenceOf(cutGraph, pruned, inputs: 4) < 1e-9)
        // The function changes only by what unit 2 carried through 1e-4 weights.
        #expect(Self.largestDifferenceOf(graph, pruned, inputs: 4) < 1e-3)
        // Measured on samples (labels: the model's own classes), the loss picks the same unit.
        var g = SeededGenerator(seed: 5)
        let samples = (0..<32).map { _ in (0..<4).map { _ in g.uniform(-1, 1) } }
        let labels = samples.map { input -> Int in
            let output = FloatExecutor.run(graph, input: input)
            return output.indices.max { output[$0] < output[$1] } ?? 0
        }
        let (measuredGraph, measured) = cutEDPToBudget(factored, budget: 16, samples: samples, labels: labels)
        #expect(measured.channels == 1 && measured.weightsAfter == 12)
        #expect(Self.largestDifferenceOf(cutGraph, measuredGraph, inputs: 4) < 1e-12)
    }

    @Test("a pair that counts merged is cut to the largest rank that pays at once, then one component at a time")
    func budgetCutThroughMergedRanks() throws {
        // One dense 8 -> 8 layer (its outputs are the classes: only ranks can go). At full rank its
        // factors hold 8·16 = 128 weights, counted merged as 64; rank 3 (48) is the largest that pays.
        var g = SeededGenerator(seed: 9)
        let data = (0..<64).map { _ in String(g.uniform(-1, 1)) }.joined(separator: ",")
        let text = """
            {"version": 1, "name": "r", "input": {"shape": [8]}, "layers": [
              {"type": "dense", "weights": {"shape": [8, 8], "data": [\(data)]}}]}
            """
        let graph = try loadModel(file: "r.json", bytes: Array(text.utf8), diagnostics: DiagnosticEngine())
        let factored = decomposeEDP(graph, plans: planEDP(graph, rule: .energy(1), onlyWhenSmaller: false))
        let (cutGraph, cut) = cutEDPToBudget(factored, budget: 16)
        #expect(cut.weightsBefore == 64 && cut.met && cut.weightsAfter == 16 && cut.rankComponents == 7)
        let pruned = pruneAndMergeEDP(cutGraph, threshold: 1e-3)
        #expect(Self.weightCount(pruned) == 16)
        // What is left is the best rank-1 approximation: the SVD's first component.
        let plan = planEDP(graph, rule: .rank(1))
        #expect(Self.largestDifferenceOf(pruned, decomposeEDP(graph, plans: plan), inputs: 8) < 1e-9)
        // A budget below rank 1 cannot be met: the cut stops there and says so.
        let (_, short) = cutEDPToBudget(factored, budget: 10)
        #expect(!short.met && short.weightsAfter == 16)
    }
}
