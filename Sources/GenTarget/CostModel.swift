// GenTarget/CostModel.swift - Instructions per layer on a target, calibrated from measurements.

/// Estimated instructions of one inference of a layer, as a linear function of its work. The
/// coefficients are fitted by `Scripts/bench_mcu.py --calibrate` to instruction counts measured
/// under QEMU on the target's reference core and stored in Toolchains/<target>.json, so the
/// generator can tell whether a layer's sparse form pays without running anything.
package struct CostModel: Sendable, Equatable {
    /// Where the coefficients come from (core, compiler, flags), for the report.
    package var reference: String
    /// Dense layer: `denseMAC · rows · fanIn + denseOutput · rows`.
    package var denseMAC: Double
    package var denseOutput: Double
    /// k-of-n dense layer: `sparseKept · kept + sparseGroup · rows · groups + sparseOutput · rows`,
    /// plus `nibbleKept · kept` when indices are packed two to a byte. `sparseKept` is for groups
    /// the DSP kernel takes (k a multiple of 4), `sparseKeptScalar` for the others.
    package var sparseKept: Double
    package var sparseKeptScalar: Double
    package var sparseGroup: Double
    package var sparseOutput: Double
    package var nibbleKept: Double
    /// Dense conv2d: `convMAC · MACs + convOutput · outputs` (MACs counted over the whole kernel window),
    /// plus `convColumn · outputPixels · fanIn` for gathering each pixel's im2col column.
    package var convMAC: Double
    package var convOutput: Double
    package var convColumn: Double
    /// Dense conv2d of a small fan-in on the lane-pair kernel (GenLowering/pairLanesForDSP.swift):
    /// `convLanePair · outputs · pairs + convLanePixel · outputPixels` (a weight word and an SMLAD per pair,
    /// the output's bias, shift and store spread over its pairs; the column's gathering and splitting per
    /// pixel, shared by the channels).
    package var convLanePair: Double
    package var convLanePixel: Double
    /// Dense conv2d 3 wide at stride 1 with 2 or 3 kernel rows on the pixel-pair kernel
    /// (GenLowering/pairPixelsForDSP.swift): `convPixelRow · outputs · kernelRows + convPixelOutput · outputs +`
    /// `convPixelPixel · outputPixels` (per kernel row two MAC instructions and 1.5 weight words per pixel pair's
    /// output; the bias, shift and store per output; each row's word read and split per pixel pair, and the
    /// padded rows per output row, spread over the pixels).
    package var convPixelRow: Double
    package var convPixelOutput: Double
    package var convPixelPixel: Double
    /// The same kernel with the 2x2 max pool after it done inside it (`fuseMaxPools`): `convPoolRow · outputs ·`
    /// `kernelRows + convPoolOutput · outputs + convPoolPixel · outputPixels`, counting the conv2d's outputs (four
    /// per stored value). Every other form of such a layer runs the pool as a step of its own, priced
    /// `maxPoolInput · outputs` (a 2x2 max pool of stride 2, per value it reads).
    package var convPoolRow: Double
    package var convPoolOutput: Double
    package var convPoolPixel: Double
    package var maxPoolInput: Double
    /// Weight-granularity k-of-n conv2d: `convSparseKept · kept · outputPixels + convSparseGroup · groups ·`
    /// `outputs + convSparseOutput · outputs`, plus the same column as dense (it reads its kept inputs from that
    /// column), plus `nibbleKept · kept · outputPixels` with nibble indices (the same index reading as
    /// dense k-of-n); groups counts a row's k-of-n groups, a partial last one included.
    package var convSparseKept: Double
    package var convSparseGroup: Double
    package var convSparseOutput: Double
    /// Kernel-granularity conv2d: `convKernelMAC · keptKernels · kh · kw · outputPixels + convKernelOutput ·`
    /// `outputs` (plain C over the input, no column).
    package var convKernelMAC: Double
    package var convKernelOutput: Double
    /// Vector-wise k-of-n dense layer (rows sharing index sets): the row-pair kernel over each set's
    /// gathered column, `sharedKept · kept + sharedOutput · rows + sharedGather · sets · keptPerRow`, where
    /// kept counts the kernel's columns (`rowPairSetColumns`: 2 a row where it keeps 2, else at least 4).
    package var sharedKept: Double
    package var sharedOutput: Double
    package var sharedGather: Double
    /// Vector-wise k-of-n conv2d (mcu: per output pixel, each set gathers from the im2col column):
    /// `convSharedKept · kept · pixels + convSharedOutput · outputs + convSharedGather · pixels · sets ·`
    /// `keptPerRow`, plus conv2d's column; kept counts the row-pair kernel's columns (`rowPairSetColumns`).
    package var convSharedKept: Double
    package var convSharedOutput: Double
    package var convSharedGather: Double
    /// DARB (one weight per block, rows grouped by block size; GenEmitC's darb_row): `darbKept · kept ·`
    /// `outputPixels + darbOutput · outputs` (a dense layer has one pixel), plus conv2d's column.
    package var darbKept: Double
    package var darbOutput: Double

    /// Key names in the toolchain file, in order.
    package static let keys = [
        "reference", "denseMAC", "denseOutput", "sparseKept", "sparseKeptScalar", "sparseGroup", "sparseOutput", "nibbleKept", "convMAC",
        "convOutput", "convColumn", "convLanePair", "convLanePixel",
        "convPixelRow", "convPixelOutput", "convPixelPixel", "convPoolRow", "convPoolOutput", "convPoolPixel", "maxPoolInput",
        "convSparseKept", "convSparseGroup", "convSparseOutput", "convKernelMAC", "convKernelOutput", "sharedKept", "sharedOutput",
        "sharedGather", "convSharedKept", "convSharedOutput", "convSharedGather", "darbKept", "darbOutput",
    ]

    package init(
        reference: String, denseMAC: Double, denseOutput: Double, sparseKept: Double, sparseKeptScalar: Double,
        sparseGroup: Double,
        sparseOutput: Double, nibbleKept: Double, convMAC: Double, convOutput: Double, convColumn: Double,
        convLanePair: Double, convLanePixel: Double, convPixelRow: Double, convPixelOutput: Double,
        convPixelPixel: Double, convPoolRow: Double, convPoolOutput: Double, convPoolPixel: Double, maxPoolInput: Double,
        convSparseKept: Double, convSparseGroup: Double, convSparseOutput: Double,
        convKernelMAC: Double, convKernelOutput: Double, sharedKept: Double, sharedOutput: Double, sharedGather: Double,
        convSharedKept: Double, convSharedOutput: Double, convSharedGather: Double, darbKept: Double, darbOutput: Double
    ) {
        self.reference = reference
        self.denseMAC = denseMAC
        self.denseOutput = denseOutput
        self.sparseKept = sparseKept
        self.sparseKeptScalar = sparseKeptScalar
        self.sparseGroup = sparseGroup
        self.sparseOutput = sparseOutput
        self.nibbleKept = nibbleKept
        self.convMAC = convMAC
        self.convOutput = convOutput
        self.convColumn = convColumn
        self.convLanePair = convLanePair
        self.convLanePixel = convLanePixel
        self.convPixelRow = convPixelRow
        self.convPixelOutput = convPixelOutput
        self.convPixelPixel = convPixelPixel
        self.convPoolRow = convPoolRow
        self.convPoolOutput = convPoolOutput
        self.convPoolPixel = convPoolPixel
        self.maxPoolInput = maxPoolInput
        self.convSparseKept = convSparseKept
        self.convSparseGroup = convSparseGroup
        self.convSparseOutput = convSparseOutput
        self.convKernelMAC = convKernelMAC
        self.convKernelOutput = convKernelOutput
        self.sharedKept = sharedKept
        self.sharedOutput = sharedOutput
        self.sharedGather = sharedGather
        self.convSharedKept = convSharedKept
        self.convSharedOutput = convSharedOutput
        self.convSharedGather = convSharedGather
        self.darbKept = darbKept
        self.darbOutput = darbOutput
    }
}
