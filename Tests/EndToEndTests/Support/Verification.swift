// EndToEndTests/Support/Verification.swift - Generate, compile, run, and compare against GSL and the simulator.

import Foundation
import GenDriver
import GenLowering
import GenModel
import GenReference
import GenSupport
import Testing

/// Everything a verification run measured.
struct VerificationRun {
    var result: GenerationResult
    var directory: String
    var prunedGraph: Graph
    var realInputs: [[Double]]
    var quantizedInputs: [[Int64]]
    var simulated: [[Int64]]
    var reference: [[Double]]
    var referenceProbabilities: [[Double]]

    var prefix: String { result.program.name }
    var outputFrac: Int { result.program.quantized.output.frac }

    /// Relative L2 error and cosine similarity of dequantized outputs against the GSL logits, over all vectors.
    func errors(_ quantized: [[Int64]]) -> (relativeL2: Double, cosine: Double) {
        var diff = 0.0, refNorm = 0.0, outNorm = 0.0, dot = 0.0
        for (q, r) in zip(quantized, reference) {
            for (qv, rv) in zip(q, r) {
                let value = FixedPoint.dequantize(qv, fracBits: outputFrac)
                diff += (value - rv) * (value - rv)
                refNorm += rv * rv
                outNorm += value * value
                dot += value * rv
            }
        }
        return ((diff / refNorm).squareRoot(), dot / (refNorm * outNorm).squareRoot())
    }
}

enum Verification {
    /// Generates C for `modelText` with `configure` applied to the options, and prepares vectors.
    static func prepare(
        modelText: String, label: String, target: String = "host", modelFile: String? = nil, inputs: [[Double]]? = nil,
        vectorCount: Int = 24,
        integerInputs: IntegerInputs? = nil, configure: (inout GenerateOptions) -> Void = { _ in }
    ) throws -> VerificationRun {
        let directory = Paths.temporaryDirectory(label)
        var modelPath = directory + "/model.json"
        if let modelFile {
            modelPath = modelFile
        } else {
            try modelText.write(toFile: modelPath, atomically: true, encoding: .utf8)
        }
        var options = GenerateOptions(modelPath: modelPath, target: target)
        options.outputDirectory = directory + "/out"
        options.resourcesRoot = Paths.root
        configure(&options)
        let diagnostics = DiagnosticEngine()
        let result: GenerationResult
        do {
            result = try runGenerator(options, diagnostics: diagnostics)
        } catch {
            throw VerificationError(message: error.diagnostics.map(\.formatted).joined(separator: "\n"))
        }
        let out = result.outputDirectory
        let prunedText = try String(contentsOfFile: out + "/\(result.program.name).pruned.json", encoding: .utf8)
        let pruned = try loadModel(
            file: "pruned.json", bytes: Array(prunedText.utf8), diagnostics: DiagnosticEngine())
        var generator = SeededGenerator(seed: 4242)
        let real = inputs ?? (0..<vectorCount).map { _ in
            (0..<pruned.inputSize).map { _ in generator.uniform(pruned.inputRange.low, pruned.inputRange.high) }
        }
        let simulator = FixedPointSimulator(result.program)
        var quantized = real.map(simulator.quantizeInput)
        var realInputs = real
        if let integerInputs {
            // Integer vectors chosen by the test (e.g. corners of the type range); the float inputs
            // given to the f32 wrapper are their exact real values.
            quantized = integerInputs.make(result)
            let frac = result.program.quantized.input.frac
            realInputs = quantized.map { $0.map { FixedPoint.dequantize($0, fracBits: frac) } }
        }
        return VerificationRun(
            result: result, directory: out, prunedGraph: pruned, realInputs: realInputs, quantizedInputs: quantized,
            simulated: quantized.map(simulator.run),
            reference: realInputs.map { GSLReference.run(pruned, input: $0, stopBeforeSoftmax: true) },
            referenceProbabilities: realInputs.map { GSLReference.run(pruned, input: $0) })
    }

    static func writeHarness(_ run: VerificationRun) throws {
        try CHarness.writeHarness(
            directory: run.directory, prefix: run.prefix, inputSize: run.result.program.inputSize,
            quantizedInputs: run.quantizedInputs, realInputs: run.realInputs,
            actType: run.result.program.activationType.cName)
    }

    /// The kernel tests' check: the host build's integers equal the simulator's, and Cortex-M4's under QEMU at
    /// -Os and -O2 (where GCC folds a small weight table into the unrolled code as constants) equal the host's.
    static func expectSameIntegersEverywhere(_ run: VerificationRun) throws {
        try writeHarness(run)
        let (host, hostShell) = try CHarness.runOnHost(directory: run.directory)
        try #require(hostShell.status == 0, "host build or run failed: \(hostShell.stderr)")
        #expect(host.quantized.count == run.quantizedInputs.count)
        #expect(host.quantized == run.simulated, "host C and the simulator differ")
        for optimization in ["-Os", "-O2"] {
            let (arm, armShell) = try CHarness.runOnCortexM(directory: run.directory, optimization: optimization)
            try #require(armShell.status == 0, "Cortex-M \(optimization) build or run failed: \(armShell.stderr)")
            #expect(arm.quantized == host.quantized, "Cortex-M \(optimization) and host outputs differ")
        }
    }
}

/// Chooses integer input vectors once the program is known (its types and tables).
struct IntegerInputs {
    var make: (GenerationResult) -> [[Int64]]
}

struct VerificationError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
