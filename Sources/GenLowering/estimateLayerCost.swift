// GenLowering/estimateLayerCost.swift - "Does sparsity pay?": dense against sparse, per layer.

import GenTarget

/// The two ways a pruned layer can be lowered and what each is estimated to cost on the target.
package struct LayerCostEstimate: Sendable, Equatable {
    package enum Form: String, Sendable {
        case dense, sparse
    }

    /// Instructions per inference from the target's cost model (nil without one).
    package var denseInstructions: Double?
    package var sparseInstructions: Double?
    /// Bytes of weight (and index) tables in each form.
    package var denseBytes: Int
    package var sparseBytes: Int
    package var chosen: Form
    /// Why `chosen`, in words for the report.
    package var reason: String
}

/// The work of a weighted layer that the cost model prices.
package struct LayerWork: Sendable {
    package enum Kind: Sendable {
        /// rows × fanIn dense layer.
        case dense
        /// conv2d producing `outputPixels` per output channel, with a kh × kw window; `pixelPairs` where its
        /// shape suits the pixel-pair kernel (`pixelPairLayout`), which its dense form then runs on an Arm DSP target.
        /// `pooled`: a 2x2 max pool of stride 2 follows, which the pixel-pair kernel does inside the conv2d.
        /// `windowGather`: an unpadded conv2d, whose vector-wise sets gather their kept inputs straight from the input
        /// (`SharedKofNLayout.windowOffsets`), with no im2col column.
        case conv(outputPixels: Int, kernelArea: Int, pixelPairs: PixelPairLayout? = nil, pooled: Bool = false, windowGather: Bool = false)
    }

    package var kind: Kind
    package var rows: Int
    package var fanIn: Int
    /// Kept weights per row (kernel granularity: kept kernels × kh × kw), and k-of-n groups per row.
    package var keptPerRow: Int
    package var groupsPerRow: Int
    /// k of the k-of-n groups (which kernel path runs).
    package var groupKept: Int
    package var kernelGranularity: Bool
    package var weightBytes: Int
    package var sparseIndexBytes: Int
    package var nibbleIndices: Bool
    /// Vector-wise k-of-n (dense only): rows per shared index set, so `⌈rows / rowsPerSet⌉ · keptPerRow`
    /// inputs are gathered; 1 when every row has its own indices.
    package var rowsPerSet: Int = 1
    /// Vector-wise k-of-n as lowered where rows left its sets (`removeConstantOutputs`): how many sets remain;
    /// nil: `⌈rows / rowsPerSet⌉`.
    package var sets: Int? = nil
    /// Vector-wise k-of-n on the row-pair kernel: the columns it runs each set over (`rowPairSetColumns`;
    /// more than `keptPerRow` when that is below 4), which it multiplies and stores; nil elsewhere.
    package var rowPairColumns: Int? = nil
    /// A conv2d whose dense form runs the lane-pair kernel (`lanePairLayout`): its pairs per output; nil elsewhere.
    package var denseLanePairs: Int? = nil
    /// A conv2d whose dense form runs the pixel-pair kernel (`pixelPairLayout`): its kernel rows; nil elsewhere.
    package var densePixelPairRows: Int? = nil
    /// With `densePixelPairRows`: the multiply terms of all output channels that the kernel writes out
    /// (`pixelPairTerms`: zero weights have none); nil: every term (two per kernel row and channel).
    package var densePixelPairTerms: Int? = nil
    /// With `densePixelPairRows`: the words its table stores (`storedPixelPairWords`: not the zero ones); nil: all.
    package var densePixelPairWords: Int? = nil
    /// DARB's grouped rows: the layer's kept weights, all rows together (their counts differ); nil elsewhere.
    package var darbKeptWeights: Int? = nil
}

