// GenEmitC/LayerContexts.swift - Template contexts for the layer kernels (pre-formatted fields only).

/// Fields of the dense and conv2d kernels (dense and k-of-n); geometry unused by a kernel stays empty.
struct WeightedKernelContext {
    var comment: String
    var function: String
    var actType: String
    var accType: String
    /// The runtime helper that requantizes an accumulator (`RequantizeHelper.cName`).
    var requantize: String
    var hls: Bool
    var weightTable: String
    var biasTable: String
    var indexTable: String
    var shift: String
    var clampLow: String
    var clampHigh: String
    // k-of-n
    var k: String
    var n: String
    var fullGroups: String
    var hasFullGroups: Bool
    var hasTail: Bool
    var tail: String
    var tailKept: String
    var tailStart: String
    var tailBase: String
    /// HLS: weights (and indices) read together in one pipelined iteration: k for k-of-n, else up to 8.
    var partitionFactor: String
    /// Arm DSP kernels are emitted beside the plain C (8-bit weights and activations, int32 accumulators).
    var dsp: Bool = false
    var weightType: String = ""
    var indexType: String = ""
    // k-of-n index reading: bytes of the index table per full group and for the tail, and the
    // C expressions of the index of kept weight j (and j + 1 ... j + 3) of the current group.
    var indexStep: String = ""
    var tailIndexStep: String = ""
    var indexJ: String = ""
    var index0: String = ""
    var index1: String = ""
    var index2: String = ""
    var index3: String = ""
    // dense DSP blocking: rows and columns handled four at a time, then the rest
    var rowBlockEnd: String = ""
    var columnBlockEnd: String = ""
    var hasRowTail: Bool = false
    var hasColumnTail: Bool = false
    /// The row-pair kernel (dsp_pairs) instead of the four-row one: the weight table is in its order;
    /// sixteen columns per loop pass up to `columnSixteenEnd` (or eight up to `columnOctetEnd` when
    /// `hasColumnOctets`), then eight if `hasColumnOctet` (and xp steps past them if `octetAdvances`),
    /// then four if `hasColumnQuad` (xp steps past them if `quadAdvances`), then two as one SMLAD step if
    /// `hasColumnHalf` (from `pairHalfBase`; xp steps past them if `hasColumnTail`), then `columnTail` one at a time.
    var rowPairs: Bool = false
    /// The lane-pair kernel (conv2d_lane_pairs, a dense conv2d of a small fan-in): the column's words
    /// and the int16-lane pairs split from them, one weight word each per output channel.
    var lanePairs: Bool = false
    var laneWords: [LaneWordContext] = []
    var lanePairList: [LanePairContext] = []
    /// conv2d_lane_pairs rendered for this layer, indented for conv2d.mustache.
    var lanePairBody: String = ""
    /// The pixel-pair kernel (conv2d_pixel_pairs, a dense conv2d 3 wide at stride 1 with few kernel rows):
    /// each kernel row's word and lanes, where its input comes from (`pixelRowNote`), and the body rendered.
    var pixelPairs: Bool = false
    var pixelRows: [PixelRowContext] = []
    var pixelRowNote: String = ""
    var pixelPairBody: String = ""
    /// Each output channel's terms, written out (`addPixelChannels`).
    var pixelChannels: [PixelChannelContext] = []
    /// The packed middle weights' lanes, where some channel takes them (one element, else none).
    var packedMiddles: [PackedMiddlesContext] = []
    /// Some channel reads the input (false only where every weight is zero).
    var readsInput: Bool = true
    /// A fused 2x2 max pool (conv2d_pooled): the pooled height and width, and the input rows under a window.
    var poolHeight: String = ""
    var poolWidth: String = ""
    var pooledRows: [PooledRowContext] = []
    var pairGroups: [RowPairGroupContext] = []
    /// Where the two-column step's region, the column-tail region and a last unpaired row start in the row-pair table.
    var pairHalfBase: String = ""
    /// The kernel reads the table through `w` from its start: its four-column steps, or a lone row that is all
    /// there is; where it has two columns alone a lone row after pairs gets its own pointer.
    var readsQuadTable: Bool = true
    var pairTailBase: String = ""
    var hasLoneRow: Bool = false
    var loneRow: String = ""
    var loneRowBase: String = ""
    /// The lone row's weights start elsewhere than the table (some row pairs come first); else `w` is already there.
    var loneRowMovesPointer: Bool = false
    /// A dense layer's rows its kernel computes (`outputs` less the constant ones stored after them).
    var computedOutputs: String = ""
    /// A conv2d's output pixels per channel (where it fills constant channels).
    var outPixels: String = ""
    var hasConstantOutputs: Bool = false
    var constantOutputs: [ConstantOutputContext] = []
    /// Some row pair starts its mixed sum from the Arm DSP bias table (`DSPRowPairTables.foldedPairs`).
    var pairBiasFolded: Bool = false
    /// What the row-pair kernel's sums after the loop are, for the comment there.
    var pairSumsNote: String = ""
    /// The lone row's shift: a literal where the kernel is given the layer's per-row shifts (dense and
    /// conv2d layers; not vector-wise sets), else `rowShift`.
    var loneRowShift: String = ""
    /// A vector-wise set's column of at most `registerLaneLimit` words held in registers as int16 lanes (`xEven0`, `xOdd0`,
    /// ...; the set's gather builds them): the row-pair kernel runs its blocks pair by pair
    /// (`RowPairGroupContext.lanePairs`) and a lone row reads its words against them (`loneLaneWords`).
    var columnInRegisters: Bool = false
    var hasPairGroups: Bool = false
    /// The vector-wise set's kernel declares `int o` for its blocks and lone row; a set of one row whose column
    /// is in registers declares it in the lone row's block instead (cppcheck's variableScope).
    var declaresRowIndex: Bool = true
    /// The blocks' loops are unrolled (GEN_UNROLL) where the column is in registers (at most `unrolledLaneLimit`
    /// words) and the rows have shifts of their own: GCC then reads each row's shift from the table at a constant place, so `USAT` takes it as its
    /// immediate instead of a load and a register shift per row.
    var unrollsBlocks: Bool = false
    var loneLaneWords: [RowPairLaneStepContext] = []
    var hasColumnSixteens: Bool = false
    var columnSixteenEnd: String = ""
    var hasColumnOctets: Bool = false
    var columnOctetEnd: String = ""
    var hasColumnOctet: Bool = false
    var octetAdvances: Bool = false
    var hasColumnQuad: Bool = false
    var quadAdvances: Bool = false
    var hasColumnHalf: Bool = false
    var columnTail: String = ""
    var shift0: String = ""
    var shift1: String = ""
    var shift2: String = ""
    var shift3: String = ""
    /// The vector the four-row DSP block multiplies (`x`, or a conv2d's im2col column `col`), where
    /// its results go (`output0` ... `output3` for the four rows, `outputRow` for the row tail) and
    /// the row tail's shift.
    var dotInput: String = "x"
    var output0: String = ""
    var output1: String = ""
    var output2: String = ""
    var output3: String = ""
    var outputRow: String = ""
    var rowShift: String = ""
    /// conv2d DSP: the column's place in the arena, and whether the receptive field can overhang
    /// the input (padding), which the gather must test.
    var column: String = ""
    var hasColumn: Bool = false
    var padded: Bool = false
    /// Padded conv2d DSP: the output pixels for which `interiorCondition` holds (in `oy`, `ox`) gather
    /// without tests (their field is inside the input).
    var hasInterior: Bool = false
    var interiorCondition: String = ""
    /// Padded conv2d DSP, over the border: the output columns whose field's columns lie inside the input
    /// (all of them: `allColumnsInterior`).
    var allColumnsInterior: Bool = false
    var hasInteriorColumns: Bool = false
    var interiorColumnCondition: String = ""
    /// conv2d DSP, a field inside the input (im2col_rows): `kernelRows` copies of `rowBytes` bytes, the
    /// first `leadingChannels` channels whole, then `lastChannelRows` rows and the last row; each but
    /// the last copies `rowCopyBytes` (4 for a row of three int8 values: `rowCopyOverlaps`).
    var kernelRows: String = ""
    var hasLeadingChannels: Bool = false
    var leadingChannels: String = ""
    var channelStep: String = ""
    var lastChannelRows: String = ""
    var rowBytes: String = ""
    var rowCopyBytes: String = ""
    var rowCopyOverlaps: Bool = false
    /// Where im2col_rows copies from (`x`, or `padded`): row start, stride between kernel rows, and the
    /// step between channels (`hasChannelStep`), and what its comment says of the source.
    var rowSource: String = ""
    var rowStart: String = ""
    var rowStride: String = ""
    var hasChannelStep: Bool = false
    var rowCopyNote: String = ""
    /// Padded rows (`ConvStep.paddedRowsOffset`, im2col_padded_rows): place, width, and the zeros around.
    var usesPaddedRows: Bool = false
    var paddedPlace: String = ""
    var paddedRowWidth: String = ""
    var paddedRowsPerChannel: String = ""
    /// The padded rows' comment, and where they start: each channel's `paddedRowsPerChannel` input rows from
    /// `paddedRowOrigin` - padTop (a C expression: output row oy's, or a pooling window's upper output row's).
    var paddedRowsNote: String = ""
    var paddedRowOrigin: String = ""
    var paddedRowBytes: String = ""
    var inRowBytes: String = ""
    var hasPadLeft: Bool = false
    var padLeftBytes: String = ""
    var hasPadRight: Bool = false
    var padRightStart: String = ""
    var padRightBytes: String = ""
    // dense geometry
    var inputs: String = ""
    var outputs: String = ""
    // conv geometry
    var inputSize: String = ""
    var outputSize: String = ""
    var inChannels: String = ""
    var outChannels: String = ""
    var inHeight: String = ""
    var inWidth: String = ""
    var outHeight: String = ""
    var outWidth: String = ""
    var kernelHeight: String = ""
    var kernelWidth: String = ""
    var kernelArea: String = ""
    var strideHeight: String = ""
    var strideWidth: String = ""
    var padTop: String = ""
    var padLeft: String = ""
    /// Kernel granularity: kept input-channel kernels per output channel.
    var keptKernels: String = ""
}

