// GenModel/Graph/LayerKofN.swift - A per-layer exception to the uniform k-of-n.

/// How one dense/conv2d layer is pruned when it differs from the model-wide `--k`/`--n`: from a
/// recipe file (`--recipe`), or SAP's choice of k per layer.
package enum LayerKofN: Sendable, Equatable {
    /// The layer keeps every weight (lowered dense).
    case unpruned
    /// k of every n (n == 0: the whole fan-in).
    case kOfN(k: Int, n: Int)
}