package func estimateLayerCost(_ work: LayerWork, costModel: CostModel?, option: SparseLowering) -> LayerCostEstimate {
    // The lane-pair kernel's table holds a word (two int16 lanes) per pair and row; the pixel-pair kernel's a
    // word per kernel row and one per two kernel rows' middle weights, less the zero ones.
    let denseBytes = work.densePixelPairRows.map { (work.densePixelPairWords ?? work.rows * PixelPairLayout(kernelRows: $0).wordsPerRow) * 4 }
        ?? work.denseLanePairs.map { work.rows * $0 * 4 } ?? work.rows * work.fanIn * work.weightBytes
    // The row-pair kernel's columns for a set of 1 or 3 kept inputs (4: zero weights after them).
    let setColumns = max(work.keptPerRow, work.rowPairColumns ?? 0)
    let sparseBytes = (work.darbKeptWeights ?? work.rows * setColumns) * work.weightBytes + work.sparseIndexBytes
    var dense: Double?
    var sparse: Double?
    if let model = costModel {
        let rows = Double(work.rows)
        switch work.kind {
        case .dense where work.rowsPerSet > 1:
            dense = model.denseMAC * rows * Double(work.fanIn) + model.denseOutput * rows
            let sets = Double(work.sets ?? (work.rows + work.rowsPerSet - 1) / work.rowsPerSet)
            sparse = model.sharedKept * rows * Double(setColumns) + model.sharedOutput * rows
                + model.sharedGather * sets * Double(work.keptPerRow)
        case .dense where work.darbKeptWeights != nil:
            dense = model.denseMAC * rows * Double(work.fanIn) + model.denseOutput * rows
            sparse = model.darbKept * Double(work.darbKeptWeights ?? 0) + model.darbOutput * rows
        case .dense:
            dense = model.denseMAC * rows * Double(work.fanIn) + model.denseOutput * rows
            let perKept = (work.groupKept % 4 == 0 ? model.sparseKept : model.sparseKeptScalar)
                + (work.nibbleIndices ? model.nibbleKept : 0)
            sparse = perKept * rows * Double(work.keptPerRow) + model.sparseGroup * rows * Double(work.groupsPerRow)
                + model.sparseOutput * rows
        case .conv(let pixels, _, _, let pooled, let windowGather):
            let outputs = rows * Double(pixels)
            let column = model.convColumn * Double(pixels * work.fanIn)
            // With the max pool after it done inside the dense pixel-pair kernel, every other form still runs it as a
            // step of its own, priced here with that form.
            var poolStep = 0.0
            // The pixel-pair kernel's per-row cost (two terms per kernel row and channel, fitted unpruned) is taken
            // per pair of terms it writes out, so a pruned layer lowered dense pays for its nonzero weights' terms.
            // An approximation: the rows' input loads, shared by the channels, stay while any channel reads them.
            let kernelRowWork = { (kernelRows: Int) in
                Double(pixels) * (work.densePixelPairTerms.map { Double($0) / 2 } ?? rows * Double(kernelRows))
            }
            if let kernelRows = work.densePixelPairRows, pooled {
                dense = model.convPoolRow * kernelRowWork(kernelRows) + model.convPoolOutput * outputs
                    + model.convPoolPixel * Double(pixels)
                poolStep = model.maxPoolInput * outputs
            } else if let kernelRows = work.densePixelPairRows {
                dense = model.convPixelRow * kernelRowWork(kernelRows) + model.convPixelOutput * outputs
                    + model.convPixelPixel * Double(pixels)
            } else if let pairs = work.denseLanePairs {
                dense = model.convLanePair * outputs * Double(pairs) + model.convLanePixel * Double(pixels)
            } else {
                dense = model.convMAC * outputs * Double(work.fanIn) + model.convOutput * outputs + column
            }
            let keptMACs = outputs * Double(work.keptPerRow)
            if let kept = work.darbKeptWeights {
                sparse = model.darbKept * Double(kept * pixels) + model.darbOutput * outputs + column
            } else if work.rowsPerSet > 1 {
                // Per pixel, each set's gather (from the im2col column, or straight from the input where unpadded) and
                // its rows over the gathered inputs.
                let sets = Double(work.sets ?? (work.rows + work.rowsPerSet - 1) / work.rowsPerSet)
                sparse = model.convSharedKept * outputs * Double(setColumns) + model.convSharedOutput * outputs
                    + model.convSharedGather * Double(pixels) * sets * Double(work.keptPerRow) + (windowGather ? 0 : column)
            } else {
                sparse = work.kernelGranularity
                    ? model.convKernelMAC * keptMACs + model.convKernelOutput * outputs
                    : (model.convSparseKept + (work.nibbleIndices ? model.nibbleKept : 0)) * keptMACs
                        + model.convSparseGroup * outputs * Double(work.groupsPerRow) + model.convSparseOutput * outputs
                        + column
            }
            sparse = sparse.map { $0 + poolStep }
        }
    }
    let chosen: LayerCostEstimate.Form
    let reason: String
    switch option {
    case .always:
        chosen = .sparse
        reason = "sparse as asked (--sparse-lowering always)"
    case .never:
        chosen = .dense
        reason = "dense as asked (--sparse-lowering never)"
    case .auto:
        if let dense, let sparse {
            if sparse >= dense {
                chosen = .dense
                reason = "dense: the sparse form would be slower (\(Int(sparse.rounded())) against \(Int(dense.rounded())) instructions)"
            } else if sparseBytes >= denseBytes {
                chosen = .dense
                reason = "dense: the sparse form would be bigger (\(sparseBytes) against \(denseBytes) bytes)"
            } else {
                chosen = .sparse
                reason = "sparse: faster and smaller than dense"
            }
        } else {
            chosen = .sparse
            reason = "sparse (no cost model for this target, or for this layer: it covers 8-bit weights and activations with int32 accumulators, in layers of at least 4 rows and 4 inputs)"
        }
    }
    return LayerCostEstimate(
        denseInstructions: dense, sparseInstructions: sparse, denseBytes: denseBytes, sparseBytes: sparseBytes,
        chosen: chosen, reason: reason)
}
