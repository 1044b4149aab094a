// gen/Gen.swift - The `gen` command line: parses flags, runs the generator, prints diagnostics.

import ArgumentParser
import Foundation
import GenDriver
import GenSupport

/// `gen [generate] --target mcu|hls|host MODEL.json [options]` and `gen verify ...`
/// (see shared/spec/cli-and-c-api.md; `generate` is the default subcommand).
struct Gen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gen",
        abstract: "Compile a neural network (model.json) into pruned fixed-point C for host, Cortex-M or HLS.",
        discussion: """
            Writes <name>.h, <name>.c, <name>.pruned.json and <name>.report.json into -o DIR.
            Without --prune, gen prunes by magnitude, keeping 8 of every 16 weights (--prune kofn --k 8 --n 16).
            """,
        version: "0.1.0",
        subcommands: [Generate.self, Verify.self],
        defaultSubcommand: Generate.self)
}

/// The flags shared by generation and verification.
struct GenerateFlags: ParsableArguments {
    @Argument(help: "The model description (model.json v1).", completion: .file(extensions: ["json"]))
    var model: String

    @Option(help: "Target: a file name in Toolchains/ (host, mcu, hls).")
    var target: String

    @Option(name: [.customShort("o"), .customLong("output")], help: "Output folder (default: Generated/<name>).",
        completion: .directory)
    var output: String?

    @Option(help: "C identifier prefix and file stem (default: the model's name).")
    var name: String?

    @Option(help: "Pruning method: none, kofn, dpp (needs --data), sap (PQ-index adaptive), darb (adaptive 1-per-block), edp (low rank + channel pruning).")
    var prune: String?

    @Option(parsing: .unconditional, help: "Weights kept in every group of N (k-of-n).")
    var k: Int?

    @Option(parsing: .unconditional, help: "Group length along each output's fan-in; 0 means the whole fan-in.")
    var n: Int?

    @Option(help: "Pruning granularity: weight, kernel (conv2d input-channel kernels) or filter (output channels).")
    var granularity: String?

    @Option(name: .customLong("kofn-rows"), parsing: .unconditional,
        help: "With --prune kofn: every R consecutive output rows keep the same k of n positions (vector-wise k-of-n, ranked by the rows' summed magnitudes), so on arena targets a dense layer gathers its kept inputs once per set of R rows; 1 (default): each row its own.")
    var kofnRows: Int?

    @Option(name: .customLong("sap-scope"), help: "SAP: one PQ index per neuron, layer (default) or global.")
    var sapScope: String?

    @Option(name: .customLong("sap-gamma"), parsing: .unconditional, help: "SAP: scale of the pruned fraction (default 1).")
    var sapGamma: Double?

    @Option(name: .customLong("sap-eta"), parsing: .unconditional, help: "SAP: compression parameter eta_r >= 0 (default 0).")
    var sapEta: Double?

    @Option(name: .customLong("sap-iterations"), parsing: .unconditional,
        help: "SAP: pruning iterations (default 30 without --data; 5 with it, each retraining --epochs).")
    var sapIterations: Int?

    @Option(name: .customLong("edp-energy"), parsing: .unconditional,
        help: "EDP: keep the smallest rank holding this fraction of each layer's energy (default 0.9).")
    var edpEnergy: Double?

    @Option(name: .customLong("edp-rank"), parsing: .unconditional, help: "EDP: the same rank for every layer.")
    var edpRank: Int?

    @Option(name: .customLong("edp-lambda"), parsing: .unconditional,
        help: "EDP with --data: group-lasso strength on the coefficient columns, which prunes ranks (default 0.5).")
    var edpLambda: Double?

    @Option(name: .customLong("edp-row-lambda"), parsing: .unconditional,
        help: "EDP with --data: group-lasso strength on the coefficient rows, which prunes output channels (default 0.1).")
    var edpRowLambda: Double?

    @Option(help: "With --prune kofn and --data: gradual (default: after every step each group keeps its k largest weights, k shrinking from n to K over the first half of the epochs) or oneshot (prune once, then fine-tune with the masks fixed).")
    var schedule: String?

    @Option(name: .customLong("sr-ste"), parsing: .unconditional,
        help: "With --data and projected fine-tuning (--prune kofn with the gradual schedule, --prune darb, and SAP's last fine-tuning onto its per-layer k-of-n): train the dropped weights on with SR-STE (the network runs on the projection of dense weights; the step moves the dense ones, the dropped decay by DECAY x the learning rate), or 'off': for kofn and darb plain projected gradient descent (dropped weights set to zero), for sap the masks fixed. Default \(defaultStraightThroughDecay).")
    var srSTE: String?

