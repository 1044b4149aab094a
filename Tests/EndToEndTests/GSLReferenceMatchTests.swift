// EndToEndTests/GSLReferenceMatchTests.swift - Generated C vs the GSL float64 reference and the simulator.

import Foundation
import GenDriver
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
                    for prune in ["none", "kofn"] {
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
            $0.prune = testCase.prune
            if testCase.prune == "kofn" {
                $0.k = 3
                $0.n = 8
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
