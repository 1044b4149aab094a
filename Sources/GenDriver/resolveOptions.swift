// GenDriver/resolveOptions.swift - Checks flag values and combinations, naming the flag in every error.

import GenCompress
import GenLearn
import GenLowering
import GenModel
import GenSupport

/// Options after checking: closed sets as enums, numbers in range.
package struct ResolvedOptions: Sendable {
    package var prune: PruneMethod
    package var quantization: QuantizationOptions
    package var seed: UInt64
    /// Fine-tuning epochs (0: none); only meaningful with --data.
    package var epochs: Int
    /// `--granularity kernel`: conv2d layers keep whole input-channel kernels.
    package var kernelGranularity: Bool = false
    /// `--granularity filter`: k of every n output channels kept, the rest compacted away.
    package var filterGranularity: Bool = false
    /// `--kofn-rows`: rows per shared k-of-n index set (1: each row its own).
    package var rowsPerSet: Int = 1
    /// `--schedule gradual`: k-of-n masks shrink from n to k over the first half of fine-tuning.
    package var gradualPruning: Bool = false
    /// `--sr-ste`: the dropped weights' decay under SR-STE in projected fine-tuning; nil: plain projection.
    package var straightThroughDecay: Double?
    /// `--sparse-lowering` and `--index-format`.
    package var lowering = LoweringOptions()
    /// `--augment`, fitted to the model's input by `Generator` once the model is read.
    package var augmentation: Augmentation?
    /// `--learning-rate`; nil: the trainer's default.
    package var learningRate: Double?
    /// `--blas`.
    package var matrixMultiply = MatrixMultiply.gsl
    /// `--distill` and `--distill-temperature`: nil without --distill.
    package var distillationSettings: DistillationSettings?
    /// The model as read, set by `Generator` once it is read when --distill is given: the teacher.
    package var teacher: Graph?

    /// What every training run of this generation uses: epochs, seed, augmentation.
    package var trainingOptions: TrainingOptions {
        var options = TrainingOptions(epochs: epochs, seed: seed)
        options.augmentation = augmentation
        if let learningRate { options.learningRate = learningRate }
        options.matrixMultiply = matrixMultiply
        if let settings = distillationSettings {
            // Generator sets the teacher as soon as the model is read, before any training.
            guard let teacher else { preconditionFailure("--distill: training options asked for before the teacher was set") }
            options.distillation = Distillation(teacher: teacher, settings: settings)
        }
        return options
    }
}

/// `--prune darb` without `--sparsity`: 7 of every 8 weights removed (8x fewer weights).
package let defaultDARBSparsity = 0.875

/// Fine-tuning epochs when --data is given without --epochs.
package let defaultFineTuningEpochs = 30

/// The pruning methods `--prune` accepts; the ones not built yet are rejected with a clear error.
package let pruneMethodNames = ["none", "kofn", "dpp", "darb", "edp", "sap"]

