// GenModelTests/LoadModelTests.swift - Shapes, padding, batchnorm folding and the pruned.json round trip.

import GenModel
import GenSupport
import Testing

@Suite("Model reader")
struct LoadModelTests {
    func load(_ text: String) throws -> Graph {
        try loadModel(file: "m.json", bytes: Array(text.utf8), diagnostics: DiagnosticEngine())
    }

    @Test("same padding follows TensorFlow: ceil(in / stride), extra padding at the bottom/right")
    func samePadding() throws {
        let graph = try load("""
            {"version": 1, "name": "p", "input": {"shape": [1, 7, 6]}, "layers": [
              {"type": "conv2d", "stride": [2, 2], "padding": "same",
               "weights": {"shape": [1, 1, 4, 4], "data": [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]}}]}
            """)
        #expect(graph.layers[0].outputShape == [1, 4, 3])
        guard case .conv2d(let conv) = graph.layers[0].op else { Issue.record("not conv"); return }
        // H: out 4, total pad (4-1)*2 + 4 - 7 = 3 -> top 1, bottom 2; W: out 3, total (3-1)*2+4-6 = 2 -> 1, 1.
        #expect(conv.padding == (1, 2, 1, 1))
    }

    @Test("batchnorm folds into the dense layer before it exactly")
    func foldsBatchNorm() throws {
        let graph = try load("""
            {"version": 1, "name": "b", "input": {"shape": [2]}, "layers": [
              {"type": "dense", "weights": {"shape": [2, 2], "data": [1, 2, 3, 4]}, "bias": {"shape": [2], "data": [0.5, -1]}},
              {"type": "batchnorm", "gamma": {"shape": [2], "data": [2, 1]}, "beta": {"shape": [2], "data": [0, 1]},
               "mean": {"shape": [2], "data": [1, 0]}, "var": {"shape": [2], "data": [3, 0.25]}, "epsilon": 1}]}
            """)
        #expect(graph.layers.count == 1)
        let x = [0.3, -0.7]
        let y = FloatExecutor.run(graph, input: x)
        // Unfolded: z = Wx + b, then (z - mean) / sqrt(var + eps) * gamma + beta.
        let z = [1 * 0.3 + 2 * -0.7 + 0.5, 3 * 0.3 + 4 * -0.7 - 1]
        let expected = [(z[0] - 1) / 2 * 2 + 0, (z[1] - 0) / (1.25).squareRoot() * 1 + 1]
        #expect(abs(y[0] - expected[0]) < 1e-12 && abs(y[1] - expected[1]) < 1e-12)
        #expect(graph.layers[0].folded == ["batchnorm1"])
    }

    @Test("written model.json reads back to the same function")
    func roundTrip() throws {
        let text = """
            {"version": 1, "name": "r", "input": {"shape": [1, 5, 5], "range": [0, 2]}, "layers": [
              {"type": "conv2d", "name": "c", "padding": [1, 0, 0, 1], "activation": "relu6",
               "weights": {"shape": [2, 1, 2, 2], "data": [0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8]}},
              {"type": "avgpool2d", "size": [2, 2]}, {"type": "flatten"},
              {"type": "dense", "weights": {"shape": [1, 8], "data": [1, 2, 3, 4, 5, 6, 7, 8]}}, {"type": "softmax"}],
             "labels": ["only"], "metadata": {"b": [1, {"x": null}], "a": "kept in order, ] } ,",
               "id": 9007199254740993, "z": -0.0, "e": "\\u00e9\\""}}
            """
        let graph = try load(text)
        let again = try load(writeModelJSON(graph, name: "r"))
        #expect(writeModelJSON(again, name: "r") == writeModelJSON(graph, name: "r"))
        let input = (0..<25).map { Double($0) / 12 }
        #expect(FloatExecutor.run(graph, input: input) == FloatExecutor.run(again, input: input))
        // Metadata is carried untouched: every digit of a number (9007199254740993 is no Double), -0.0,
        // strings and key order, laid out as the rest of the file.
        let written = writeModelJSON(graph, name: "r")
        #expect(written.contains("\"metadata\": {\n    \"b\": [\n      1,"))
        #expect(written.contains(#""a": "kept in order, ] } ,",\#n    "id": 9007199254740993,\#n    "z": -0.0,"#))
    }

    @Test("metadata that is not an object is refused, located", arguments: ["\"x\"", "[1, 2]", "null", "3"])
    func metadataMustBeAnObject(_ metadata: String) {
        let text = """
            {"version": 1, "name": "m", "input": {"shape": [2]}, "layers": [
              {"type": "dense", "weights": {"shape": [1, 2], "data": [1, 2]}}], "metadata": \(metadata)}
            """
        let diagnostics = DiagnosticEngine()
        #expect(throws: GenFailure.self) { try loadModel(file: "m.json", bytes: Array(text.utf8), diagnostics: diagnostics) }
        #expect(diagnostics.diagnostics.contains { $0.message.contains("expected an object of free-form metadata, found") })
    }
}
