// GenDriver/runVerification.swift - `gen verify`: compile the generated C for the host, run it on data, compare.

import Foundation
import GenLowering
import GenModel
import GenSupport
import GenTarget

/// Options of `gen verify` beyond those of generation.
package struct VerifyOptions: Sendable {
    package var generate: GenerateOptions
    /// The data set to run (.npz or .csv); its test split when it has one.
    package var dataPath: String
    /// Fail when the C's relative L2 error against the pruned float model exceeds this.
    package var maximumL2r: Double?
    /// Fail when the C's cosine similarity against the pruned float model is below this.
    package var minimumCosine: Double?
    /// Fail when the C's accuracy is more than this many points below the unpruned float model's.
    package var maximumAccuracyDrop: Double?

    package init(generate: GenerateOptions, dataPath: String) {
        self.generate = generate
        self.dataPath = dataPath
    }
}

/// Generates the C (into `-o` if given, else a temporary folder), builds it with the host toolchain
/// and a small harness, runs it on every sample and compares with the float models.
/// Tolerances that are exceeded are listed in the result's `violations`.
/// - Throws: `GenFailure` when generation, compilation or running fails.
package func runVerification(
    _ options: VerifyOptions, diagnostics: DiagnosticEngine, progress: ProgressReporter
) throws(GenFailure) -> VerificationResult {
    var generate = options.generate
    let scratch = NSTemporaryDirectory() + "sprig-verify-\(ProcessInfo.processInfo.processIdentifier)"
    defer { try? FileManager.default.removeItem(atPath: scratch) }
    let keepOutput = generate.outputDirectory != nil
    if !keepOutput { generate.outputDirectory = scratch + "/out" }
    let result = try runGenerator(generate, diagnostics: diagnostics)
    let program = result.program
    let data = try loadVerificationData(options.dataPath, graph: result.unprunedGraph, diagnostics: diagnostics)
    warnIfOutsideRange(data.inputs, graph: result.unprunedGraph, flag: "--data", diagnostics: diagnostics)

    // Build: the host toolchain's compiler and flags, every generated .c and the harness.
    let host = try hostToolchain(generate, diagnostics: diagnostics)
    try OutputWriter.write([result.verifyHarness], to: scratch)
    let sources = result.files.filter { $0.name.hasSuffix(".c") }.map { result.outputDirectory + "/" + $0.name }
    let binary = scratch + "/verify"
    let compile = runProcess(
        [host.compiler] + host.compilerFlags + ["-I", result.outputDirectory] + sources
            + [scratch + "/verify_main.c", "-o", binary, "-lm"])
    guard compile.status == 0 else {
        diagnostics.error("verify: \(host.compiler) could not build the generated C:\n\(compile.stderr)")
        throw GenFailure(diagnostics: diagnostics.diagnostics)
    }

    // Run: one line of integers per sample in, one line of outputs out.
    let simulator = FixedPointSimulator(program)
    var input = ""
    for sample in data.inputs {
        input += simulator.quantizeInput(sample).map(String.init).joined(separator: " ") + "\n"
    }
    let run = runProcess([binary], standardInput: Data(input.utf8))
    let lines = run.stdout.split(separator: "\n")
    guard run.status == 0, lines.count == data.count else {
        diagnostics.error("verify: the compiled program failed (status \(run.status), \(lines.count) of \(data.count) outputs)")
        throw GenFailure(diagnostics: diagnostics.diagnostics)
    }
    let frac = program.quantized.output.frac
    var cOutputs: [[Double]] = []
    var pruned: [[Double]] = []
    var unpruned: [[Double]] = []
    let prunedGraph = result.prunedGraph.withMasksApplied()
    for (index, line) in lines.enumerated() {
        cOutputs.append(line.split(separator: " ").map { FixedPoint.dequantize(Int64($0) ?? 0, fracBits: frac) })
        pruned.append(logits(prunedGraph, data.inputs[index]))
        unpruned.append(logits(result.unprunedGraph, data.inputs[index]))
        progress.update("verify", done: index + 1, total: data.count)
    }
    var measured = measure(cOutputs, pruned: pruned, unpruned: unpruned, labels: data.labels)
    measured.violations = violations(measured, options)
    return measured
}

/// The outputs before a final softmax (the fixed-point program returns logits).
private func logits(_ graph: Graph, _ input: [Double]) -> [Double] {
    let outputs = FloatExecutor.activations(of: graph, input: input)
    if graph.endsWithSoftmax, outputs.count >= 2 { return outputs[outputs.count - 2] }
    if graph.endsWithSoftmax { return input }
    return outputs.last ?? input
}

