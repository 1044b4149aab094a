// GenCompress/Pruning/PruneMethod.swift - The pruning methods the engine knows.

/// What `--prune` selects, with its parameters resolved.
package enum PruneMethod: Sendable, Equatable {
    /// No pruning: every weight is kept and layers are lowered dense.
    case none
    /// Deterministic magnitude k-of-n at weight granularity (the spec's reproducible baseline).
    /// `n == 0` means one group spanning the whole fan-in.
    case kOfN(k: Int, n: Int)
    /// DPP's learned k-of-n masks at weight granularity (needs training data); lowered like kOfN.
    case dpp(k: Int, n: Int)
    /// SAP picks each layer's k (of n) from the PQ index of its weights; magnitude picks which.
    case sap(SAPOptions, n: Int)
    /// DARB: one weight kept per block, the block size adapted per row to hit `sparsity`.
    case darb(sparsity: Double)
    /// EDP: each dense/conv2d layer as basis × coefficients (truncated SVD; with data, group lasso
    /// on the coefficients), zero channels pruned, pairs that do not pay merged back. No index tables.
    case edp(EDPOptions)
}
