// GenDriver/GenerateOptions.swift - The options of one `gen` run, as given on the command line.

/// Raw option values; `resolveOptions` checks them and reports errors naming the flag.
package struct GenerateOptions: Sendable {
    package var modelPath: String
    package var target: String
    package var outputDirectory: String?
    package var name: String?
    package var prune: String?
    package var k: Int?
    package var n: Int?
    package var granularity: String?
    /// `--kofn-rows R`: vector-wise k-of-n, R consecutive rows sharing one index set.
    package var kofnRows: Int?
    /// SAP's `--sap-scope`, `--sap-gamma`, `--sap-eta`, `--sap-iterations`.
    package var sapScope: String?
    package var sapGamma: Double?
    package var sapEta: Double?
    package var sapIterations: Int?
    /// EDP's `--edp-energy`, `--edp-rank`, `--edp-lambda`, `--edp-row-lambda`.
    package var edpEnergy: Double?
    package var edpRank: Int?
    package var edpLambda: Double?
    package var edpRowLambda: Double?
    /// `--schedule oneshot|gradual` (k-of-n with --data).
    package var schedule: String?
    /// `--sr-ste DECAY|off` (projected fine-tuning: k-of-n gradual, DARB, SAP's last fine-tuning).
    package var srSTE: String?
    /// `--augment SPEC` (training-time warp and noise; see resolveTrainingFlags.swift).
    package var augment: String?
    /// `--recipe FILE.json`: per-layer exceptions to the uniform k-of-n (see readRecipe.swift).
    package var recipePath: String?
    /// `--learning-rate`: peak rate of every training run (default `TrainingOptions().learningRate`).
    package var learningRate: Double?
    /// `--blas gsl|openblas`: the CBLAS behind training.
    package var blas: String?
    /// `--distill W`: the soft term's weight in knowledge distillation from the model as read.
    package var distill: Double?
    /// `--distill-temperature T` (default `DistillationSettings.defaultTemperature`).
    package var distillTemperature: Double?
    /// `--sparse-lowering auto|always|never`.
    package var sparseLowering: String = "auto"
    /// `--index-format auto|byte|nibble`.
    package var indexFormat: String = "auto"
    package var sparsity: Double?
    package var weightBits: Int = 8
    package var activationBits: Int = 8
    package var weightScaling: String = "channel"
    package var calibPath: String?
    package var dataPath: String?
    package var epochs: Int?
    package var seed: Int = 1
    package var reportPath: String?
    /// `--plot DIR`: write per-layer mask pictures there.
    package var plotDirectory: String?
    /// Folder holding Templates/ and Toolchains/; found by `ResourceLocator` when nil.
    package var resourcesRoot: String?

    package init(modelPath: String, target: String) {
        self.modelPath = modelPath
        self.target = target
    }
}

/// The default pruning when `--prune` is not given, and the default `--k`/`--n` of `--prune kofn`:
/// magnitude 8-of-16 (half the weights; see README for what it costs without fine-tuning).
package let defaultKofN = (k: 8, n: 16)