/// Checks every flag and reports all problems before stopping.
/// - Throws: `GenFailure` with one diagnostic per bad flag.
package func resolveOptions(_ options: GenerateOptions, diagnostics: DiagnosticEngine) throws(GenFailure)
    -> ResolvedOptions
{
    func flagError(_ text: String) { diagnostics.error(text) }
    for (flag, bits) in [("--weight-bits", options.weightBits), ("--act-bits", options.activationBits)]
    where bits != 8 && bits != 16 {
        flagError("\(flag): expected 8 or 16, found \(bits)")
    }
    let scaling = WeightScaling(rawValue: options.weightScaling)
    if scaling == nil {
        flagError("--weight-scale: expected 'channel' or 'layer', found '\(options.weightScaling)'")
    }
    if let granularity = options.granularity, granularity != "weight", options.prune != "sap", options.prune != "darb" {
        switch granularity {
        case "kernel":
            if options.prune != nil && options.prune != "kofn" && options.prune != "dpp" {
                flagError("--granularity kernel: available with --prune kofn or dpp")
            }
        case "filter":
            if options.prune != nil && options.prune != "kofn" && options.prune != "dpp" {
                flagError("--granularity filter: available with --prune kofn or dpp")
            }
        default:
            flagError("--granularity: expected 'weight', 'kernel' or 'filter', found '\(granularity)'")
        }
    }
    let sparseLowering = SparseLowering(rawValue: options.sparseLowering)
    if sparseLowering == nil {
        flagError("--sparse-lowering: expected 'auto', 'always' or 'never', found '\(options.sparseLowering)'")
    }
    let indexFormat = IndexFormat(rawValue: options.indexFormat)
    if indexFormat == nil {
        flagError("--index-format: expected 'auto', 'byte' or 'nibble', found '\(options.indexFormat)'")
    }
    if options.seed < 0 { flagError("--seed: expected a whole number >= 0, found \(options.seed)") }
    if let epochs = options.epochs {
        if epochs < 0 { flagError("--epochs: expected a whole number >= 0, found \(epochs)") }
        if options.dataPath == nil { flagError("--epochs: needs --data (fine-tuning data)") }
    }
    let method = options.prune ?? "kofn"
    var prune = PruneMethod.none
    switch method {
    case "none", "kofn", "dpp", "darb", "edp":
        let given = [("--sap-scope", options.sapScope != nil), ("--sap-gamma", options.sapGamma != nil),
            ("--sap-eta", options.sapEta != nil), ("--sap-iterations", options.sapIterations != nil)]
        for (flag, isGiven) in given where isGiven { flagError("\(flag): only used by --prune sap") }
    default:
        break
    }
    if method != "edp" {
        let given = [("--edp-energy", options.edpEnergy != nil), ("--edp-rank", options.edpRank != nil),
            ("--edp-lambda", options.edpLambda != nil), ("--edp-row-lambda", options.edpRowLambda != nil)]
        for (flag, isGiven) in given where isGiven { flagError("\(flag): only used by --prune edp") }
    }
    switch method {
    case "none":
        if options.k != nil || options.n != nil { flagError("--k/--n: not used by --prune none") }
        if options.sparsity != nil { flagError("--sparsity: not used by --prune none") }
    case "kofn", "dpp":
        let k = options.k ?? defaultKofN.k
        let n = options.n ?? defaultKofN.n
        if options.sparsity != nil { flagError("--sparsity: not used by --prune \(method) (it keeps exactly --k of --n)") }
        if method == "dpp" && options.dataPath == nil { flagError("--prune dpp: needs --data (the masks are learned)") }
        if method == "dpp" && options.epochs == 0 { flagError("--prune dpp: needs --epochs > 0 (the masks are learned)") }
        if k < 1 { flagError("--k: expected K >= 1, found \(k)") }
        if n < 0 { flagError("--n: expected N >= 0 (0 = whole fan-in), found \(n)") }
        if n > 0 && k > n { flagError("--k: expected K <= N, found K = \(k) > N = \(n)") }
        prune = method == "dpp" ? .dpp(k: k, n: n) : .kOfN(k: k, n: n)
    case "sap":
        if options.k != nil { flagError("--k: not used by --prune sap (SAP chooses k per layer)") }
        if options.sparsity != nil { flagError("--sparsity: not used by --prune sap (the PQ index decides)") }
        if options.granularity != nil && options.granularity != "weight" {
            flagError("--granularity: --prune sap works at weight granularity")
        }
        let n = options.n ?? defaultKofN.n
        if n < 0 { flagError("--n: expected N >= 0 (0 = whole fan-in), found \(n)") }
        var sap = SAPOptions()
        if let text = options.sapScope {
            if let scope = SAPScope(rawValue: text) {
                sap.scope = scope
            } else {
                flagError("--sap-scope: expected 'neuron', 'layer' or 'global', found '\(text)'")
            }
        }
        if let gamma = options.sapGamma {
            if !(gamma > 0) || !gamma.isFinite { flagError("--sap-gamma: expected a number > 0, found \(gamma)") }
            sap.gamma = gamma
        }
        if let eta = options.sapEta {
            if !(eta >= 0) || !eta.isFinite { flagError("--sap-eta: expected a number >= 0, found \(eta)") }
            sap.eta = eta
        }
        let iterations = options.sapIterations ?? (options.dataPath == nil ? 30 : 5)
        if iterations < 1 || iterations > 1000 {
            flagError("--sap-iterations: expected a whole number from 1 to 1000, found \(iterations)")
        }
        sap.iterations = iterations
        prune = .sap(sap, n: n)
    case "darb":
        if options.k != nil || options.n != nil { flagError("--k/--n: not used by --prune darb (block sizes adapt per row)") }
        if options.granularity != nil && options.granularity != "weight" {
            flagError("--granularity: --prune darb works at weight granularity")
        }
        let sparsity = options.sparsity ?? defaultDARBSparsity
        if !(sparsity > 0 && sparsity < 1) {
            flagError("--sparsity: expected a fraction of weights removed, greater than 0 and less than 1, found \(sparsity)")
        }
        prune = .darb(sparsity: sparsity)
    case "edp":
        prune = .edp(resolveEDPOptions(options, flagError: flagError))
    default:
        flagError("--prune: expected 'none', 'kofn', 'dpp', 'darb', 'edp' or 'sap', found '\(method)'")
    }
    // Gradual pruning is the default for magnitude k-of-n at weight or kernel granularity with data.
    var gradual = false
    let schedulable = method == "kofn" && options.granularity != "filter" && options.dataPath != nil && options.epochs != 0
    switch options.schedule {
    case nil: gradual = schedulable
    case "oneshot", "gradual":
        if method != "kofn" {
            flagError("--schedule: only used by --prune kofn (the other methods set their own training)")
        } else if options.dataPath == nil {
            flagError("--schedule: only used with --data (it sets how fine-tuning prunes)")
        } else if options.schedule == "gradual" && !schedulable {
            flagError("--schedule gradual: needs --prune kofn at weight or kernel granularity and --epochs > 0")
        }
        gradual = options.schedule == "gradual" && schedulable
    case let other?:
        flagError("--schedule: expected 'oneshot' or 'gradual', found '\(other)'")
    }
    let straightThroughDecay = resolveStraightThrough(
        options,
        projected: gradual || ((method == "darb" || method == "sap") && options.dataPath != nil && options.epochs != 0),
        flagError: flagError)
    if options.recipePath != nil {
        if method != "kofn" && method != "dpp" && method != "sap" && method != "darb" {
            flagError(
                "--recipe: only used by --prune kofn or dpp (per-layer k and n), darb (per-layer sparsity) or sap (layers kept whole)")
        } else if options.granularity == "filter" {
            flagError("--recipe: not available with --granularity filter")
        }
    }
    if let rows = options.kofnRows {
        if rows < 1 {
            flagError("--kofn-rows: expected a whole number >= 1 (rows sharing one index set), found \(rows)")
        } else if method != "kofn" && method != "dpp" {
            flagError("--kofn-rows: only used by --prune kofn or dpp (k-of-n masks)")
        } else if options.granularity != nil && options.granularity != "weight" {
            flagError("--kofn-rows: needs --granularity weight (rows share positions of single weights)")
        }
    }
    let training = resolveTrainingFlags(options, flagError: flagError)
    try diagnostics.checkpoint()
    return ResolvedOptions(
        prune: prune,
        quantization: QuantizationOptions(
            weightBits: options.weightBits, activationBits: options.activationBits,
            weightScaling: scaling ?? .perChannel),
        seed: UInt64(max(options.seed, 0)),
        epochs: options.dataPath == nil ? 0 : max(options.epochs ?? defaultFineTuningEpochs, 0),
        kernelGranularity: options.granularity == "kernel", filterGranularity: options.granularity == "filter",
        rowsPerSet: options.kofnRows ?? 1, gradualPruning: gradual, straightThroughDecay: straightThroughDecay,
        lowering: LoweringOptions(sparseLowering: sparseLowering ?? .auto, indexFormat: indexFormat ?? .auto),
        augmentation: training.augmentation, learningRate: options.learningRate, matrixMultiply: training.matrixMultiply,
        distillationSettings: training.distillation)
}

