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
                // In the row order lowering stored (`orderRowsForConstantShifts`), of the rows it computes
                // (`removeConstantOutputs` stores the constant ones after them).
                let stored = dense.data.rowOrder.map { $0.map { modelBias[$0] } } ?? modelBias
                dense.data.bias.values = Array(stored.prefix(dense.data.rows))
                dense.data.roundingInBias = false
                copy.steps[index].kind = .dense(dense)
            case .conv2d(var conv):
                let stored = conv.data.rowOrder.map { $0.map { modelBias[$0] } } ?? modelBias
                conv.data.bias.values = Array(stored.prefix(conv.data.rows))
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

    /// The overflow tests' models, 8 and 16 bits, and the digits CNN at 16 bits, whose fc keeps int32
    /// sums (most 16-bit layers need int64, which keep the rounding in their requantization).
    static let models = OverflowAndSanitizerTests.models + [
        ("digits_cnn_16", (try? String(contentsOfFile: Paths.inRoot("Examples/digits_cnn.json"), encoding: .utf8)) ?? "", 16)
    ]
    /// The models with no int32 layer at all: nothing to fold.
    static let nothingToFold: Set<String> = ["cnn_test", "wide"]

    @Test("corner and random inputs give the same integers, 8 and 16 bits, dense and k-of-n, host and mcu",
        arguments: 0..<models.count)
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
            // Without a folded layer the comparison below would hold trivially.
            #expect((Self.foldedLayers(program) > 0) != Self.nothingToFold.contains(label),
                "\(label) \(prune): \(Self.foldedLayers(program)) layers folded")
            let plain = FixedPointSimulator(Self.unfolded(program))
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
