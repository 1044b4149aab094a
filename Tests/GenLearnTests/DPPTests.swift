// GenLearnTests/DPPTests.swift - DPP's sampler, its relaxation gradient, frozen masks and determinism.

import Foundation
import GenModel
import GenSupport
import Testing

@testable import GenLearn

@Suite("Dynamic Probabilistic Pruning")
struct DPPTests {
    @Test("every draw keeps exactly min(k, r) per group: the top-k of the perturbed logits", arguments: [
        (2, 4, 10), (3, 0, 7), (1, 5, 5), (4, 16, 9),
    ])
    func exactlyK(_ shape: (Int, Int, Int)) {
        let (k, n, fanIn) = shape
        var generator = SeededGenerator(seed: 4)
        let logits = (0..<(3 * fanIn)).map { _ in generator.uniform(-1, 1) }
        for draw in 0..<20 {
            let sample = sampleMask(logits, fanIn: fanIn, k: k, n: n, noise: 0.5, temperature: 2, generator: &generator)
            for row in 0..<3 {
                for group in groups(fanIn: fanIn, n: n) {
                    let kept = group.filter { sample.hard[row * fanIn + $0] }.count
                    #expect(kept == min(k, group.count), "draw \(draw) row \(row) group \(group)")
                }
            }
            // The relaxation has one softmax per drawn slot, each summing to 1.
            for (_, softmaxes) in sample.slots {
                for s in softmaxes { #expect(abs(s.reduce(0, +) - 1) < 1e-12) }
            }
        }
    }

    @Test("the relaxation's logit gradient equals the finite difference of Σ u·ã (same noise)")
    func relaxationGradient() {
        var g = SeededGenerator(seed: 11)
        let (fanIn, k, n) = (8, 3, 4)
        let logits = (0..<(2 * fanIn)).map { _ in g.uniform(-1, 1) }
        let u = (0..<(2 * fanIn)).map { _ in g.uniform(-1, 1) }
        func objective(_ values: [Double]) -> Double {
            var noise = SeededGenerator(seed: 99)
            let sample = sampleMask(values, fanIn: fanIn, k: k, n: n, noise: 0.3, temperature: 1.5, generator: &noise)
            var soft = [Double](repeating: 0, count: values.count)
            for (range, softmaxes) in sample.slots {
                for s in softmaxes { for (offset, position) in range.enumerated() { soft[position] += s[offset] } }
            }
            return zip(u, soft).reduce(0) { $0 + $1.0 * $1.1 }
        }
        var noise = SeededGenerator(seed: 99)
        let sample = sampleMask(logits, fanIn: fanIn, k: k, n: n, noise: 0.3, temperature: 1.5, generator: &noise)
        let analytic = sample.logitGradient(u, temperature: 1.5)
        for (i, numeric) in centralDifferences(objective, at: logits).enumerated() {
            #expect(abs(numeric - analytic[i]) < 1e-6, "φ[\(i)]: analytic \(analytic[i]), numeric \(numeric)")
        }
    }

    /// A 12-10-3 dense model with seeded weights and 90 seeded samples whose labels depend on two inputs.
    static func twoDenseLayers(seed: UInt64) throws -> (Graph, Dataset) {
        var g = SeededGenerator(seed: seed)
        func tensor(_ count: Int) -> String { (0..<count).map { _ in String(g.uniform(-0.5, 0.5)) }.joined(separator: ",") }
        let text = """
            {"version": 1, "name": "d", "input": {"shape": [12]}, "layers": [
              {"type": "dense", "activation": "relu", "weights": {"shape": [10, 12], "data": [\(tensor(120))]}},
              {"type": "dense", "weights": {"shape": [3, 10], "data": [\(tensor(30))]}}]}
            """
        let graph = try loadModel(file: "d.json", bytes: Array(text.utf8), diagnostics: DiagnosticEngine())
        let inputs = (0..<90).map { _ in (0..<12).map { _ in g.uniform(-1, 1) } }
        return (graph, Dataset(inputs: inputs, labels: inputs.map { $0[0] > 0.3 ? 2 : ($0[1] > 0 ? 1 : 0) }))
    }

    @Test("trained masks are k-of-n, reproducible by seed, and the loss falls")
    func training() throws {
        let (graph, data) = try Self.twoDenseLayers(seed: 21)
        var options = DPPOptions(k: 2, n: 4, epochs: 6, fineTuneEpochs: 2, seed: 5)
        options.training.batchSize = 16
        let first = trainDPP(graph, on: data, options: options)
        let second = trainDPP(graph, on: data, options: options)
        for (a, b) in zip(first.graph.layers, second.graph.layers) {
            guard case .dense(let x) = a.op, case .dense(let y) = b.op else { continue }
            #expect(x.mask == y.mask && x.weights == y.weights, "not reproducible by seed")
            let mask = try #require(x.mask)
            for row in 0..<x.outputs {
                for group in groups(fanIn: x.inputs, n: 4) {
                    #expect(group.filter { mask.kept[row * x.inputs + $0] }.count == min(2, group.count))
                }
            }
            for (weight, kept) in zip(x.weights, mask.kept) where !kept { #expect(weight == 0) }
        }
        #expect(first.history.count == 8)
        #expect(first.history.last!.loss < first.history.first!.loss, "the loss did not fall")
        #expect(first.metrics.count == 2 && first.metrics.allSatisfy { (0...1).contains($0.confidence) && (0...1).contains($0.diversity) })
    }

    @Test("vector-wise (rowsPerSet 4): each set of rows learns one mask, k of n per group; 1 reproduces the per-row run")
    func vectorWise() throws {
        let (graph, data) = try Self.twoDenseLayers(seed: 23)
        var options = DPPOptions(k: 2, n: 4, epochs: 6, fineTuneEpochs: 2, seed: 5)
        options.training.batchSize = 16
        let perRow = trainDPP(graph, on: data, options: options)
        options.rowsPerSet = 1
        let explicitOne = trainDPP(graph, on: data, options: options)
        for (a, b) in zip(perRow.graph.layers, explicitOne.graph.layers) {
            guard case .dense(let x) = a.op, case .dense(let y) = b.op else { continue }
            #expect(x.mask == y.mask && x.weights == y.weights, "rowsPerSet 1 differs from the default")
        }
        options.rowsPerSet = 4
        let shared = trainDPP(graph, on: data, options: options)
        var checked = 0
        var setsDiffer = false
        for layer in shared.graph.layers {
            guard case .dense(let x) = layer.op else { continue }
            let mask = try #require(x.mask)
            #expect(mask.rowsPerSet == min(4, x.outputs), "a set is at most the layer (3 rows in the second)")
            let rowMasks = (0..<x.outputs).map { Array(mask.kept[($0 * x.inputs)..<(($0 + 1) * x.inputs)]) }
            for row in 0..<x.outputs {
                // Sets of rows 0-3, 4-7 and 8-9 in the first layer; 0-2, one shorter set, in the second.
                #expect(rowMasks[row] == rowMasks[row / 4 * 4], "row \(row) leaves its set's positions")
                setsDiffer = setsDiffer || rowMasks[row] != rowMasks[0]
                for group in groups(fanIn: x.inputs, n: 4) {
                    #expect(group.filter { rowMasks[row][$0] }.count == min(2, group.count))
                }
            }
            for (weight, kept) in zip(x.weights, mask.kept) where !kept { #expect(weight == 0) }
            checked += 1
        }
        #expect(checked == 2)
        #expect(setsDiffer, "every set chose the same positions: the sets did not learn apart")
    }

    @Test("kernel granularity: the learned mask keeps whole kh×kw kernels, k of every n channels")
    func kernels() throws {
        var g = SeededGenerator(seed: 31)
        func tensor(_ count: Int) -> String { (0..<count).map { _ in String(g.uniform(-0.5, 0.5)) }.joined(separator: ",") }
        let text = """
            {"version": 1, "name": "k", "input": {"shape": [6, 5, 5]}, "layers": [
              {"type": "conv2d", "activation": "relu", "weights": {"shape": [4, 6, 3, 3], "data": [\(tensor(216))]}},
              {"type": "flatten"},
              {"type": "dense", "weights": {"shape": [3, 36], "data": [\(tensor(108))]}}]}
            """
        let graph = try loadModel(file: "k.json", bytes: Array(text.utf8), diagnostics: DiagnosticEngine())
        let inputs = (0..<48).map { _ in (0..<150).map { _ in g.uniform(-1, 1) } }
        let data = Dataset(inputs: inputs, labels: inputs.map { $0[7] > 0 ? 1 : ($0[60] > 0 ? 2 : 0) })
        var options = DPPOptions(k: 2, n: 4, epochs: 3, fineTuneEpochs: 1, seed: 2)
        options.granularity = .kernel
        options.training.batchSize = 16
        let result = trainDPP(graph, on: data, options: options)
        guard case .conv2d(let conv) = result.graph.layers[0].op, let mask = conv.mask else {
            Issue.record("no conv mask")
            return
        }
        #expect(mask.unit == 9)
        for oc in 0..<4 {
            let keptChannels = (0..<6).filter { mask.kept[(oc * 6 + $0) * 9] }
            for c in 0..<6 {
                let cells = (0..<9).map { mask.kept[(oc * 6 + c) * 9 + $0] }
                #expect(Set(cells).count == 1, "kernel \(oc),\(c) is partly kept")
            }
            #expect(keptChannels.filter { $0 < 4 }.count == 2 && keptChannels.filter { $0 >= 4 }.count == 2)
        }
    }

    @Test("filter granularity: DPP keeps k of every n filters per layer (not the last) and compacts them")
    func filters() throws {
        var g = SeededGenerator(seed: 41)
        func tensor(_ count: Int) -> String { (0..<count).map { _ in String(g.uniform(-0.5, 0.5)) }.joined(separator: ",") }
        let text = """
            {"version": 1, "name": "f", "input": {"shape": [2, 5, 5]}, "layers": [
              {"type": "conv2d", "activation": "relu", "weights": {"shape": [6, 2, 3, 3], "data": [\(tensor(108))]}, "bias": {"shape": [6], "data": [\(tensor(6))]}},
              {"type": "flatten"},
              {"type": "dense", "activation": "relu", "weights": {"shape": [8, 54], "data": [\(tensor(432))]}},
              {"type": "dense", "weights": {"shape": [3, 8], "data": [\(tensor(24))]}}]}
            """
        let graph = try loadModel(file: "f.json", bytes: Array(text.utf8), diagnostics: DiagnosticEngine())
        let inputs = (0..<48).map { _ in (0..<50).map { _ in g.uniform(-1, 1) } }
        let data = Dataset(inputs: inputs, labels: inputs.map { $0[3] > 0 ? 1 : ($0[30] > 0 ? 2 : 0) })
        var options = DPPOptions(k: 2, n: 3, epochs: 3, fineTuneEpochs: 1, seed: 2)
        options.granularity = .filter
        options.training.batchSize = 16
        let result = trainDPP(graph, on: data, options: options)
        let shapes = result.graph.layers.map(\.outputShape)
        #expect(shapes == [[4, 3, 3], [36], [6], [3]], "\(shapes)")
        #expect(result.metrics.count == 2)
        let again = trainDPP(graph, on: data, options: options)
        #expect(again.graph.layers.map(\.outputShape) == shapes)
        guard case .dense(let a) = result.graph.layers[3].op, case .dense(let b) = again.graph.layers[3].op else { return }
        #expect(a.weights == b.weights, "not reproducible by seed")
    }
}