    @Option(help: "With --data: perturb every training image at every step, e.g. rotate=10,scale=0.1,shear=0.1,shift=0.5,noise=0.2 (degrees, fractions, pixels, std); image=HxW gives a flat input's geometry. Default: none.")
    var augment: String?

    @Option(help: "With --prune kofn, dpp, darb or sap: a JSON file of per-layer exceptions, e.g. {\"version\": 1, \"layers\": {\"fc3\": {\"prune\": false}, \"conv1\": {\"k\": 4, \"n\": 9}}}; darb takes {\"sparsity\": S} instead of k and n, sap only {\"prune\": false} (see README).")
    var recipe: String?

    @Option(name: .customLong("learning-rate"), parsing: .unconditional,
        help: "With --data: peak learning rate of every training run (Adam, cosine decay to 0). Default 0.001.")
    var learningRate: Double?

    @Option(parsing: .unconditional,
        help: "With --data: knowledge distillation from the model as read: every training step's loss is (1 - W) x cross-entropy with the labels + W x T^2 x KL(teacher || student) of their softmaxes at temperature T. W in (0, 1]. Default: off (the labels alone).")
    var distill: Double?

    @Option(name: .customLong("distill-temperature"), parsing: .unconditional,
        help: "With --distill: the softmax temperature T of its soft term, from 0.1 to 100. Default \(defaultDistillationTemperature).")
    var distillTemperature: Double?

    @Option(help: "With --data: the BLAS behind training, gsl (default: GSL's CBLAS, the same bytes on every machine) or openblas (about 3x faster; libopenblas.so.0, one thread; its CPU-specific kernels may change the last bits between machines).")
    var blas: String?

    @Option(name: .customLong("sparse-lowering"),
        help: "auto: a pruned layer stays sparse only where the target's cost model says it is faster and smaller than dense; always: keep every pruned layer sparse; never: lower every layer dense.")
    var sparseLowering: String = "auto"

    @Option(name: .customLong("index-format"),
        help: "k-of-n index tables: auto (the cost model's choice), byte, or nibble (two per byte; n <= 16, even k).")
    var indexFormat: String = "auto"

    @Option(parsing: .unconditional, help: "Target fraction of weights removed, for methods that take a ratio (darb; edp's weight budget).")
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

    @Option(help: "Training data (.npz or .csv): fine-tunes the pruned model and calibrates (unless --calib).",
        completion: .file(extensions: ["npz", "csv"]))
    var data: String?

    @Option(parsing: .unconditional, help: "Fine-tuning epochs with --data (default 30; 0 = none).")
    var epochs: Int?

    @Option(parsing: .unconditional, help: "Seed of every random choice.")
    var seed: Int = 1

    @Option(help: "Also write the report as JSON to this file.", completion: .file(extensions: ["json"]))
    var report: String?

    @Option(help: "Write one SVG per layer with its kept weights as dark pixels into this folder.", completion: .directory)
    var plot: String?

    @Option(name: .customLong("report-format"), help: "Summary printed after the run: text, md or json.")
    var reportFormat: ReportFormat = .text

    @Flag(help: "Print nothing but errors and warnings.")
    var quiet = false


    func options() -> GenerateOptions {
        var options = GenerateOptions(modelPath: model, target: target)
        options.outputDirectory = output
        options.name = name
        options.prune = prune
        options.k = k
        options.n = n
        options.granularity = granularity
        options.kofnRows = kofnRows
        options.sparseLowering = sparseLowering
        options.sapScope = sapScope
        options.sapGamma = sapGamma
        options.sapEta = sapEta
        options.sapIterations = sapIterations
        options.schedule = schedule
        options.srSTE = srSTE
        options.augment = augment
        options.recipePath = recipe
        options.learningRate = learningRate
        options.blas = blas
        options.distill = distill
        options.distillTemperature = distillTemperature
        options.edpEnergy = edpEnergy
        options.edpRank = edpRank
        options.edpLambda = edpLambda
        options.edpRowLambda = edpRowLambda
        options.indexFormat = indexFormat
        options.sparsity = sparsity
        options.weightBits = weightBits
        options.activationBits = actBits
        options.weightScaling = weightScale
        options.calibPath = calib
        options.dataPath = data
        options.epochs = epochs
        options.seed = seed
        options.reportPath = report
        options.plotDirectory = plot
        return options
    }
}

/// `gen generate` (the default): writes the C files.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Generate C for a model (the default subcommand).")

    @OptionGroup var flags: GenerateFlags
}