private func measure(_ c: [[Double]], pruned: [[Double]], unpruned: [[Double]], labels: [Int]?) -> VerificationResult {
    func metrics(_ reference: [[Double]]) -> (ErrorMetrics, [ErrorMetrics]) {
        let overall = ErrorMetrics.of(zip(c, reference).flatMap { zip($0, $1).map { ($0, $1) } })
        let outputs = c.first?.count ?? 0
        let perOutput = (0..<outputs).map { output in
            ErrorMetrics.of(zip(c, reference).map { ($0[output], $1[output]) })
        }
        return (overall, perOutput)
    }
    func accuracy(_ outputs: [[Double]]) -> Double? {
        guard let labels else { return nil }
        let correct = zip(outputs, labels).filter { argmax($0) == $1 }.count
        return Double(correct) * 100 / Double(max(labels.count, 1))
    }
    let (againstPruned, prunedPerOutput) = metrics(pruned)
    let (againstUnpruned, unprunedPerOutput) = metrics(unpruned)
    return VerificationResult(
        samples: c.count, accuracyC: accuracy(c), accuracyPruned: accuracy(pruned), accuracyUnpruned: accuracy(unpruned),
        againstPruned: againstPruned, againstPrunedPerOutput: prunedPerOutput, againstUnpruned: againstUnpruned,
        againstUnprunedPerOutput: unprunedPerOutput, violations: [])
}

/// The tolerances the result exceeds, each as an error message naming its flag.
private func violations(_ result: VerificationResult, _ options: VerifyOptions) -> [String] {
    var messages: [String] = []
    if let limit = options.maximumL2r, !(result.againstPruned.l2r <= limit) {
        messages.append("--max-l2r: the C's relative L2 error \(fixed(result.againstPruned.l2r, 5)) exceeds \(limit)")
    }
    if let limit = options.minimumCosine, !(result.againstPruned.cosine >= limit) {
        messages.append("--min-cosine: the C's cosine similarity \(fixed(result.againstPruned.cosine, 5)) is below \(limit)")
    }
    if let limit = options.maximumAccuracyDrop, let c = result.accuracyC, let dense = result.accuracyUnpruned,
        dense - c > limit
    {
        messages.append(
            "--max-accuracy-drop: the C's accuracy \(fixed(c, 2))% is \(fixed(dense - c, 2)) points below the unpruned model's \(fixed(dense, 2))%")
    }
    return messages
}

/// The samples to verify on: the file's test split when it has one, else its training split.
private func loadVerificationData(_ path: String, graph: Graph, diagnostics: DiagnosticEngine) throws(GenFailure)
    -> Dataset
{
    // With labels (x_train/y_train or a CSV) accuracy is measured; inputs alone are accepted too.
    let attempt = DiagnosticEngine()
    if let file = try? loadDataFile(
        file: path, inputShape: graph.inputShape, classes: graph.outputSize, purpose: .training, flag: "--data",
        diagnostics: attempt)
    {
        return file.test ?? file.train
    }
    let file = try loadDataFile(
        file: path, inputShape: graph.inputShape, classes: graph.outputSize, purpose: .calibration, flag: "--data",
        diagnostics: diagnostics)
    return file.train
}

private func hostToolchain(_ options: GenerateOptions, diagnostics: DiagnosticEngine) throws(GenFailure)
    -> TargetDescription
{
    var hostOptions = options
    hostOptions.target = "host"
    return try Generator.target(hostOptions, diagnostics: diagnostics)
}

/// Runs a program, feeding `standardInput`, and returns its status and output.
private func runProcess(_ arguments: [String], standardInput: Data = Data()) -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let inputPipe = Pipe()
    let outputPipe = Pipe()
    let errorPipe = Pipe()
    process.standardInput = inputPipe
    process.standardOutput = outputPipe
    process.standardError = errorPipe
    do {
        try process.run()
    } catch {
        return (127, "", "cannot run \(arguments[0]): \(error.localizedDescription)")
    }
    // Feed and drain concurrently so neither side blocks on a full pipe.
    let writer = Thread {
        inputPipe.fileHandleForWriting.write(standardInput)
        try? inputPipe.fileHandleForWriting.close()
    }
    writer.start()
    let errorReader = ErrorDrain(errorPipe.fileHandleForReading)
    let output = outputPipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self), errorReader.finish())
}

/// Reads a pipe to its end on a thread of its own.
private final class ErrorDrain: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread {
            self.data = handle.readDataToEndOfFile()
            self.done.signal()
        }.start()
    }

    func finish() -> String {
        done.wait()
        return String(decoding: data, as: UTF8.self)
    }
}
