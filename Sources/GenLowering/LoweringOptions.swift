// GenLowering/LoweringOptions.swift - The user's say in how pruned layers are lowered.

/// Whether a pruned layer keeps its sparse form when the target's cost model says it does not pay.
package enum SparseLowering: String, Sendable, CaseIterable {
    /// Sparse only where the cost model estimates it both faster and smaller than dense.
    case auto
    /// Always the sparse form (the pruned weights are zero either way; only speed and size differ).
    case always
    /// Always dense tables, which hold the pruned zeros (to measure what sparsity buys).
    case never
}

/// How k-of-n index tables are stored.
package enum IndexFormat: String, Sendable, CaseIterable {
    /// The form the cost model prefers; one byte per index on targets without one.
    case auto
    /// One byte per kept weight.
    case byte
    /// Two indices per byte (low nibble first); needs n <= 16 and an even k.
    case nibble
}

package struct LoweringOptions: Sendable, Equatable {
    package var sparseLowering: SparseLowering
    package var indexFormat: IndexFormat

    package init(sparseLowering: SparseLowering = .auto, indexFormat: IndexFormat = .auto) {
        self.sparseLowering = sparseLowering
        self.indexFormat = indexFormat
    }
}