/// `--sr-ste` when not given: the dropped weights' decay per unit of learning rate. Chosen on the
/// small digits MLP (BENCHMARKS.md, issue 4): of 0.1 to 1 on seeds 1-8, 0.2 and 0.3 did best (0.2 a
/// little better); on seeds 9-16 0.3 did better, and over all sixteen the two tie. 0.3 is the larger,
/// so the dropped weights that return are the ones the loss keeps pulling.
package let defaultStraightThroughDecay = 0.3

/// `--sr-ste DECAY|off`: SR-STE's decay (a number from 0 to 100) where fine-tuning is projected
/// (`projected`: gradual k-of-n, DARB, SAP's last fine-tuning), the default there; nil elsewhere or with `off`.
private func resolveStraightThrough(_ options: GenerateOptions, projected: Bool, flagError: (String) -> Void) -> Double? {
    guard let text = options.srSTE else { return projected ? defaultStraightThroughDecay : nil }
    if !projected {
        flagError(
            "--sr-ste: only used where fine-tuning is projected: --data with --prune kofn (gradual schedule, weight or kernel granularity), darb or sap, and --epochs > 0")
        return nil
    }
    if text == "off" { return nil }
    guard let decay = Double(text), decay >= 0, decay <= 100 else {
        flagError("--sr-ste: expected the dropped weights' decay, a number from 0 to 100, or 'off', found '\(text)'")
        return nil
    }
    return decay
}

