// GenLoweringTests/SparsityPaysTests.swift - The dense-or-sparse decision and nibble index packing.

import Testing

@testable import GenLowering
import GenTarget

@Suite("Does sparsity pay? The cost model's decision, and nibble-packed indices")
struct SparsityPaysTests {
    /// Round numbers so every estimate below can be checked by hand.
    static let model = CostModel(
        reference: "test", denseMAC: 1.5, denseOutput: 50, sparseKept: 5, sparseKeptScalar: 7, sparseGroup: 1,
        sparseOutput: 30, nibbleKept: 0.5, convMAC: 10, convOutput: 50, convColumn: 2, convLanePair: 7, convLanePixel: 30,
        convPixelRow: 4, convPixelOutput: 6, convPixelPixel: 20,
        convPoolRow: 4, convPoolOutput: 3, convPoolPixel: 10, maxPoolInput: 2, convSparseKept: 20,
        convSparseGroup: 3, convSparseOutput: 40,
        convKernelMAC: 12, convKernelOutput: 30, sharedKept: 1.25, sharedOutput: 40, sharedGather: 4, convSharedKept: 1.5,
        convSharedOutput: 20, convSharedGather: 5, darbKept: 9, darbOutput: 11)

    /// A 100 x 64 dense layer keeping k of every 16 (4 groups a row), int8 weights.
    static func work(k: Int, nibble: Bool) -> LayerWork {
        let kept = 4 * k
        return LayerWork(
            kind: .dense, rows: 100, fanIn: 64, keptPerRow: kept, groupsPerRow: 4, groupKept: k, kernelGranularity: false,
            weightBytes: 1, sparseIndexBytes: 100 * (nibble ? (kept + 1) / 2 : kept), nibbleIndices: nibble)
    }

    @Test("vector-wise k-of-n is priced by its own kernel's coefficients plus one gather per set")
    func vectorWise() {
        var work = Self.work(k: 4, nibble: false)
        work.rowsPerSet = 10
        work.sparseIndexBytes = 10 * 16
        let estimate = estimateLayerCost(work, costModel: Self.model, option: .auto)
        // dense: 1.5 * 100 * 64 + 50 * 100 = 14600; sparse: 1.25 * 100 * 16 + 40 * 100 + 4 * 10 sets * 16 = 6640
        #expect(estimate.denseInstructions == 14600)
        #expect(estimate.sparseInstructions == 6640)
        #expect(estimate.sparseBytes == 1600 + 160)
        #expect(estimate.chosen == .sparse)
    }

    @Test("a set of fewer than 4 kept inputs on the row-pair kernel is priced, and sized, as its 4 columns; its gather as the kept")
    func vectorWiseBelowFour() {
        // 3 of every 16 of 16 inputs: 3 kept per row, which the row-pair kernel runs over 4 columns
        // (rowPairSetColumns), sets of 10 rows, one-byte positions.
        var work = LayerWork(
            kind: .dense, rows: 100, fanIn: 16, keptPerRow: 3, groupsPerRow: 1, groupKept: 3, kernelGranularity: false,
            weightBytes: 1, sparseIndexBytes: 10 * 3, nibbleIndices: false, rowsPerSet: 10, rowPairColumns: 4)
        // 1.25 * 100 * 4 + 40 * 100 + 4 * 10 sets * 3 = 4620; bytes: 100 rows x 4 columns + 30
        var estimate = estimateLayerCost(work, costModel: Self.model, option: .auto)
        #expect(estimate.sparseInstructions == 4620)
        #expect(estimate.sparseBytes == 400 + 30)
        // conv2d sets (16 pixels, fan-in 9 kept 3): 1.5 * 1600 * 4 + 20 * 1600 + 5 * 16 * 10 * 3 + 2 * 16 * 9 = 44288
        work.kind = .conv(outputPixels: 16, kernelArea: 9)
        work.fanIn = 9
        estimate = estimateLayerCost(work, costModel: Self.model, option: .auto)
        #expect(estimate.sparseInstructions == 44288)
        // Without the row-pair kernel the kept count is what runs and is stored.
        work.kind = .dense
        work.fanIn = 16
        work.rowPairColumns = nil
        estimate = estimateLayerCost(work, costModel: Self.model, option: .auto)
        // 1.25 * 100 * 3 + 40 * 100 + 4 * 10 sets * 3 = 4495
        #expect(estimate.sparseInstructions == 4495)
        #expect(estimate.sparseBytes == 300 + 30)
        // 2 kept: the row-pair kernel's two-column step alone, over the 2 columns (1.25 * 100 * 2 + 4000 + 80).
        work.keptPerRow = 2
        work.groupKept = 2
        work.sparseIndexBytes = 10 * 2
        work.rowPairColumns = 2
        estimate = estimateLayerCost(work, costModel: Self.model, option: .auto)
        #expect(estimate.sparseInstructions == 4330)
        #expect(estimate.sparseBytes == 200 + 20)
    }

