// EndToEndTests/GSLReferenceMatchTests.swift - Generated C vs the GSL float64 reference and the simulator.

import Foundation
import GenDriver
import GenSupport
import Testing

@Suite("Generated C matches the GSL reference and the simulator")
struct GSLReferenceMatchTests {
    struct Case: CustomStringConvertible, Sendable {
        var model: String
        var label: String
        var target: String
        var bits: Int
        var prune: String
        var description: String { "\(label) \(target) \(bits)/\(bits) \(prune)" }
    }

    static let cases: [Case] = {
        var cases: [Case] = []
        for (label, model) in [("mlp", TestModels.mlp()), ("cnn", TestModels.cnn())] {
            for target in ["host", "hls"] {
                for bits in [8, 16] {
                    for prune in ["none", "kofn", "kernel", "filter", "sap", "darb", "edp"] {
                        cases.append(Case(model: model, label: label, target: target, bits: bits, prune: prune))
                    }
                }
            }
        }
        return cases
    }()

    @Test("C output is bit-exact with the simulator and close to GSL", arguments: cases)
    func matches(_ testCase: Case) throws {
        let run = try Verification.prepare(modelText: testCase.model, label: testCase.label, target: testCase.target) {
            $0.weightBits = testCase.bits
            $0.activationBits = testCase.bits
            $0.prune = testCase.prune == "kernel" || testCase.prune == "filter" ? "kofn" : testCase.prune
            if testCase.prune == "kofn" {
                $0.k = 3
                $0.n = 8
            }
            if testCase.prune == "edp" {
                // Half the weights: every layer factored at the ranks the budget picks.
                $0.sparsity = 0.5
            }
            if testCase.prune == "kernel" {
                // conv2d keeps 2 of every 4 input-channel kernels; dense layers 2 of every 4 weights.
                $0.granularity = "kernel"
                $0.k = 2
                $0.n = 4
            }
            if testCase.prune == "filter" {
                // Every layer but the last keeps 3 of every 4 output channels, compacted away.
                $0.granularity = "filter"
                $0.k = 3
                $0.n = 4
            }
        }
        try Verification.writeHarness(run)
        let (output, shell) = try CHarness.runOnHost(directory: run.directory)
        #expect(shell.status == 0, "compile or run failed: \(shell.stderr)")
        #expect(output.quantized == run.simulated, "C and the Swift simulator differ")
        let errors = run.errors(output.quantized)
        print("measured \(testCase): relative L2 \(errors.relativeL2), cosine \(errors.cosine)")
        let tolerance = testCase.bits == 8 ? 0.05 : 0.002
        #expect(errors.relativeL2 <= tolerance, "relative L2 error \(errors.relativeL2) > \(tolerance)")
        #expect(errors.cosine >= 0.99, "cosine \(errors.cosine) < 0.99")
        // The float wrapper: softmax probabilities close to the reference's.
        #expect(output.real.count == run.referenceProbabilities.count)
        for (probabilities, expected) in zip(output.real, run.referenceProbabilities) {
            let worst = zip(probabilities, expected).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= (testCase.bits == 8 ? 0.1 : 0.005), "f32 wrapper differs by \(worst)")
        }
    }

    @Test("clang compiles the generated C as cleanly as gcc", arguments: ["host", "hls"])
    func clangClean(_ target: String) throws {
        let run = try Verification.prepare(modelText: TestModels.cnn(), label: "clang", target: target) {
            $0.prune = "kofn"
            $0.k = 2
            $0.n = 4
        }
        try Verification.writeHarness(run)
        let (output, shell) = try CHarness.runOnHost(directory: run.directory, compiler: "clang")
        #expect(shell.status == 0, "clang failed: \(shell.stderr)")
        #expect(output.quantized == run.simulated)
    }
}

@Suite("Float wrapper")
struct FloatWrapperTests {
    @Test("infer_f32 quantizes exactly like the simulator, ties away from zero, and applies softmax")
    func roundsLikeTheSimulator() throws {
        let model = try String(contentsOfFile: Paths.inRoot("Examples/tiny.json"), encoding: .utf8)
        // tiny's input is Q1.6: steps of 1/64. Exact ties, values just below a tie, and saturation.
        let step = 1.0 / 64
        let specials: [[Double]] = [
            [0.5 * step, -0.5 * step, 1.5 * step, -2.5 * step],
            [0.49999997 * step, -0.49999997 * step, 2.4999998 * step, 3.0],
            [-3.0, 1.9921875, -2.0, 0.0],
        ]
        let run = try Verification.prepare(modelText: model, label: "wrapper", inputs: specials) { $0.prune = "none" }
        #expect(run.quantizedInputs[0] == [1, -1, 2, -3])
        #expect(run.quantizedInputs[1] == [0, 0, 2, 127])
        try Verification.writeHarness(run)
        let (output, shell) = try CHarness.runOnHost(directory: run.directory)
        #expect(shell.status == 0, "\(shell.stderr)")
        #expect(output.quantized == run.simulated)
        // The wrapper's outputs are the dequantized integer outputs (tiny has no softmax).
        let frac = run.result.program.quantized.output.frac
        for (real, integers) in zip(output.real, run.simulated) {
            #expect(real == integers.map { Double(Float($0) * Float(FixedPoint.pow2(-frac))) })
        }
    }
}
