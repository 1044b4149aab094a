// GenCompressTests/QuantizeWeightsTests.swift - Weights the fixed-point formats cannot hold are reported, not hidden.

import GenCompress
import GenModel
import GenSupport
import Testing

@Suite("Quantization: weights beyond every scale")
struct QuantizeWeightsTests {
    static func quantize(weight: String) throws -> DiagnosticEngine {
        let text = """
            {"version": 1, "name": "w", "input": {"shape": [2], "range": [0, 1]}, "layers": [
              {"type": "dense", "name": "fc", "weights": {"shape": [2, 2], "data": [\(weight), 0.5, 0.25, -0.5]}}]}
            """
        let diagnostics = DiagnosticEngine()
        let graph = try loadModel(file: "w.json", bytes: Array(text.utf8), diagnostics: diagnostics)
        _ = quantizeGraph(
            graph, calibratedMaxAbs: graph.layers.map { _ in 4 }, options: QuantizationOptions(weightBits: 8, activationBits: 8, weightScaling: .perChannel),
            calibrationSource: "test", diagnostics: diagnostics)
        return diagnostics
    }

    @Test("a weight of 1e300 saturates with a warning naming the layer; ordinary weights give none")
    func hugeWeightWarns() throws {
        let huge = try Self.quantize(weight: "1e300")
        let warnings = huge.diagnostics.filter { $0.message.contains("exceed the weight type's range") }
        #expect(warnings.count == 1 && warnings[0].message.contains("layer 'fc': weights of 1 output(s)"))
        let plain = try Self.quantize(weight: "0.75")
        #expect(!plain.diagnostics.contains { $0.message.contains("exceed the weight type's range") })
    }
}