    @Test("conv2d: dense and weight-granularity k-of-n both pay for the im2col column; kernel granularity does not")
    func convColumn() {
        // 8 output channels over 16 pixels, fan-in 72 (8 channels x 3 x 3), 18 kept per row.
        var work = LayerWork(
            kind: .conv(outputPixels: 16, kernelArea: 9), rows: 8, fanIn: 72, keptPerRow: 18, groupsPerRow: 5,
            groupKept: 4, kernelGranularity: false, weightBytes: 1, sparseIndexBytes: 8 * 18, nibbleIndices: false)
        // column: 2 * 16 * 72 = 2304; dense: 10 * 128 * 72 + 50 * 128 + 2304 = 100864;
        // sparse: 20 * 128 * 18 + 3 * 128 * 5 groups + 40 * 128 (convSparseOutput) + 2304 = 55424
        var estimate = estimateLayerCost(work, costModel: Self.model, option: .auto)
        #expect(estimate.denseInstructions == 100864)
        #expect(estimate.sparseInstructions == 55424)
        // nibble indices: + 0.5 per kept MAC, 0.5 * 128 * 18 = 1152
        work.nibbleIndices = true
        estimate = estimateLayerCost(work, costModel: Self.model, option: .auto)
        #expect(estimate.sparseInstructions == 56576)
        // kernel granularity (2 of 8 kernels kept, 18 weights a row): 12 * 128 * 18 + 30 * 128 (convKernelOutput) = 31488
        work.nibbleIndices = false
        work.kernelGranularity = true
        estimate = estimateLayerCost(work, costModel: Self.model, option: .auto)
        #expect(estimate.sparseInstructions == 31488)
        // sets of 4 output channels (2 sets): 1.5 * 8 * 16 * 18 + 20 * 128 + 5 * 16 * 2 * 18 + 2304 = 11200
        work.kernelGranularity = false
        work.rowsPerSet = 4
        estimate = estimateLayerCost(work, costModel: Self.model, option: .auto)
        #expect(estimate.denseInstructions == 100864)
        #expect(estimate.sparseInstructions == 11200)
    }

    @Test("a conv2d whose dense form runs the lane-pair kernel is priced dense per pair and output, plus its column")
    func convLanePairs() {
        // 8 output channels over 64 pixels, fan-in 9 (one channel, 3 x 3): 5 pairs; 4 kept of the 9.
        var work = LayerWork(
            kind: .conv(outputPixels: 64, kernelArea: 9), rows: 8, fanIn: 9, keptPerRow: 4, groupsPerRow: 1,
            groupKept: 4, kernelGranularity: false, weightBytes: 1, sparseIndexBytes: 8 * 4, nibbleIndices: false)
        // column: 2 * 64 * 9 = 1152; the four-row or row-pair dense form: 10 * 512 * 9 + 50 * 512 + 1152 = 72832
        #expect(estimateLayerCost(work, costModel: Self.model, option: .auto).denseInstructions == 72832)
        // lane pairs: 7 * 512 * 5 + 30 * 64 (its own cost per pixel) = 19840;
        // sparse: 20 * 512 * 4 + 3 * 512 + 40 * 512 + 1152 = 64128
        work.denseLanePairs = 5
        let estimate = estimateLayerCost(work, costModel: Self.model, option: .auto)
        #expect(estimate.denseInstructions == 19840)
        #expect(estimate.sparseInstructions == 64128)
        #expect(estimate.chosen == .dense)
        // its table: a word per pair and row, 8 * 5 * 4 bytes
        #expect(estimate.denseBytes == 160)
    }

