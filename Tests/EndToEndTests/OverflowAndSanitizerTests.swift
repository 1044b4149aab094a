// EndToEndTests/OverflowAndSanitizerTests.swift - Corner inputs under ASan/UBSan: no overflow, no finding, bit-exact.
//
// The accumulator width comes from an exact worst case over every input a layer can receive. Driving
// the inputs to the corners of the integer range under -fsanitize=undefined turns any signed
// overflow the analysis missed into a failing run, and the outputs must still equal the simulator's.

import Foundation
import GenDriver
import GenLowering
import GenSupport
import Testing

@Suite("Overflow proof and sanitizers")
struct OverflowAndSanitizerTests {
    /// A model whose worst case needs int64: 16-bit, a wide layer with large weights.
    static func wideModel() -> String {
        var builder = TestModels.Builder(seed: 77)
        builder.dense("wide", 600, 6, activation: "relu")
        builder.dense("out", 6, 3)
        return builder.model(name: "wide", inputShape: [600], range: [-1, 1])
    }

    static let models: [(String, String, Int)] = [
        ("digits_mlp", (try? String(contentsOfFile: Paths.inRoot("Examples/digits_mlp.json"), encoding: .utf8)) ?? "", 8),
        ("digits_cnn", (try? String(contentsOfFile: Paths.inRoot("Examples/digits_cnn.json"), encoding: .utf8)) ?? "", 8),
        ("tiny", (try? String(contentsOfFile: Paths.inRoot("Examples/tiny.json"), encoding: .utf8)) ?? "", 8),
        ("mlp_test", TestModels.mlp(), 8),
        ("cnn_test", TestModels.cnn(), 16),
        ("wide", wideModel(), 16),
    ]

    /// All-minimum, all-maximum, alternating, seeded random corners, and for each first-layer
    /// output the input that drives its accumulator to either extreme.
    static func cornerVectors(_ result: GenerationResult) -> [[Int64]] {
        let program = result.program
        let size = program.inputSize
        let range = FixedPoint.range(bits: program.quantized.options.activationBits)
        let (low, high) = (range.lowerBound, range.upperBound)
        var vectors: [[Int64]] = [
            Array(repeating: low, count: size), Array(repeating: high, count: size),
            (0..<size).map { $0 % 2 == 0 ? low : high }, Array(repeating: 0, count: size),
        ]
        var generator = SeededGenerator(seed: 9)
        for _ in 0..<6 { vectors.append((0..<size).map { _ in generator.next() % 2 == 0 ? low : high }) }
        if case .dense(let dense)? = program.steps.first?.kind, dense.data.sparse == nil {
            for row in 0..<min(dense.data.rows, 8) {
                let weights = dense.data.weights.values[(row * size)..<((row + 1) * size)]
                vectors.append(weights.map { $0 > 0 ? high : low })
                vectors.append(weights.map { $0 > 0 ? low : high })
            }
        }
        return vectors
    }

    @Test("corner inputs: gcc and clang with ASan+UBSan report nothing and match the simulator",
        arguments: 0..<models.count)
    func cornersUnderSanitizers(_ index: Int) throws {
        let (label, text, bits) = Self.models[index]
        for (prune, target) in [("none", "host"), ("kofn", "host"), ("kofn", "mcu"), ("none", "hls")] {
            let run = try Verification.prepare(
                modelText: text, label: label, target: target, integerInputs: IntegerInputs(make: Self.cornerVectors)
            ) {
                $0.prune = prune
                $0.weightBits = bits
                $0.activationBits = bits
            }
            try Verification.writeHarness(run)
            for compiler in ["gcc", "clang"] {
                let (output, shell) = try CHarness.runOnHost(
                    directory: run.directory, compiler: compiler,
                    extraFlags: ["-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"])
                #expect(shell.status == 0, "\(label) \(prune) \(target) \(compiler): \(shell.stderr)")
                #expect(!shell.stderr.contains("runtime error"), "\(shell.stderr)")
                #expect(output.quantized == run.simulated, "\(label) \(prune) \(compiler) differs from the simulator")
            }
        }
    }

    @Test("int64 accumulators only where the bound needs them")
    func accumulatorWidths() throws {
        let run = try Verification.prepare(modelText: Self.wideModel(), label: "wide", vectorCount: 2) {
            $0.prune = "none"
            $0.weightBits = 16
            $0.activationBits = 16
        }
        let widths = run.result.program.steps.map { step -> ElementType? in
            if case .dense(let dense) = step.kind { return dense.data.accumulator }
            return nil
        }
        // 600 products of 16-bit values can reach 2^39; the second layer's 6 products of a relu output
        // (up to 32767) and 16-bit weights can too, so both need int64.
        #expect(widths == [.int64, .int64])
        let report = try String(contentsOfFile: run.directory + "/wide.report.json", encoding: .utf8)
        #expect(report.contains("\"accumulatorBits\": 64"))
        // 8-bit models: every accumulator fits int32.
        for name in ["digits_mlp", "digits_cnn"] {
            let text = try String(contentsOfFile: Paths.inRoot("Examples/\(name).json"), encoding: .utf8)
            let small = try Verification.prepare(modelText: text, label: name, vectorCount: 1)
            for step in small.result.program.steps {
                switch step.kind {
                case .dense(let dense): #expect(dense.data.accumulator == .int32)
                case .conv2d(let conv): #expect(conv.data.accumulator == .int32)
                case .maxPool2d, .avgPool2d, .clamp: break
                }
            }
        }
    }

    @Test("the bound is exact: an adversarial input reaches it")
    func boundIsReached() throws {
        let run = try Verification.prepare(modelText: Self.wideModel(), label: "wide8", vectorCount: 1) {
            $0.prune = "none"
        }
        guard case .dense(let dense)? = run.result.program.steps.first?.kind else {
            Issue.record("first step is not dense")
            return
        }
        guard case .dense(_, let q) = run.result.program.quantized.layers[0].op else { return }
        let size = dense.data.fanIn
        let weights = Array(dense.data.weights.values[0..<size])
        let worst = weights.map { $0 > 0 ? Int64(127) : Int64(-128) }
        // The model's bias (the program's table may hold the rounding half too: foldRoundingIntoBias).
        let accumulator = zip(weights, worst).map { $0 * $1 }.reduce(q.bias[0], +)
        #expect(q.accumulatorRanges[0].upperBound == accumulator)
    }

    @Test("the sanitizer run can fail: forcing int32 on the wide layer is caught as overflow")
    func narrowedAccumulatorIsCaught() throws {
        let run = try Verification.prepare(
            modelText: Self.wideModel(), label: "narrowed", integerInputs: IntegerInputs(make: Self.cornerVectors)
        ) {
            $0.prune = "none"
            $0.weightBits = 16
            $0.activationBits = 16
        }
        try Verification.writeHarness(run)
        let source = run.directory + "/wide.c"
        let text = try String(contentsOfFile: source, encoding: .utf8)
        #expect(text.contains("int64_t acc") && text.contains("(int64_t)wide_"), "the patch below no longer applies")
        try text.replacingOccurrences(of: "int64_t acc", with: "int32_t acc")
            .replacingOccurrences(of: "(int64_t)wide_", with: "(int32_t)wide_")
            .write(toFile: source, atomically: true, encoding: .utf8)
        let (_, shell) = try CHarness.runOnHost(
            directory: run.directory, compiler: "clang",
            extraFlags: ["-fsanitize=undefined", "-fno-sanitize-recover=all"])
        #expect(shell.status != 0)
        #expect(shell.stderr.contains("signed integer overflow"), "\(shell.stderr)")
    }
}
