// GenDriver/Generator.swift - Runs the whole pipeline: read, prune, quantize, lower, emit, report.

import Foundation
import GenCompress
import GenEmitC
import GenLearn
import GenLowering
import GenModel
import GenONNX
import GenSupport
import GenTarget

/// Everything one run produced, in memory.
package struct GenerationResult: Sendable {
    package var files: [GeneratedFile]
    package var outputDirectory: String
    package var program: Program
    package var report: ModelReport
    /// The model as read (batchnorm folded), before fusion and pruning.
    package var unprunedGraph: Graph
    /// The pruned float model the C implements (what `.pruned.json` holds).
    package var prunedGraph: Graph
    /// For `gen verify`: a main() that runs the program on vectors from standard input.
    package var verifyHarness: GeneratedFile
}

/// The pipeline with its file reading. Nothing is written here; `runGenerator` writes.
package enum Generator {
    /// Largest number of calibration samples used (the first ones of the file).
    package static let maximumCalibrationSamples = 2048
    package static let syntheticSampleCount = 256

    /// Runs stages 1-5 and returns the files to write.
    /// - Throws: `GenFailure` with every diagnostic found.
    package static func generate(
        _ options: GenerateOptions, diagnostics: DiagnosticEngine, progress: ProgressReporter? = nil
    ) throws(GenFailure) -> GenerationResult {
        var resolved = try resolveOptions(options, diagnostics: diagnostics)
        let resources = try locateResources(options, diagnostics: diagnostics)
        let target = try loadTarget(options.target, root: resources, diagnostics: diagnostics)
        if resolved.lowering.indexFormat == .nibble && target.hlsPragmas {
            diagnostics.error("--index-format nibble: not available for target '\(target.name)' (its kernels index the tables directly); use 'byte' or 'auto'")
            try diagnostics.checkpoint()
        }
        let modelBytes = try readFile(options.modelPath, what: "model", diagnostics: diagnostics)
        var graph =
            options.modelPath.lowercased().hasSuffix(".onnx")
            ? try loadONNXModel(file: options.modelPath, bytes: modelBytes, diagnostics: diagnostics)
            : try loadModel(file: options.modelPath, bytes: modelBytes, diagnostics: diagnostics)
        let unpruned = graph
        if resolved.distillationSettings != nil { resolved.teacher = unpruned }
        if let augmentation = resolved.augmentation {
            resolved.augmentation = fitAugmentation(augmentation, to: graph.inputShape, diagnostics: diagnostics)
            try diagnostics.checkpoint()
        }
        let name: String
        if let override = options.name {
            // Kept as given (the model's own name is lower-cased, an explicit --name is not).
            guard isCIdentifier(override) else {
                diagnostics.error("--name: '\(override)' is not a valid C identifier prefix; expected [A-Za-z_][A-Za-z0-9_]*")
                throw GenFailure(diagnostics: diagnostics.diagnostics)
            }
            name = override
        } else {
            name = graph.name
        }
        let classes = graph.outputSize
        var calibration: (samples: [[Double]], source: String)?
        var trainingData: DataFile?
        if let path = options.dataPath {
            trainingData = try loadDataFile(
                file: path, inputShape: graph.inputShape, classes: classes, purpose: .training, flag: "--data",
                diagnostics: diagnostics)
        }
        if let path = options.calibPath {
            let data = try loadDataFile(
                file: path, inputShape: graph.inputShape, classes: classes, purpose: .calibration, flag: "--calib",
                diagnostics: diagnostics)
            let samples = Array(data.train.inputs.prefix(maximumCalibrationSamples))
            calibration = (samples, "--calib \(baseName(path)) (\(samples.count) samples)")
        } else if let data = trainingData, let path = options.dataPath {
            let samples = Array(data.train.inputs.prefix(maximumCalibrationSamples))
            calibration = (samples, "--data \(baseName(path)) (\(samples.count) samples)")
        }
        if let samples = calibration?.samples {
            warnIfOutsideRange(samples, graph: graph, flag: options.calibPath != nil ? "--calib" : "--data",
                diagnostics: diagnostics)
        } else if options.modelPath.lowercased().hasSuffix(".onnx") {
            diagnostics.warning(
                "ONNX models carry no input range: assuming [-1, 1] for the input format and calibration; give --calib for real ranges",
                at: SourceLocation(file: options.modelPath))
        }

        graph = fuseActivations(graph)
        var recipeEntries: [Int: LayerRecipe] = [:]
        if let path = options.recipePath {
            let bytes = try readFile(path, what: "recipe", diagnostics: diagnostics)
            let form: RecipeForm
            switch resolved.prune {
            case .kOfN(let k, let n), .dpp(let k, let n): form = .kOfN(k: k, n: n)
            case .sap: form = .wholeOnly  // SAP chooses each layer's k
            case .darb: form = .sparsity
            case .none, .edp: form = .kOfN(k: defaultKofN.k, n: defaultKofN.n)  // resolveOptions refuses --recipe here
            }
            recipeEntries = try readRecipe(file: path, bytes: bytes, graph: graph, form: form, diagnostics: diagnostics)
        }
        let recipe = recipeEntries.compactMapValues(\.kOfN)
        let keptWhole = Set(recipeEntries.filter { $0.value == .unpruned }.keys)
        let darbSparsity = recipeEntries.compactMapValues(\.sparsity)
        let darbLayerSparsity = darbSparsity.keys.sorted().map { (layer: graph.layers[$0].name, sparsity: darbSparsity[$0]!) }
        var training: TrainingSummary?
        var sapSummary: SAPSummary?
        var edpSummary: EDPSummary?
        func magnitudePruned(_ graph: Graph, k: Int, n: Int) -> Graph {
            resolved.filterGranularity
                ? pruneFilters(graph, k: k, n: n)
                : pruneMagnitudeKofN(
                    graph, k: k, n: n, kernelGranularity: resolved.kernelGranularity, perLayer: recipe,
                    rowsPerSet: resolved.rowsPerSet)
        }
        switch resolved.prune {
        case .none, .kOfN, .darb:
            switch resolved.prune {
            case .kOfN(let k, let n): graph = magnitudePruned(graph, k: k, n: n)
            case .darb(let sparsity):
                graph = pruneDARB(graph, sparsity: sparsity, perLayer: darbSparsity, keepingWhole: keptWhole)
            case .none, .sap, .dpp, .edp: break
            }
            if let data = trainingData, resolved.epochs > 0 {
                (graph, training) = fineTunePruned(graph, resolved: resolved, data: data, progress: progress)
            }
        case .edp(let edpOptions):
            let run = runEDP(graph, options: edpOptions, data: trainingData, training: resolved.trainingOptions,
                progress: progress, diagnostics: diagnostics)
            graph = run.graph
            training = run.training
            edpSummary = run.summary
        case .sap(let sapOptions, let n):
            let run = runSAP(
                graph, options: sapOptions, n: n, keepingWhole: keptWhole,
                data: trainingData, training: resolved.trainingOptions,
                straightThroughDecay: resolved.straightThroughDecay, progress: progress)
            graph = run.graph
            training = run.training
            sapSummary = run.summary
        case .dpp(let k, let n):
            // resolveOptions guarantees data and epochs: E epochs learning masks, then E fine-tuning.
            guard let data = trainingData else { break }
            let before = magnitudePruned(graph, k: k, n: n)
            var options = DPPOptions(k: k, n: n, epochs: resolved.epochs, fineTuneEpochs: resolved.epochs, seed: resolved.seed)
            options.training = resolved.trainingOptions
            options.perLayer = recipe
            options.granularity = resolved.kernelGranularity ? .kernel : resolved.filterGranularity ? .filter : .weight
            options.rowsPerSet = resolved.rowsPerSet
            let result = trainDPP(graph, on: data.train, options: options) { epoch in
                progress?.update(
                    "dpp", done: epoch.epoch, total: 2 * resolved.epochs,
                    detail: "loss \(fixed(epoch.loss, 4)), train accuracy \(fixed(epoch.trainAccuracy * 100, 2))%")
            }
            graph = result.graph
            var summary = TrainingSummary(
                options: options.training, history: result.history, data: data, before: before, after: graph)
            summary.maskMetrics = result.metrics
            training = summary
        }
        let samples = calibration?.samples
            ?? syntheticCalibrationSamples(graph, count: syntheticSampleCount, seed: resolved.seed)
        let source = calibration?.source
            ?? "input.range [\(graph.inputRange.low), \(graph.inputRange.high)] (\(samples.count) seeded uniform samples)"
        let ranges = calibrateRanges(graph, samples: samples)
        let quantized = quantizeGraph(
            graph, calibratedMaxAbs: ranges, options: resolved.quantization, calibrationSource: source,
            diagnostics: diagnostics)
        let program = lowerProgram(quantized, name: name, target: target, options: resolved.lowering)
        let renderer = try loadTemplates(root: resources, diagnostics: diagnostics)
        let sourceName = baseName(options.modelPath)
        var files = emitCFiles(program, sourceFile: sourceName, renderer: renderer)
        training?.measureFixedPoint(program)
        let report = writeReport(
            program, options: options, resolved: resolved, sourceFile: sourceName, training: training, sap: sapSummary, edp: edpSummary,
            darbLayerSparsity: darbLayerSparsity)
        if let sapSummary {
            files.append(GeneratedFile(name: name + ".pqi.csv", contents: sapSummary.csv))
            files.append(GeneratedFile(name: name + ".pqi.svg", contents: sapSummary.svg))
        }
        files.append(GeneratedFile(name: name + ".pruned.json", contents: writeModelJSON(graph, name: name)))
        files.append(GeneratedFile(name: name + ".report.json", contents: report.json))
        files.sort { $0.name < $1.name }
        try diagnostics.checkpoint()
        return GenerationResult(
            files: files, outputDirectory: options.outputDirectory ?? "Generated/\(name)", program: program,
            report: report, unprunedGraph: unpruned, prunedGraph: graph,
            verifyHarness: emitVerifyHarness(program, renderer: renderer))
    }

    private static func baseName(_ path: String) -> String {
        String(path.split(separator: "/", omittingEmptySubsequences: false).last ?? Substring(path))
    }

    /// Largest model or toolchain file accepted.
    package static let maximumModelFileBytes = 512 << 20

    private static func readFile(_ path: String, what: String, diagnostics: DiagnosticEngine) throws(GenFailure)
        -> [UInt8]
    {
        switch readFileBytes(path, limit: maximumModelFileBytes) {
        case .success(let bytes): return bytes
        case .failure(let failure):
            diagnostics.error("cannot read the \(what) file: \(failure.message)", at: SourceLocation(file: path))
            throw GenFailure(diagnostics: diagnostics.diagnostics)
        }
    }

    package static func locateResources(_ options: GenerateOptions, diagnostics: DiagnosticEngine) throws(GenFailure)
        -> String
    {
        let found = ResourceLocator.find(
            explicit: options.resourcesRoot, environment: ProcessInfo.processInfo.environment,
            executable: Bundle.main.executablePath, workingDirectory: FileManager.default.currentDirectoryPath)
        guard let root = found.root else {
            diagnostics.error(
                "cannot find Templates/ and Toolchains/; set GEN_HOME to the Sprig folder (tried: \(found.tried.joined(separator: ", ")))"
            )
            throw GenFailure(diagnostics: diagnostics.diagnostics)
        }
        return root
    }

    /// Target names are the files in Toolchains/; an unknown one is an error that lists them.
    /// The target description named by `options.target`, from the located Toolchains/.
    package static func target(_ options: GenerateOptions, diagnostics: DiagnosticEngine) throws(GenFailure)
        -> TargetDescription
    {
        let root = try locateResources(options, diagnostics: diagnostics)
        return try loadTarget(options.target, root: root, diagnostics: diagnostics)
    }

    private static func loadTarget(_ name: String, root: String, diagnostics: DiagnosticEngine) throws(GenFailure)
        -> TargetDescription
    {
        let folder = root + "/Toolchains"
        let available = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [])
            .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
        guard available.contains(name) else {
            diagnostics.error("--target: unknown target '\(name)'; expected one of \(available.joined(separator: ", "))")
            throw GenFailure(diagnostics: diagnostics.diagnostics)
        }
        let file = folder + "/" + name + ".json"
        let bytes = try readFile(file, what: "toolchain", diagnostics: diagnostics)
        return try loadTargetDescription(file: file, bytes: bytes, diagnostics: diagnostics)
    }

    private static func loadTemplates(root: String, diagnostics: DiagnosticEngine) throws(GenFailure)
        -> TemplateRenderer
    {
        var texts: [String: String] = [:]
        for name in TemplateSources.required {
            if let data = FileManager.default.contents(atPath: root + "/Templates/" + name + ".mustache") {
                texts[name] = String(decoding: data, as: UTF8.self)
            }
        }
        return try TemplateRenderer(TemplateSources(texts: texts), templatesDirectory: root + "/Templates")
    }
}