    @Test("a conv2d on the pixel-pair kernel is priced per kernel row, output and pixel; with the max pool inside it, the other forms pay the pool")
    func convPixelPairs() {
        // The same layer, 3 x 3 with one input channel: 3 kernel rows, 5 words per row of its table.
        let pixelPairs = PixelPairLayout(kernelRows: 3)
        var work = LayerWork(
            kind: .conv(outputPixels: 64, kernelArea: 9, pixelPairs: pixelPairs), rows: 8, fanIn: 9, keptPerRow: 4,
            groupsPerRow: 1, groupKept: 4, kernelGranularity: false, weightBytes: 1, sparseIndexBytes: 8 * 4, nibbleIndices: false)
        work.densePixelPairRows = 3
        // 4 * 512 * 3 + 6 * 512 + 20 * 64 = 10496; sparse as above, 64128; the table 8 * 5 * 4 bytes
        var estimate = estimateLayerCost(work, costModel: Self.model, option: .auto)
        #expect(estimate.denseInstructions == 10496)
        #expect(estimate.sparseInstructions == 64128)
        #expect(estimate.denseBytes == 160)
        // With a 2x2 max pool after it: dense 4 * 512 * 3 + 3 * 512 + 10 * 64 = 8320 (the pool inside); the sparse
        // form keeps the pool as a step, 2 per value read: 64128 + 2 * 512 = 65152.
        work.kind = .conv(outputPixels: 64, kernelArea: 9, pixelPairs: pixelPairs, pooled: true)
        estimate = estimateLayerCost(work, costModel: Self.model, option: .auto)
        #expect(estimate.denseInstructions == 8320)
        #expect(estimate.sparseInstructions == 65152)
        // Pruned and lowered dense, the kernel writes only the nonzero weights' terms: 16 of the 48 (8 channels,
        // 3 kernel rows, 2 terms a row) are 8 kernel rows' worth: 4 * 64 * 8 + 3 * 512 + 10 * 64 = 4224.
        // Its table stores only its nonzero words, 12 of the 40: 48 bytes.
        work.densePixelPairTerms = 16
        work.densePixelPairWords = 12
        estimate = estimateLayerCost(work, costModel: Self.model, option: .auto)
        #expect(estimate.denseInstructions == 4224)
        #expect(estimate.sparseInstructions == 65152)
        #expect(estimate.denseBytes == 48)
    }

    @Test("DARB is priced by its own coefficients over the layer's kept weights (rows keep different counts), conv2d plus its column")
    func darbPricing() {
        // 100 x 64 dense layer whose rows keep 4, 8 or 16 (blocks of 16, 8, 4): 1,250 kept in all, their
        // packed offsets and the row tables in 700 index bytes.
        var work = LayerWork(
            kind: .dense, rows: 100, fanIn: 64, keptPerRow: 12, groupsPerRow: 0, groupKept: 1, kernelGranularity: false,
            weightBytes: 1, sparseIndexBytes: 700, nibbleIndices: true)
        work.darbKeptWeights = 1250
        var estimate = estimateLayerCost(work, costModel: Self.model, option: .auto)
        // dense: 1.5 * 6400 + 50 * 100 = 14600; DARB: 9 * 1250 + 11 * 100 = 12350, not k-of-n's
        // (5.5 * 1200 + 30 * 100); its bytes count the 1,250 kept, not 100 rows x 12.
        #expect(estimate.denseInstructions == 14600)
        #expect(estimate.sparseInstructions == 12350)
        #expect(estimate.sparseBytes == 1250 + 700)
        #expect(estimate.chosen == .sparse)
        // A conv2d of 8 output channels over 16 pixels, fan-in 72, 100 kept in all: DARB 9 * 100 * 16 +
        // 11 * 128 + the column 2 * 16 * 72 = 18112; dense 10 * 128 * 72 + 50 * 128 + 2304 = 100864.
        work = LayerWork(
            kind: .conv(outputPixels: 16, kernelArea: 9), rows: 8, fanIn: 72, keptPerRow: 12, groupsPerRow: 0, groupKept: 1,
            kernelGranularity: false, weightBytes: 1, sparseIndexBytes: 60, nibbleIndices: true)
        work.darbKeptWeights = 100
        estimate = estimateLayerCost(work, costModel: Self.model, option: .auto)
        #expect(estimate.sparseInstructions == 18112)
        #expect(estimate.denseInstructions == 100864)
    }