/// One block-size group of a DARB layer (dense rows, or a conv2d's output channels).
struct DARBGroupContext {
    var blockSize: String
    var rowCount: String
    var blocks: String
    /// "1 block", "4 blocks".
    var blocksNote: String
    var rowTable: String
    var weightTable: String
    /// x[...] of block b of row r: `b * s + offset`, the offset unpacked from its table.
    var inputIndex: String
    var offsetNote: String
    var hls: Bool
    /// Offsets stored (s > 1): the loop steps over the index table's elements (`fullSteps` of them, each
    /// `stepStatements`), then the partial last one (`tailStatements`, element `fullSteps`).
    var packed = false
    var indexTable = ""
    var fullSteps = ""
    var hasFullSteps = false
    var stepStatements: [String] = []
    var hasTail = false
    var tailStatements: [String] = []
    var accType = ""
    /// The array the kept weights' inputs are read from: `x`, or a conv2d's im2col column `col`.
    var darbInput = "x"
    /// c/layers/darb_row rendered with this context and indented for its kernel (emitCFiles).
    var rowBody = ""
    /// The loop over the stored offsets is unrolled (GEN_UNROLL; not on HLS targets).
    var unroll = false
}

struct DARBKernelContext {
    var comment: String
    var function: String
    var actType: String
    var accType: String
    var requantize: String
    var inputs: String
    var outputs: String
    var biasTable: String
    var shift: String
    var clampLow: String
    var clampHigh: String
    var groups: [DARBGroupContext]
    /// Some group loops over its blocks with `b` (a group whose offsets fill less than one stored element has no loop).
    /// (Stored: the templates see stored properties only.)
    var usesBlockLoop = true
    /// A conv2d's geometry (c/layers/conv2d_darb; empty for a dense layer).
    var inputSize = ""
    var outputSize = ""
    var inHeight = ""
    var inWidth = ""
    var outHeight = ""
    var outWidth = ""
    var kernelWidth = ""
    var kernelArea = ""
    var strideHeight = ""
    var strideWidth = ""
    var padTop = ""
    var padLeft = ""
    var hls = false
    /// On Arm DSP targets with an arena: each output pixel's receptive field gathered into the im2col
    /// column first (the rendered gather and padded-row pieces), which the groups then index directly.
    var hasColumn = false
    var column = ""
    var imColumnGather = ""
    var usesPaddedRows = false
    var paddedPlace = ""
    var imPaddedRows = ""
    var pixels = ""
}

