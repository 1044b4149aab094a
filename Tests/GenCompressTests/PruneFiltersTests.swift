// GenCompressTests/PruneFiltersTests.swift - Filter granularity: the compacted graph equals zeroing the filters.

import GenCompress
import GenModel
import GenSupport
import Testing

@Suite("Filter k-of-n with compaction")
struct PruneFiltersTests {
    static func model() -> String {
        var g = SeededGenerator(seed: 8)
        func tensor(_ count: Int) -> String { (0..<count).map { _ in String(g.uniform(-0.6, 0.6)) }.joined(separator: ",") }
        return """
            {"version": 1, "name": "f", "input": {"shape": [2, 7, 7]}, "layers": [
              {"type": "conv2d", "padding": "same", "weights": {"shape": [6, 2, 3, 3], "data": [\(tensor(108))]}, "bias": {"shape": [6], "data": [\(tensor(6))]}},
              {"type": "relu"},
              {"type": "maxpool2d", "size": [2, 2]},
              {"type": "conv2d", "activation": "relu6", "weights": {"shape": [5, 6, 2, 2], "data": [\(tensor(120))]}, "bias": {"shape": [5], "data": [\(tensor(5))]}},
              {"type": "flatten"},
              {"type": "dense", "activation": "relu", "weights": {"shape": [7, 20], "data": [\(tensor(140))]}, "bias": {"shape": [7], "data": [\(tensor(7))]}},
              {"type": "dense", "weights": {"shape": [3, 7], "data": [\(tensor(21))]}},
              {"type": "softmax"}]}
            """
    }

    @Test("compaction computes exactly what zeroing the dropped filters (weights and bias) computes")
    func equivalent() throws {
        let graph = fuseActivations(
            try loadModel(file: "f.json", bytes: Array(Self.model().utf8), diagnostics: DiagnosticEngine()))
        let compact = pruneFilters(graph, k: 2, n: 3)
        // Shapes: conv1 keeps 4 of 6, conv2 keeps 4 of 5 (groups 3 + 2: 2 + 2), dense1 keeps 5 of 7
        // (groups 3 + 3 + 1: 2 + 2 + 1), the last layer is untouched.
        let channels = compact.layers.compactMap { layer -> Int? in
            switch layer.op {
            case .conv2d(let conv): return conv.outChannels
            case .dense(let dense): return dense.outputs
            case .maxPool2d, .avgPool2d, .flatten, .activation, .softmax: return nil
            }
        }
        #expect(channels == [4, 4, 5, 3])
        // The same function as the original with every dropped filter's weights and bias zeroed.
        var zeroed = graph
        for index in zeroed.layers.indices {
            guard let before = compact.layers[index].channelsBeforeCompaction else { continue }
            let keptNorms: [Double]
            switch zeroed.layers[index].op {
            case .conv2d(var conv):
                keptNorms = (0..<before).map { f in conv.weights[(f * conv.fanIn)..<((f + 1) * conv.fanIn)].reduce(0) { $0 + abs($1) } }
                let kept = magnitudeMask(keptNorms, rows: 1, fanIn: before, k: 2, n: 3).kept
                for f in 0..<before where !kept[f] {
                    for i in 0..<conv.fanIn { conv.weights[f * conv.fanIn + i] = 0 }
                    conv.bias[f] = 0
                }
                zeroed.layers[index].op = .conv2d(conv)
            case .dense(var dense):
                keptNorms = (0..<before).map { f in dense.weights[(f * dense.inputs)..<((f + 1) * dense.inputs)].reduce(0) { $0 + abs($1) } }
                let kept = magnitudeMask(keptNorms, rows: 1, fanIn: before, k: 2, n: 3).kept
                for f in 0..<before where !kept[f] {
                    for i in 0..<dense.inputs { dense.weights[f * dense.inputs + i] = 0 }
                    dense.bias[f] = 0
                }
                zeroed.layers[index].op = .dense(dense)
            case .maxPool2d, .avgPool2d, .flatten, .activation, .softmax:
                continue
            }
        }
        var g = SeededGenerator(seed: 3)
        for _ in 0..<5 {
            let input = (0..<98).map { _ in g.uniform(-1, 1) }
            let a = FloatExecutor.run(compact, input: input)
            let b = FloatExecutor.run(zeroed, input: input)
            #expect(zip(a, b).allSatisfy { abs($0 - $1) < 1e-12 }, "\(a) vs \(b)")
        }
        // The compacted model is a valid model.json again.
        let written = writeModelJSON(compact, name: "f")
        let reread = try loadModel(file: "c.json", bytes: Array(written.utf8), diagnostics: DiagnosticEngine())
        #expect(reread.layers.map(\.outputShape) == compact.layers.map(\.outputShape))
    }
}