    @Test("4 of 16: faster and smaller, so sparse; the estimates are the model's formulas")
    func sparsePays() {
        let estimate = estimateLayerCost(Self.work(k: 4, nibble: true), costModel: Self.model, option: .auto)
        // dense: 1.5 * 100 * 64 + 50 * 100 = 14600; sparse: (5 + 0.5) * 1600 + 1 * 400 + 30 * 100 = 12200
        #expect(estimate.denseInstructions == 14600)
        #expect(estimate.sparseInstructions == 12200)
        #expect(estimate.denseBytes == 6400)
        #expect(estimate.sparseBytes == 1600 + 800)
        #expect(estimate.chosen == .sparse)
    }

    @Test("8 of 16: the sparse form would be slower, so dense, and the reason says so")
    func slowerSparseIsLoweredDense() {
        let estimate = estimateLayerCost(Self.work(k: 8, nibble: false), costModel: Self.model, option: .auto)
        // sparse: 5 * 3200 + 400 + 3000 = 19400 > 14600
        #expect(estimate.sparseInstructions == 19400)
        #expect(estimate.chosen == .dense)
        #expect(estimate.reason.contains("slower (19400 against 14600 instructions)"))
    }

    @Test("a sparse form that is faster but not smaller is lowered dense too")
    func biggerSparseIsLoweredDense() {
        var model = Self.model
        model.denseMAC = 100  // dense very slow
        // 14 of 16 kept with 16-bit indices: 5600 weight bytes + 11200 index bytes = 16800 > 6400
        let work = LayerWork(
            kind: .dense, rows: 100, fanIn: 64, keptPerRow: 56, groupsPerRow: 4, groupKept: 14, kernelGranularity: false,
            weightBytes: 1, sparseIndexBytes: 100 * 56 * 2, nibbleIndices: false)
        let estimate = estimateLayerCost(work, costModel: model, option: .auto)
        #expect(estimate.chosen == .dense)
        #expect(estimate.reason.contains("bigger (16800 against 6400 bytes)"))
    }

    @Test("--sparse-lowering always keeps sparse; without a cost model sparse stays sparse")
    func overrides() {
        let slow = Self.work(k: 8, nibble: false)
        #expect(estimateLayerCost(slow, costModel: Self.model, option: .always).chosen == .sparse)
        let unknown = estimateLayerCost(slow, costModel: nil, option: .auto)
        #expect(unknown.chosen == .sparse && unknown.denseInstructions == nil)
    }

    @Test("the scalar per-kept cost applies when k is not a multiple of 4")
    func scalarPath() {
        let estimate = estimateLayerCost(Self.work(k: 2, nibble: false), costModel: Self.model, option: .auto)
        // 7 * 800 + 400 + 3000 = 9000
        #expect(estimate.sparseInstructions == 9000)
    }

    @Test("nibble tables: two indices per byte, low nibble first, a zero nibble after an odd row")
    func nibblePacking() {
        // 2 rows of 3 kept weights: positions 1, 15, 7 and 0, 9, 4.
        let layout = KofNLayout(
            k: 2, n: 16, fullGroups: 1, tail: 4, tailKept: 1, format: .nibble,
            indices: ConstantTable(role: .indices, elementType: .uint8, shape: [2, 3], values: [1, 15, 7, 0, 9, 4]))
        let stored = layout.storedIndices
        #expect(stored.shape == [2, 2])
        #expect(stored.values == [0xF1, 0x07, 0x90, 0x04])
        #expect(layout.indexBits == 4)
        var bytes = layout
        bytes.format = .byte
        #expect(bytes.storedIndices.values == [1, 15, 7, 0, 9, 4] && bytes.indexBits == 8)
    }
}