struct PoolKernelContext {
    var comment: String
    var function: String
    var actType: String
    var hls: Bool
    var inputSize: String
    var outputSize: String
    var channels: String
    var inHeight: String
    var inWidth: String
    var outHeight: String
    var outWidth: String
    var sizeHeight: String
    var sizeWidth: String
    var strideHeight: String
    var strideWidth: String
    /// avgpool2d: the C of the rounded average of `sum` (`gen_average_pow2` for a window of 2^m values).
    var average: String = ""
    /// maxpool2d: the Arm DSP path for 2x2 windows of stride 2 over int8 (`__ssub8`/`__sel`, four
    /// bytes at a time), with `outPairs` pairs of outputs per row.
    var dspPairs: Bool = false
    var outPairs: String = ""
    var hasOddColumn: Bool = false
    /// The DSP path's one loop over output rows `i` (every channel's): how many, and where output row i's
    /// first input row starts in x (`i * 2 * inWidth` when no input row is left over below the windows).
    var outRows: String = ""
    var inRowStart: String = ""
}

struct LaneWordContext {
    var index: String
    /// Byte offset in the column.
    var offset: String
}

/// One kernel row of the pixel-pair kernel: its four input values' address at pixel ox, and the lane of its
/// middle weight (`__smlabb`/`__smlatb` for the low lane, `__smlabt`/`__smlatt` for the high).
struct PixelRowContext {
    var index: String
    var address: String
    var middleLow: String
    var middleHigh: String
    /// In a channel's terms (`PixelChannelContext`): the table position of the word the term reads.
    var word: String = ""
    /// With a fused max pool (conv2d_pooled): the input rows (`pooledRows`) this kernel row reads for the
    /// window's upper and lower output row.
    var top: String = ""
    var bottom: String = ""
}