/// `--prune edp`'s settings: one rank rule (`--edp-energy`, `--edp-rank` or `--sparsity`, default
/// energy 0.9) and the group-lasso strengths used with `--data`.
private func resolveEDPOptions(_ options: GenerateOptions, flagError: (String) -> Void) -> EDPOptions {
    var edp = EDPOptions()
    if options.k != nil || options.n != nil { flagError("--k/--n: not used by --prune edp (it keeps a rank, not k of n)") }
    if options.granularity != nil && options.granularity != "weight" {
        flagError("--granularity: not used by --prune edp (it removes ranks and whole channels)")
    }
    let rules = [("--edp-energy", options.edpEnergy != nil), ("--edp-rank", options.edpRank != nil),
        ("--sparsity", options.sparsity != nil)].filter(\.1).map(\.0)
    if rules.count > 1 {
        flagError("\(rules.joined(separator: ", ")): give only one of --edp-energy, --edp-rank and --sparsity (each sets the ranks)")
    }
    if let energy = options.edpEnergy {
        if !(energy > 0 && energy <= 1) {
            flagError("--edp-energy: expected a fraction of each layer's energy greater than 0 and at most 1, found \(energy)")
        }
        edp.rankRule = .energy(energy)
    }
    if let rank = options.edpRank {
        if rank < 1 { flagError("--edp-rank: expected a whole number >= 1, found \(rank)") }
        edp.rankRule = .rank(rank)
    }
    if let sparsity = options.sparsity {
        if !(sparsity > 0 && sparsity < 1) {
            flagError("--sparsity: expected a fraction of weights removed, greater than 0 and less than 1, found \(sparsity)")
        }
        edp.rankRule = .sparsity(sparsity)
    }
    for (flag, value) in [("--edp-lambda", options.edpLambda), ("--edp-row-lambda", options.edpRowLambda)] {
        guard let value else { continue }
        if !(value >= 0) || !value.isFinite { flagError("\(flag): expected a number >= 0, found \(value)") }
        if options.dataPath == nil || options.epochs == 0 {
            flagError("\(flag): needs --data and --epochs > 0 (group lasso acts while training)")
        }
    }
    if let lambda = options.edpLambda { edp.columnLasso = lambda }
    if let lambda = options.edpRowLambda { edp.rowLasso = lambda }
    return edp
}
