// gen/Gen.swift - The `gen` command line: parses flags, runs the generator, prints diagnostics.

import ArgumentParser
import Foundation
import GenDriver
import GenSupport

/// `gen --target mcu|hls|host MODEL.json [options]` (see shared/spec/cli-and-c-api.md).
struct Gen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gen",
        abstract: "Compile a neural network (model.json) into pruned fixed-point C for host, Cortex-M or HLS.",
        discussion: """
            Writes <name>.h, <name>.c, <name>.pruned.json and <name>.report.json into -o DIR.
            Without --prune, gen prunes by magnitude, keeping 8 of every 16 weights (--prune kofn --k 8 --n 16).
            """)

    @Argument(help: "The model description (model.json v1).", completion: .file(extensions: ["json"]))
    var model: String

    @Option(help: "Target: a file name in Toolchains/ (host, mcu, hls).")
    var target: String

    @Option(name: [.customShort("o"), .customLong("output")], help: "Output folder (default: Generated/<name>).",
        completion: .directory)
    var output: String?

    @Option(help: "C identifier prefix and file stem (default: the model's name).")
    var name: String?

    @Option(help: "Pruning method: none, kofn (dpp, darb, edp, sap are not available yet).")
    var prune: String?

    @Option(help: "Weights kept in every group of N (k-of-n).")
    var k: Int?

    @Option(help: "Group length along each output's fan-in; 0 means the whole fan-in.")
    var n: Int?

    @Option(help: "Pruning granularity: weight (kernel and filter are not available yet).")
    var granularity: String?

    @Option(help: "Target fraction of weights removed, for methods that take a ratio.")
    var sparsity: Double?

    @Option(name: .customLong("weight-bits"), help: "Weight width: 8 or 16.")
    var weightBits: Int = 8

    @Option(name: .customLong("act-bits"), help: "Activation width: 8 or 16.")
    var actBits: Int = 8

    @Option(name: .customLong("weight-scale"), help: "Weight scale sharing: channel (per output) or layer.")
    var weightScale: String = "channel"

    @Option(help: "Calibration inputs (.npz with x_train or x, or .csv); weights are never changed.",
        completion: .file(extensions: ["npz", "csv"]))
    var calib: String?

    @Option(help: "Training data (.npz or .csv); used for calibration (fine-tuning is not available yet).",
        completion: .file(extensions: ["npz", "csv"]))
    var data: String?

    @Option(help: "Fine-tuning epochs with --data (only 0 is available yet).")
    var epochs: Int?

    @Option(help: "Seed of every random choice.")
    var seed: Int = 1

    @Option(help: "Also write the report as JSON to this file.", completion: .file(extensions: ["json"]))
    var report: String?

    func options() -> GenerateOptions {
        var options = GenerateOptions(modelPath: model, target: target)
        options.outputDirectory = output
        options.name = name
        options.prune = prune
        options.k = k
        options.n = n
        options.granularity = granularity
        options.sparsity = sparsity
        options.weightBits = weightBits
        options.activationBits = actBits
        options.weightScaling = weightScale
        options.calibPath = calib
        options.dataPath = data
        options.epochs = epochs
        options.seed = seed
        options.reportPath = report
        return options
    }
}

/// Prints to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

@main
enum Main {
    static func main() {
        let command: Gen
        do {
            command = try Gen.parse(Array(CommandLine.arguments.dropFirst()))
        } catch {
            let exitCode = Gen.exitCode(for: error)
            if exitCode == .success {
                print(Gen.fullMessage(for: error))
                exit(0)
            }
            // One line, `error: ...`, naming the flag (argument-parser's own wording).
            let message = Gen.message(for: error).split(separator: "\n").first.map(String.init) ?? "bad arguments"
            printError("error: " + message.replacingOccurrences(of: "Error: ", with: ""))
            printError("usage: gen --target mcu|hls|host MODEL.json [options] (see gen --help)")
            exit(64)
        }
        let diagnostics = DiagnosticEngine()
        do {
            let result = try runGenerator(command.options(), diagnostics: diagnostics)
            for diagnostic in diagnostics.diagnostics { printError(diagnostic.formatted) }
            print("gen: wrote \(result.files.map(\.name).joined(separator: ", ")) to \(result.outputDirectory)")
        } catch {
            for diagnostic in error.diagnostics { printError(diagnostic.formatted) }
            exit(1)
        }
    }
}