/// One output channel of the pixel-pair kernel: the kernel rows of its nonzero words (w0, w2) and of its nonzero
/// middle weights (`pixelPairTerms`), where its outputs start, and its shift.
struct PixelChannelContext {
    var channel: String
    var outerRows: [PixelRowContext]
    var middleRows: [PixelRowContext]
    /// The packed middle weights' term (`PackedMiddles`), where this channel keeps both: its word's position.
    var packedTerms: [PackedTermContext] = []
    var outBase: String
    var channelShift: String
    /// Empty where every term is there, else how many are (for the reader of the C).
    var termNote: String
}

/// The term of a channel keeping both packed middle weights: the table position of their word.
struct PackedTermContext {
    var word: String
}

/// The lanes the packed middle weights multiply, packed once per step (`PackedMiddles`): the two kernel rows'
/// lanes (with a fused max pool, the input rows each reads for the window's upper and lower output row).
struct PackedMiddlesContext {
    var first: String
    var second: String
    var bottomFirst: String = ""
    var bottomSecond: String = ""
}

/// One input row under a pooling window (conv2d_pooled): its four values' address at pixel ox.
struct PooledRowContext {
    var index: String
    var address: String
}

struct LanePairContext {
    var index: String
    var word: String
    /// `__sxtb16` (even bytes) or `gen_sxtb16_odd`.
    var split: String
}

struct ClampKernelContext {
    var comment: String
    var function: String
    var actType: String
    var hls: Bool
    var size: String
    /// `x[i]` limited to the clamp; bounds equal to the type's own limits are left out (-Wtype-limits).
    var clampedValue: String
}

