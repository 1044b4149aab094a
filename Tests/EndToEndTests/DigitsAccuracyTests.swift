// EndToEndTests/DigitsAccuracyTests.swift - The bundled example models on the real digits test split, in generated C.

import Foundation
import GenDriver
import GenModel
import GenReference
import GenSupport
import Testing

@Suite("Example models on the digits test split")
struct DigitsAccuracyTests {
    struct Case: CustomStringConvertible, Sendable {
        var model: String
        var prune: String
        var k: Int
        var n: Int
        /// Accuracy the generated fixed-point C may lose against the float pruned model, in points.
        var allowedDrop: Double
        var description: String { "\(model) \(prune) \(k)/\(n)" }
    }

    static let cases = [
        Case(model: "digits_mlp", prune: "none", k: 0, n: 0, allowedDrop: 1.0),
        Case(model: "digits_mlp", prune: "kofn", k: 8, n: 16, allowedDrop: 1.0),
        Case(model: "digits_mlp", prune: "kofn", k: 12, n: 16, allowedDrop: 1.0),
        Case(model: "digits_mlp", prune: "kofn", k: 4, n: 8, allowedDrop: 1.0),
        Case(model: "digits_mlp", prune: "kofn", k: 16, n: 32, allowedDrop: 1.0),
        Case(model: "digits_cnn", prune: "none", k: 0, n: 0, allowedDrop: 1.0),
        Case(model: "digits_cnn", prune: "kofn", k: 8, n: 16, allowedDrop: 1.0),
        Case(model: "digits_cnn", prune: "kofn", k: 12, n: 16, allowedDrop: 1.0),
        Case(model: "digits_mlp_wide", prune: "none", k: 0, n: 0, allowedDrop: 1.0),
        Case(model: "digits_mlp_wide", prune: "kofn", k: 8, n: 16, allowedDrop: 1.0),
        Case(model: "digits_cnn_wide", prune: "none", k: 0, n: 0, allowedDrop: 1.0),
        Case(model: "digits_cnn_wide", prune: "kofn", k: 8, n: 16, allowedDrop: 1.0),
    ]

    static func testSplit() throws -> Dataset {
        let path = Paths.inRoot("Tests/Fixtures/digits/digits_test.npz")
        let data = try loadDataFile(
            file: path, inputShape: [64], classes: 10,
            purpose: .training, flag: "--data", diagnostics: DiagnosticEngine())
        return data.test!
    }

    static func accuracy(_ outputs: [[Double]], _ labels: [Int]) -> Double {
        let correct = zip(outputs, labels).filter { output, label in output.indices.max { output[$0] < output[$1] } == label }
        return Double(correct.count) * 100 / Double(labels.count)
    }

    /// The benchmarks quote each example's metadata `float_test_accuracy` (measured by
    /// Scripts/train_examples.py in numpy) as "float dense": the GSL reference must measure the same
    /// from the file, image for image.
    @Test("the stated float accuracy is the file's", arguments: ["digits_mlp", "digits_cnn", "digits_mlp_wide", "digits_cnn_wide"])
    func statedAccuracy(_ model: String) throws {
        let test = try Self.testSplit()
        let modelText = try String(contentsOfFile: Paths.inRoot("Examples/\(model).json"), encoding: .utf8)
        let dense = try loadModel(file: "m.json", bytes: Array(modelText.utf8), diagnostics: DiagnosticEngine())
        let measured = Self.accuracy(test.inputs.map { GSLReference.run(dense, input: $0) }, test.labels!)
        let document = try JSONSerialization.jsonObject(with: Data(modelText.utf8)) as? [String: Any]
        let stated = try #require((document?["metadata"] as? [String: Any])?["float_test_accuracy"] as? Double)
        #expect(abs(measured - stated * 100) < 1e-3, "metadata says \(stated * 100) %, the GSL reference \(measured) %")
    }

    @Test("generated C is bit-exact with the simulator and keeps the float accuracy", arguments: cases)
    func accuracy(_ testCase: Case) throws {
        let test = try Self.testSplit()
        let modelText = try String(contentsOfFile: Paths.inRoot("Examples/\(testCase.model).json"), encoding: .utf8)
        let dense = try loadModel(file: "m.json", bytes: Array(modelText.utf8), diagnostics: DiagnosticEngine())
        let floatAccuracy = Self.accuracy(test.inputs.map { GSLReference.run(dense, input: $0) }, test.labels!)
        let run = try Verification.prepare(modelText: modelText, label: testCase.model, inputs: test.inputs) {
            $0.prune = testCase.prune
            if testCase.prune == "kofn" {
                $0.k = testCase.k
                $0.n = testCase.n
            }
            $0.calibPath = Paths.inRoot("Tests/Fixtures/digits/digits_calib.npz")
        }
        try Verification.writeHarness(run)
        let (output, shell) = try CHarness.runOnHost(directory: run.directory)
        #expect(shell.status == 0, "\(shell.stderr)")
        #expect(output.quantized == run.simulated, "C and the simulator differ")
        let cAccuracy = Self.accuracy(output.quantized.map { $0.map(Double.init) }, test.labels!)
        let prunedAccuracy = Self.accuracy(run.referenceProbabilities, test.labels!)
        print("measured \(testCase): float dense \(floatAccuracy)%, float pruned \(prunedAccuracy)%, generated C \(cAccuracy)%")
        #expect(cAccuracy >= prunedAccuracy - testCase.allowedDrop)
    }
}