/// Warns when data lies outside `input.range`: the input Q-format is chosen from the range, so such
/// inputs saturate (a common slip: pixels 0..255 or 0..16 for a model trained on [0, 1]).
func warnIfOutsideRange(_ samples: [[Double]], graph: Graph, flag: String, diagnostics: DiagnosticEngine) {
    let (low, high) = graph.inputRange
    let slack = (high - low) * 0.01
    var smallest = Double.infinity
    var largest = -Double.infinity
    for sample in samples {
        for value in sample {
            smallest = min(smallest, value)
            largest = max(largest, value)
        }
    }
    if smallest < low - slack || largest > high + slack {
        diagnostics.warning(
            "\(flag): inputs span [\(smallest), \(largest)], outside the model's input.range [\(low), \(high)]; they saturate in fixed point (scale the data or set input.range)")
    }
}

/// Runs the generator and writes its files (plus `--report FILE`); nothing is written on failure.
/// - Throws: `GenFailure` with every diagnostic found.
package func runGenerator(
    _ options: GenerateOptions, diagnostics: DiagnosticEngine, progress: ProgressReporter? = nil
) throws(GenFailure) -> GenerationResult {
    // No output may replace a file the run reads; checked first, so that such a run fails before training.
    let inputs = [(options.modelPath, "model"), (options.dataPath, "--data"), (options.calibPath, "--calib"), (options.recipePath, "--recipe")]
        .compactMap { path, flag in path.map { (path: $0, flag: flag) } }
    // Nor write into gen's own Templates/ and Toolchains/.
    let root = try Generator.locateResources(options, diagnostics: diagnostics)
    try OutputWriter.refuseInputs(
        [(options.reportPath, "--report"), (options.plotDirectory, "--plot"), (options.outputDirectory, "-o")]
            .compactMap { path, flag in path.map { (path: $0, flag: flag) } },
        inputs: inputs, inputFolders: [root + "/Templates", root + "/Toolchains"])
    let result = try Generator.generate(options, diagnostics: diagnostics, progress: progress)
    var extra = options.reportPath.map {
        [OutputWriter.Destination(path: $0, contents: result.report.json, flag: "--report")]
    } ?? []
    var folders: [OutputWriter.Folder] = []
    if let plots = options.plotDirectory {
        folders.append(OutputWriter.Folder(path: plots, flag: "--plot"))
        extra += plotMasks(result.program.quantized).map {
            OutputWriter.Destination(path: plots + "/" + $0.name, contents: $0.contents, flag: "--plot")
        }
    }
    // Checked again for the generated files, whose names are known only now (<name>.pruned.json over the model).
    try OutputWriter.write(result.files, to: result.outputDirectory, extra: extra, folders: folders, inputs: inputs)
    return result
}
