// EndToEndTests/RoundingInBiasSimulationTests.swift - Folding the rounding into the bias changes no output.

import GenCompress
import GenLowering
import GenSupport
import Testing

@Suite("A program with each shift's rounding in its bias computes what it computes without")
struct RoundingInBiasSimulationTests {
    /// The same program with every folded layer's bias back to the quantized model's (not the folded
    /// table minus a half: a wrong half would then cancel) and its requantization adding the half again
    /// (`FixedPoint.requantize`).
    static func unfolded(_ program: Program) -> Program {
        var copy = program
        for index in copy.steps.indices {
            let modelBias: [Int64]
            switch program.quantized.layers[copy.steps[index].layerIndex].op {
            case .dense(_, let q), .conv2d(_, let q): modelBias = q.bias
            case .maxPool2d, .avgPool2d, .flatten, .clamp, .softmax: continue
            }
            switch copy.steps[index].kind {
            case .dense(var dense):
                dense.data.bias.values = modelBias
                dense.data.roundingInBias = false
                copy.steps[index].kind = .dense(dense)
            case .conv2d(var conv):
                conv.data.bias.values = modelBias
                conv.data.roundingInBias = false
                copy.steps[index].kind = .conv2d(conv)
            case .maxPool2d, .avgPool2d, .clamp:
                break
            }
        }
        return copy
    }

    static func foldedLayers(_ program: Program) -> Int {
        program.steps.filter { step in
            switch step.kind {
            case .dense(let dense): dense.data.roundingInBias
            case .conv2d(let conv): conv.data.roundingInBias
            case .maxPool2d, .avgPool2d, .clamp: false
            }
        }.count
    }

    /// The 8-bit models of the overflow tests: at 16 bits the worst case needs int64 accumulators, which
    /// keep the rounding in their requantization.
    static let models = OverflowAndSanitizerTests.models.filter { $0.2 == 8 }

    @Test("corner and random inputs give the same integers, dense and k-of-n, host and mcu", arguments: 0..<models.count)
    func sameOutputs(_ index: Int) throws {
        let (label, text, bits) = Self.models[index]
        for (prune, target) in [("none", "host"), ("kofn", "mcu")] {
            let run = try Verification.prepare(
                modelText: text, label: "fold-\(label)", target: target, vectorCount: 64,
                integerInputs: IntegerInputs(make: OverflowAndSanitizerTests.cornerVectors)
            ) {
                $0.prune = prune
                $0.weightBits = bits
                $0.activationBits = bits
            }
            let program = run.result.program
            let weighted = program.steps.filter { step in
                switch step.kind {
                case .dense, .conv2d: true
                case .maxPool2d, .avgPool2d, .clamp: false
                }
            }.count
            #expect(Self.foldedLayers(program) > 0, "\(label) \(prune): no layer folded")
            #expect(Self.foldedLayers(program) <= weighted)
            let plain = FixedPointSimulator(Self.unfolded(program))
            #expect(Self.foldedLayers(Self.unfolded(program)) == 0)
            var generator = SeededGenerator(seed: 31)
            let range = FixedPoint.range(bits: program.quantized.options.activationBits)
            let random = (0..<64).map { _ in
                (0..<program.inputSize).map { _ in
                    range.lowerBound + Int64(generator.next() % UInt64(range.upperBound - range.lowerBound + 1))
                }
            }
            let folded = FixedPointSimulator(program)
            for vector in run.quantizedInputs + random {
                #expect(folded.run(vector) == plain.run(vector), "\(label) \(prune) \(target)")
            }
        }
    }
}
