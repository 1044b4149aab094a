// EndToEndTests/ONNXImportTests.swift - ONNX models: Sprig's float model vs onnx's reference evaluator, and the C.

import Foundation
import GenModel
import GenONNX
import GenSupport
import Testing

@Suite("ONNX import")
struct ONNXImportTests {
    static let folder = Paths.inRoot("Tests/Fixtures/onnx")

    struct Expected: Decodable {
        var inputs: [[Double]]
        var outputs: [[Double]]
    }

    static func expected() throws -> [String: Expected] {
        try JSONDecoder().decode(
            [String: Expected].self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/expected.json")))
    }

    static func load(_ name: String) throws -> Graph {
        let path = folder + "/\(name).onnx"
        return try loadONNXModel(
            file: path, bytes: Array(try Data(contentsOf: URL(fileURLWithPath: path))), diagnostics: DiagnosticEngine())
    }

    @Test("the imported float model computes what onnx's reference evaluator computes",
        arguments: ["mlp_gemm", "cnn", "digits_mlp"])
    func floatModelMatchesReference(_ name: String) throws {
        let graph = try Self.load(name)
        let expected = try #require(try Self.expected()[name])
        for (input, output) in zip(expected.inputs, expected.outputs) {
            let ours = FloatExecutor.run(graph, input: input)
            let worst = zip(ours, output).map { abs($0 - $1) }.max() ?? 1
            // The reference runs in float32, Sprig in float64.
            #expect(worst < 1e-5, "\(name): differs by \(worst)")
        }
    }

    @Test("generated C from ONNX is bit-exact with the simulator and close to GSL", arguments: ["mlp_gemm", "cnn"])
    func generatedC(_ name: String) throws {
        for target in ["host", "mcu"] {
            let run = try Verification.prepare(
                modelText: "", label: name, target: target, modelFile: Self.folder + "/\(name).onnx"
            ) {
                $0.prune = "none"
            }
            try Verification.writeHarness(run)
            let (output, shell) = try CHarness.runOnHost(directory: run.directory)
            #expect(shell.status == 0, "\(shell.stderr)")
            #expect(output.quantized == run.simulated)
            let errors = run.errors(output.quantized)
            #expect(errors.relativeL2 <= 0.05 && errors.cosine >= 0.99, "\(name) \(target): \(errors)")
        }
    }

    @Test("the generated C's float entry point reproduces onnx's reference outputs", arguments: ["mlp_gemm", "cnn", "digits_mlp"])
    func cMatchesReference(_ name: String) throws {
        let expected = try #require(try Self.expected()[name])
        for bits in [8, 16] {
            let run = try Verification.prepare(
                modelText: "", label: name, modelFile: Self.folder + "/\(name).onnx", inputs: expected.inputs
            ) {
                $0.prune = "none"
                $0.weightBits = bits
                $0.activationBits = bits
                if name == "digits_mlp" { $0.calibPath = Paths.inRoot("Tests/Fixtures/digits/digits_calib.npz") }
            }
            try Verification.writeHarness(run)
            let (output, shell) = try CHarness.runOnHost(directory: run.directory)
            #expect(shell.status == 0, "\(shell.stderr)")
            // Softmax probabilities from <name>_infer_f32 against the reference evaluator's.
            let worst = zip(output.real, expected.outputs).flatMap { zip($0, $1).map { abs($0 - $1) } }.max() ?? 1
            print("measured ONNX \(name) \(bits)-bit: largest probability difference \(worst)")
            #expect(worst <= (bits == 8 ? 0.1 : 0.005), "\(name) \(bits)-bit: probabilities differ by \(worst)")
        }
    }

    @Test("digits_mlp.onnx and digits_mlp.json give the same fixed-point program")
    func sameAsJSON() throws {
        let calib = Paths.inRoot("Tests/Fixtures/digits/digits_calib.npz")
        let samples = Array(try DigitsAccuracyTests.testSplit().inputs.prefix(32))
        let fromONNX = try Verification.prepare(
            modelText: "", label: "onnx", modelFile: Self.folder + "/digits_mlp.onnx", inputs: samples
        ) { $0.calibPath = calib }
        let fromJSON = try Verification.prepare(
            modelText: try String(contentsOfFile: Paths.inRoot("Examples/digits_mlp.json"), encoding: .utf8),
            label: "json", inputs: samples
        ) { $0.calibPath = calib }
        #expect(fromONNX.simulated == fromJSON.simulated)
        #expect(fromONNX.result.report.json.contains("\"weightBytes\": 1360"))
    }

    @Test("an unsupported operator is an error naming the node and the operator")
    func unsupported() throws {
        let diagnostics = DiagnosticEngine()
        let path = Self.folder + "/unsupported.onnx"
        #expect(throws: GenFailure.self) {
            _ = try loadONNXModel(
                file: path, bytes: Array(try Data(contentsOf: URL(fileURLWithPath: path))), diagnostics: diagnostics)
        }
        #expect(diagnostics.diagnostics.first?.message.hasPrefix("node 'squash' (Sigmoid): unsupported operator 'Sigmoid'") == true)
        #expect(diagnostics.diagnostics.first?.location?.pointer == "/graph/node/1")
    }

    @Test("bytes that are not an ONNX model give an error, not a crash")
    func notONNX() throws {
        let diagnostics = DiagnosticEngine()
        #expect(throws: GenFailure.self) {
            _ = try loadONNXModel(file: "x.onnx", bytes: Array("{\"version\": 1}".utf8), diagnostics: diagnostics)
        }
        #expect(diagnostics.diagnostics.first?.message.contains("not a readable ONNX model") == true)
    }
}
