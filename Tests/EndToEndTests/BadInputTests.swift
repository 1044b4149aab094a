// EndToEndTests/BadInputTests.swift - Malformed models and flags: located error, non-zero exit, nothing written.

import Foundation
import Testing

@Suite("Bad input gives a located error and writes nothing")
struct BadInputTests {
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        /// The model file's text (written as model.json); nil to pass a missing file.
        var model: String?
        var arguments: [String]
        /// Substrings the standard error must contain (location, pointer, message).
        var expected: [String]
        var description: String { name }
    }

    static let validLayer = """
        {"type": "dense", "weights": {"shape": [2, 4], "data": [1, 2, 3, 4, 5, 6, 7, 8]}}
        """

    static func model(_ layers: String, input: String = "{\"shape\": [4]}", extra: String = "") -> String {
        """
        {
          "version": 1,
          "name": "bad",
          "input": \(input),\(extra)
          "layers": [
            \(layers)
          ]
        }
        """
    }

    static let cases: [Case] = [
        Case(
            name: "bad JSON (trailing comma)", model: "{\n  \"version\": 1,\n}\n", arguments: [],
            expected: ["model.json:3:1: error: invalid JSON"]),
        Case(
            name: "missing key", model: "{\n  \"version\": 1,\n  \"name\": \"m\",\n  \"input\": {\"shape\": [4]}\n}\n",
            arguments: [], expected: ["model.json:1:1: error:", "missing required key 'layers'", "[/layers]"]),
        Case(
            name: "wrong weight shape",
            model: model("{\"type\": \"dense\", \"weights\": {\"shape\": [2, 5], \"data\": [0,0,0,0,0,0,0,0,0,0]}}"),
            arguments: [], expected: ["model.json:6:", "expects 5 inputs but the layer receives 4", "[/layers/0/weights/shape]"]),
        Case(
            name: "NaN in data",
            model: model("{\"type\": \"dense\", \"weights\": {\"shape\": [1, 4], \"data\": [0, NaN, 0, 0]}}"),
            arguments: [], expected: ["model.json:6:", "NaN and Infinity are not JSON numbers"]),
        Case(
            name: "number too large", model: model("{\"type\": \"dense\", \"weights\": {\"shape\": [1, 4], \"data\": [0, 1e999, 0, 0]}}"),
            arguments: [], expected: ["model.json:6:", "too large to be finite", "[/layers/0/weights/data/1]"]),
        Case(
            name: "unknown layer type", model: model("{\"type\": \"lstm\"}"), arguments: [],
            expected: ["model.json:6:14: error:", "unknown layer type 'lstm'", "[/layers/0/type]"]),
        Case(
            name: "k greater than n", model: model(validLayer), arguments: ["--prune", "kofn", "--k", "5", "--n", "4"],
            expected: ["error: --k: expected K <= N"]),
        Case(
            name: "k zero", model: model(validLayer), arguments: ["--prune", "kofn", "--k", "0", "--n", "4"],
            expected: ["error: --k: expected K >= 1"]),
        Case(
            name: "unknown target", model: model(validLayer), arguments: ["--target", "gpu"],
            expected: ["error: --target: unknown target 'gpu'; expected one of hls, host, mcu"]),
        Case(
            name: "softmax not last", model: model("{\"type\": \"softmax\"},\n    " + validLayer), arguments: [],
            expected: ["model.json:6:5: error:", "softmax is only allowed as the last layer", "[/layers/0]"]),
        Case(
            name: "batchnorm first",
            model: model(
                "{\"type\": \"batchnorm\", \"gamma\": {\"shape\": [4], \"data\": [1,1,1,1]}, \"beta\": {\"shape\": [4], \"data\": [0,0,0,0]}, \"mean\": {\"shape\": [4], \"data\": [0,0,0,0]}, \"var\": {\"shape\": [4], \"data\": [1,1,1,1]}}"
            ), arguments: [],
            expected: ["model.json:6:5: error:", "batchnorm must directly follow a dense or conv2d layer", "[/layers/0]"]),
        Case(
            name: "data not matching the input", model: model(validLayer),
            arguments: ["--calib", "DIGITS"],
            expected: ["digits_calib.npz: error: --calib: array 'x_train' has shape [256, 64], expected [N, 4]"]),
        Case(
            name: "tensor data length mismatch",
            model: model("{\"type\": \"dense\", \"weights\": {\"shape\": [2, 4], \"data\": [1, 2, 3]}}"), arguments: [],
            expected: ["model.json:6:", "shape [2, 4] holds 8 values but data has 3", "[/layers/0/weights/data]"]),
        Case(
            name: "unsupported version", model: "{\"version\": 2, \"name\": \"m\", \"input\": {\"shape\": [4]}, \"layers\": [\(validLayer)]}",
            arguments: [], expected: ["model.json:1:13: error:", "unsupported version; expected 1", "[/version]"]),
        Case(
            name: "name not a C identifier",
            model: "{\"version\": 1, \"name\": \"9lives\", \"input\": {\"shape\": [4]}, \"layers\": [\(validLayer)]}",
            arguments: [], expected: ["model.json:1:24: error:", "name '9lives' is not a valid C identifier prefix", "[/name]"]),
        Case(
            name: "conv2d on a vector",
            model: model("{\"type\": \"conv2d\", \"weights\": {\"shape\": [1, 1, 1, 1], \"data\": [1]}}"), arguments: [],
            expected: ["model.json:6:5: error:", "conv2d expects a [C, H, W] input but receives shape [4]"]),
        Case(
            name: "unknown activation",
            model: model("{\"type\": \"dense\", \"activation\": \"gelu\", \"weights\": {\"shape\": [1, 4], \"data\": [1,2,3,4]}}"),
            arguments: [], expected: ["model.json:6:", "unknown activation 'gelu'", "[/layers/0/activation]"]),
        Case(
            name: "bias of the wrong length",
            model: model("{\"type\": \"dense\", \"weights\": {\"shape\": [1, 4], \"data\": [1,2,3,4]}, \"bias\": {\"shape\": [3], \"data\": [1,2,3]}}"),
            arguments: [], expected: ["model.json:6:", "bias has 3 elements but the layer has 1 outputs", "[/layers/0/bias/shape]"]),
        Case(
            name: "unknown key", model: model("{\"type\": \"flatten\", \"units\": 3}"), arguments: [],
            expected: ["model.json:6:", "unknown key 'units' for a flatten layer", "[/layers/0/units]"]),
        Case(
            name: "input range reversed", model: model(validLayer, input: "{\"shape\": [4], \"range\": [1, -1]}"),
            arguments: [], expected: ["model.json:4:", "expected lo < hi", "[/input/range]"]),
        Case(
            name: "missing model file", model: nil, arguments: [],
            expected: ["missing.json: error: cannot read the model file: the file does not exist"]),
        Case(
            name: "weight bits not 8 or 16", model: model(validLayer), arguments: ["--weight-bits", "4"],
            expected: ["error: --weight-bits: expected 8 or 16, found 4"]),
        Case(
            name: "every layer error collected",
            model: model("{\"type\": \"lstm\"},\n    {\"type\": \"dense\", \"activation\": \"tanh\", \"weights\": {\"shape\": [1, 4], \"data\": [1,2,3,4]}}"),
            arguments: [], expected: ["unknown layer type 'lstm'", "model.json:7:", "unknown activation 'tanh'"]),
        Case(
            name: "method not available", model: model(validLayer), arguments: ["--prune", "dpp"],
            expected: ["error: --prune dpp: not available yet"]),
        Case(
            name: "not a flag value", model: model(validLayer), arguments: ["--k", "many"],
            expected: ["error:", "--k"]),
    ]

    @Test("bad input is rejected", arguments: cases)
    func rejects(_ testCase: Case) throws {
        let directory = Paths.temporaryDirectory("bad")
        var modelPath = "missing.json"
        if let text = testCase.model {
            modelPath = "model.json"
            try text.write(toFile: directory + "/model.json", atomically: true, encoding: .utf8)
        }
        var arguments = testCase.arguments.map {
            $0 == "DIGITS" ? Paths.inRoot("Tests/Fixtures/digits/digits_calib.npz") : $0
        }
        if !arguments.contains("--target") { arguments += ["--target", "host"] }
        let result = try Shell.run(
            [Paths.genExecutable, modelPath, "-o", "out"] + arguments, in: directory,
            environment: ["GEN_HOME": Paths.root, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"])
        #expect(result.status != 0, "exit status 0 for bad input")
        for fragment in testCase.expected {
            #expect(result.stderr.contains(fragment), "stderr lacks '\(fragment)':\n\(result.stderr)")
        }
        #expect(result.stderr.split(separator: "\n").contains { $0.contains("error: ") })
        #expect(!FileManager.default.fileExists(atPath: directory + "/out"), "the output folder was written")
    }
}