/// `gen verify`: builds the generated C for the host, runs it on a data set and compares it with
/// the float models, like ST's `validate`.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compile the generated C for the host, run it on --data and compare with the float models.",
        discussion:
            "--data is the data set to run (its test split when it has one); calibration comes from --calib or "
            + "input.range. Prints accuracy, rmse, mae, l2r and cosine of the C against the pruned float model "
            + "(what the C implements) and the unpruned one, overall and per output. Exits with 2 when a "
            + "tolerance is exceeded (1 on bad input).")

    @OptionGroup var flags: GenerateFlags

    @Option(name: .customLong("max-l2r"), help: "Largest relative L2 error of the C against the pruned float model.")
    var maxL2r: Double?

    @Option(name: .customLong("min-cosine"), help: "Smallest cosine similarity of the C against the pruned float model.")
    var minCosine: Double?

    @Option(name: .customLong("max-accuracy-drop"), help: "Largest accuracy loss in points against the unpruned float model.")
    var maxAccuracyDrop: Double?
}
/// Prints to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

@main
enum Main {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        // Help shows the flags of the subcommand asked about; `gen --help` shows generate's, the default.
        if arguments.contains("--help") || arguments.contains("-h") || arguments.first == "help" {
            let verify = arguments.contains("verify")
            print(Gen.helpMessage(for: verify ? Verify.self : Generate.self))
            if !verify { print("Subcommands: generate (default), verify. See 'gen verify --help'.") }
            exit(0)
        }
        let command: ParsableCommand
        do {
            command = try Gen.parseAsRoot(Array(CommandLine.arguments.dropFirst()))
        } catch {
            let exitCode = Gen.exitCode(for: error)
            if exitCode == .success {
                // Help and --version: argument-parser prints the page of the subcommand asked about.
                Gen.exit(withError: error)
            }
            // One line, `error: ...`, naming the flag (argument-parser's own wording).
            let message = Gen.message(for: error).split(separator: "\n").first.map(String.init) ?? "bad arguments"
            printError("error: " + message.replacingOccurrences(of: "Error: ", with: "") + " (see gen --help)")
            exit(64)
        }
        switch command {
        case let generate as Generate: exit(runGenerate(generate.flags))
        case let verify as Verify: exit(runVerify(verify))
        default:
            print(Gen.helpMessage())
            exit(0)
        }
    }

    static func runGenerate(_ flags: GenerateFlags) -> Int32 {
        let diagnostics = DiagnosticEngine()
        do {
            let result = try runGenerator(
                flags.options(), diagnostics: diagnostics, progress: ProgressReporter(quiet: flags.quiet))
            for diagnostic in diagnostics.diagnostics { printError(diagnostic.formatted) }
            if !flags.quiet {
                print(renderReportTable(result.report, format: flags.reportFormat), terminator: "")
                // A status line, on stderr: stdout holds only the report (valid JSON with --report-format json).
                printError("gen: wrote \(result.files.map(\.name).joined(separator: ", ")) to \(result.outputDirectory)")
            }
            return 0
        } catch {
            for diagnostic in error.diagnostics { printError(diagnostic.formatted) }
            return 1
        }
    }

    static func runVerify(_ verify: Verify) -> Int32 {
        let diagnostics = DiagnosticEngine()
        var generate = verify.flags.options()
        guard let data = generate.dataPath else {
            printError("error: --data: gen verify needs a data set to run (.npz or .csv)")
            return 64
        }
        // The data set is what the C runs on; it does not calibrate (use --calib for that).
        generate.dataPath = nil
        var options = VerifyOptions(generate: generate, dataPath: data)
        options.maximumL2r = verify.maxL2r
        options.minimumCosine = verify.minCosine
        options.maximumAccuracyDrop = verify.maxAccuracyDrop
        let progress = ProgressReporter(quiet: verify.flags.quiet)
        do {
            let result = try runVerification(options, diagnostics: diagnostics, progress: progress)
            for diagnostic in diagnostics.diagnostics where diagnostic.severity != .error { printError(diagnostic.formatted) }
            if !verify.flags.quiet { print(renderVerification(result, dataPath: data), terminator: "") }
            for violation in result.violations { printError("error: " + violation) }
            // 2: the C ran but missed a tolerance (1 is kept for bad input, as in generate).
            return result.violations.isEmpty ? 0 : 2
        } catch {
            for diagnostic in error.diagnostics { printError(diagnostic.formatted) }
            return 1
        }
    }
}

extension ReportFormat: ExpressibleByArgument {}