struct RuntimeContext {
    /// Some layer function is declared `GEN_LAYER_FUNCTION` (kept out of line, but on HLS).
    var layerFunctions: Bool
    var hls: Bool
    var needsAverage: Bool
    /// Some kernel has an Arm DSP path.
    var needsDSP: Bool
    /// Some kernel with weights has one (gen_sxtb16_odd).
    var needsDotProducts: Bool
    /// Some per-row k-of-n kernel is emitted (the GEN_GATHER_KERNEL attribute).
    var needsGatherKernel: Bool
    /// Some kernel has a constant-trip loop to unroll (GEN_UNROLL): the per-row k-of-n and lane-pair kernels,
    /// the 2x2 max pool's DSP path, the blocks of sets whose column is in registers (`unrollsBlocks`).
    var needsUnroll: Bool
    /// ...only in Arm DSP kernels (lane pairs, the max pool, sets' blocks), so GEN_UNROLL is defined under GEN_ARM_DSP.
    var unrollDSPOnly: Bool
    /// Some kernel is the row-pair kernel (gen_pair_high).
    var needsRowPairs: Bool
    /// Some row-pair kernel has a two-column step (gen_read2_lanes).
    var needsTwoColumnStep: Bool
    /// Some kernel's C calls gen_sxtb16_odd, or gen_read8_aligned (not a model whose only Arm DSP code is the
    /// row-pair kernel's two-column step: an unused static function fails clang's -Wunused-function).
    var needsOddLanes: Bool = true
    var needsAlignedPairRead: Bool = true
    /// Some vector-wise set keeps its column in registers, or a pixel-pair kernel packs middle weights' lanes
    /// (gen_lanes; the latter also gen_lanes_high).
    var needsLanePack: Bool = false
    var needsLanePackHigh: Bool = false
    /// Some kernel's C calls gen_read4 (not a model whose only Arm DSP code is sets with their column in registers
    /// and no lone row).
    var needsRead4: Bool = true
    /// Some kernel is the row-pair or the lane-pair kernel (GEN_ROW_PAIR_KERNEL).
    var needsUnscheduledKernel: Bool
    /// Some conv2d gathers an im2col column (gen_copy), some from padded rows (gen_zero).
    var needsRowCopy: Bool
    var needsPaddedRows: Bool
    /// Every im2col column is in a dense conv2d's Arm DSP path (so the copies are under GEN_ARM_DSP).
    var rowCopyDSPOnly: Bool
    /// ...and every conv2d with padded rows (gen_zero).
    var paddedRowsDSPOnly: Bool
    /// Some vector-wise k-of-n kernel gathers four inputs per word (gen_write4).
    var needsSetGather: Bool
    /// Only layers with weights requantize, with int32 or int64 accumulators; each helper is
    /// emitted only where used.
    var needsRequantize32: Bool
    var needsRequantize32Right: Bool
    var needsRequantize32Floor: Bool
    var needsFloorShift32: Bool
    var needsRequantize64: Bool
    /// Some avgpool2d has a window of 2^m values (gen_average_pow2).
    var needsAveragePow2: Bool
}

struct ModelContext {
    var fileName: String
    var modelName: String
    var targetName: String
    var sourceFile: String
    var headerName: String
    var headerGuard: String
    var prefix: String
    var macroPrefix: String
    var actType: String
    var inputShape: String
    var inputSize: String
    var outputSize: String
    var inputFormat: String
    var outputFormat: String
    var inputFrac: String
    var outputFrac: String
    var outputNote: String
    var outputKind: String
    var floatNote: String
    var flashBytes: String
    var arenaBytes: String
    var weightBits: String
    var actBits: String
    var layerSummary: [String]
    var needsMath: Bool
    var softmax: Bool
    var hls: Bool
    var runtime: String
    var tables: String
    var memory: String
    var memoryNote: String
    var layers: String
    var calls: [String]
    var inputScale: String
    var outputScale: String
    var actMax: String
    var actMin: String
}

/// Fields of the Makefile fragment and the CMakeLists.txt written beside the C.
struct BuildContext {
    var prefix: String
    var macroPrefix: String
    var sourceFile: String
    var libraries: String
    var needsMath: Bool
}

/// One output stored as a constant (`removeConstantOutputs`): its position in y and its value.
struct ConstantOutputContext {
    var index: String
    var value: String
}
