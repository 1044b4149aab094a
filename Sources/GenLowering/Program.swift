// GenLowering/Program.swift - The lowered program: constant tables, buffers and steps with fixed trip counts.

import GenCompress
import GenModel
import GenTarget

/// The C integer types tables and buffers use.
package enum ElementType: Sendable, Equatable {
    case int8, int16, int32, int64, uint8, uint16

    package var cName: String {
        switch self {
        case .int8: return "int8_t"
        case .int16: return "int16_t"
        case .int32: return "int32_t"
        case .int64: return "int64_t"
        case .uint8: return "uint8_t"
        case .uint16: return "uint16_t"
        }
    }

    package var byteCount: Int {
        switch self {
        case .int8, .uint8: return 1
        case .int16, .uint16: return 2
        case .int32: return 4
        case .int64: return 8
        }
    }

    /// The signed type of `bits` bits (8 or 16 for activations and weights, 32 or 64 for accumulators).
    package static func signed(bits: Int) -> ElementType {
        switch bits {
        case ...8: return .int8
        case ...16: return .int16
        case ...32: return .int32
        default: return .int64
        }
    }

    /// The narrowest unsigned type that holds 0..<count.
    package static func index(count: Int) -> ElementType { count <= 256 ? .uint8 : .uint16 }
}

/// A `static const` table: its values in row-major order and its C shape.
package struct ConstantTable: Sendable {
    package enum Role: String, Sendable {
        case weights = "w", indices = "idx", bias = "b", shift = "shift", rows = "rows"
    }

    package var role: Role
    package var elementType: ElementType
    package var shape: [Int]
    package var values: [Int64]

    package var byteCount: Int { values.count * elementType.byteCount }
}

/// Where a tensor lives at run time.
package enum BufferLocation: Sendable, Equatable {
    /// The caller's input array.
    case input
    /// The caller's output array.
    case output
    /// `arena[offset ..< offset + count]` (memory layout `arena`).
    case arena(offset: Int)
    /// One of two ping-pong buffers (memory layout `ping-pong`).
    case pingPong(Int)
}

package struct BufferRef: Sendable, Equatable {
    package var location: BufferLocation
    package var count: Int
}

/// The k-of-n index structure of a pruned layer: `fullGroups` groups of `n` keep `k` each, then a
/// tail of `tail` weights keeps `tailKept`. Every loop bound is a compile-time constant.
package struct KofNLayout: Sendable {
    package enum Format: String, Sendable {
        /// One byte per index.
        case byte
        /// Two indices per byte, low nibble first; a row with an odd count ends in a zero nibble.
        case nibble
    }

    package var k: Int
    package var n: Int
    package var fullGroups: Int
    package var tail: Int
    package var tailKept: Int
    package var format: Format
    package var keptPerRow: Int { fullGroups * k + tailKept }
    /// Position of each kept weight inside its group (0..<n), `rows × keptPerRow`, one value each.
    package var indices: ConstantTable

    /// The index table as written to C: `indices` itself, or packed two to a byte.
    package var storedIndices: ConstantTable {
        switch format {
        case .byte:
            return indices
        case .nibble:
            let rows = indices.shape[0]
            let perRow = keptPerRow
            let bytesPerRow = (perRow + 1) / 2
            var packed: [Int64] = []
            packed.reserveCapacity(rows * bytesPerRow)
            for row in 0..<rows {
                for pair in 0..<bytesPerRow {
                    let low = indices.values[row * perRow + 2 * pair]
                    let high = 2 * pair + 1 < perRow ? indices.values[row * perRow + 2 * pair + 1] : 0
                    packed.append(low | high << 4)
                }
            }
            return ConstantTable(role: .indices, elementType: .uint8, shape: [rows, bytesPerRow], values: packed)
        }
    }

    /// Bits each kept weight's index takes in the stored table.
    package var indexBits: Int {
        switch format {
        case .byte: return indices.elementType.byteCount * 8
        case .nibble: return 4
        }
    }
}

/// Vector-wise k-of-n of a dense layer (`--kofn-rows`): every `rowsPerSet` consecutive rows (the
/// last set may be shorter) keep the same `keptPerRow` inputs. The kernel gathers a set's inputs into
/// a column once and runs the set's rows as a small dense layer over it, so each kept weight costs a
/// dense MAC and each gathered input is shared by the set's rows.
package struct SharedKofNLayout: Sendable {
    package var k: Int
    package var n: Int
    /// The pruning's set size (the mask's): the rows that share one list of inputs.
    package var rowsPerSet: Int
    package var keptPerRow: Int
    /// The rows each set computes, in the stored order (set after set): `rowsPerSet`, the last set fewer,
    /// or fewer where `removeConstantOutputs` stored a set's constant rows apart (a set left with none is gone).
    package var setRows: [Int]
    /// Input position (0..<fanIn) of each kept weight, `sets × keptPerRow`.
    package var inputs: ConstantTable
    /// An unpadded conv2d: each kept weight's input as an offset from its output pixel's window origin in the
    /// input (`windowOffsets`), the table the kernel reads to gather straight from the input; nil: the kernel
    /// gathers from the im2col column by `inputs`.
    package var windowOffsets: ConstantTable? = nil
    /// The index table the kernel reads.
    package var storedIndices: ConstantTable { windowOffsets ?? inputs }

    package var sets: Int { inputs.shape[0] }

    /// The first stored row of each set.
    package var setFirstRows: [Int] { setRows.indices.map { setRows[..<$0].reduce(0, +) } }

    /// Runs of consecutive sets with the same rows (first set, sets, rows each): one C code runs each run's
    /// sets (the emitter's loops), so the row-pair kernel's choices per pair position hold run by run.
    package var setRuns: [(first: Int, count: Int, rows: Int)] {
        var runs: [(first: Int, count: Int, rows: Int)] = []
        for (set, rows) in setRows.enumerated() {
            if let last = runs.last, last.rows == rows {
                runs[runs.count - 1].count += 1
            } else {
                runs.append((set, 1, rows))
            }
        }
        return runs
    }

    /// The set that computes stored row `row`.
    package func set(ofRow row: Int) -> Int {
        var first = 0
        for (set, rows) in setRows.enumerated() {
            if row < first + rows { return set }
            first += rows
        }
        preconditionFailure("row \(row) past the sets' \(first) rows")
    }

    /// The rows of a set, for comments: `rowsPerSet`, or "up to" it where some set other than the last has
    /// fewer (rows left out as constants).
    package var setSizeText: String {
        setRows == Self.uniformSetRows(rows: setRows.reduce(0, +), rowsPerSet: rowsPerSet)
            ? String(rowsPerSet) : "up to \(rowsPerSet)"
    }

    /// Sets of `rowsPerSet` rows over `rows` rows, the last shorter.
    package static func uniformSetRows(rows: Int, rowsPerSet: Int) -> [Int] {
        stride(from: 0, to: rows, by: rowsPerSet).map { min(rowsPerSet, rows - $0) }
    }
}

/// Kernel-granularity k-of-n of a conv2d: each output channel keeps `keptPerRow` whole kh×kw
/// input-channel kernels (k of every n channels, min(k, r) of a last partial group of r).
package struct KernelSparseLayout: Sendable {
    package var k: Int
    package var n: Int
    package var keptPerRow: Int
    /// Absolute input-channel index of each kept kernel, `rows × keptPerRow`.
    package var channels: ConstantTable
}

/// DARB rows that share a block size s: each keeps one weight per block, at offset 0..<s.
package struct DARBGroup: Sendable {
    package var blockSize: Int
    /// The output rows in this group, ascending (`count`).
    package var rows: ConstantTable
    /// `count × (fanIn / s)` kept weights.
    package var weights: ConstantTable
    /// `count × (fanIn / s)` offsets inside each block, one value each (nil when s is 1).
    package var offsets: ConstantTable?
    /// Bits per stored offset: 1, 2, 4 (packed 8, 4, 2 to a byte) or 8 and 16 (unpacked); 0 when s is 1.
    package var offsetBits: Int

    package var blocksPerRow: Int { weights.shape[1] }

    /// The offsets as written to C: packed per row, lowest bits first.
    package var storedOffsets: ConstantTable? {
        guard let offsets else { return nil }
        guard offsetBits < 8 else { return offsets }
        let perByte = 8 / offsetBits
        let rowsCount = offsets.shape[0]
        let bytesPerRow = (blocksPerRow + perByte - 1) / perByte
        var packed = [Int64](repeating: 0, count: rowsCount * bytesPerRow)
        for row in 0..<rowsCount {
            for j in 0..<blocksPerRow {
                packed[row * bytesPerRow + j / perByte] |= offsets.values[row * blocksPerRow + j] << Int64(offsetBits * (j % perByte))
            }
        }
        return ConstantTable(role: .indices, elementType: .uint8, shape: [rowsCount, bytesPerRow], values: packed)
    }
}

/// A DARB-pruned dense layer: rows grouped by block size, so each group's loops have constant
/// trip counts and its offsets a constant width.
package struct DARBLayout: Sendable {
    package var groups: [DARBGroup]
    /// For each output row: its group and its position in the group.
    package var rowLocation: [(group: Int, position: Int)]

    package var indexBytes: Int {
        groups.reduce(0) { $0 + ($1.storedOffsets?.byteCount ?? 0) + $1.rows.byteCount }
    }
}

/// Weights of a dense or conv2d step, dense or k-of-n, with the requantization parameters.
package struct WeightedStepData: Sendable {
    package var rows: Int
    package var fanIn: Int
    /// Dense: `rows × fanIn`; k-of-n: `rows × keptPerRow` (kept values in group order); kernel
    /// k-of-n: `rows × (keptPerRow · kh · kw)`, the kept kernels one after another.
    package var weights: ConstantTable
    package var sparse: KofNLayout?
    /// Vector-wise k-of-n (dense layers on arena targets): `weights` is `rows × keptPerRow` as for `sparse`.
    package var sharedSparse: SharedKofNLayout? = nil
    package var kernelSparse: KernelSparseLayout?
    /// DARB dense layers: `weights` then holds every kept weight, group after group (1-D).
    package var darb: DARBLayout?
    package var bias: ConstantTable
    /// The bias table holds each row's bias plus the rounding half of its right shift, 2^(shift-1)
    /// (`foldRoundingIntoBias`), so requantizing is a floor shift and a clamp.
    package var roundingInBias: Bool = false
    /// One shift for all rows, or a table of per-row shifts.
    package var uniformShift: Int?
    package var shifts: ConstantTable?
    package var accumulator: ElementType
    package var clamp: ClosedRange<Int64>
    /// Dense against sparse for a pruned layer (nil when the layer is not pruned).
    package var estimate: LayerCostEstimate?
    /// Dense weights on an Arm DSP target in the row-pair kernel's order (`pairRowsForDSP`), 1-D, or with
    /// `lanePairs` in that kernel's (`rows ×` words), or with `pixelPairs` its nonzero words (`storedPixelPairWords`, 1-D);
    /// vector-wise k-of-n: each set's kept weights so, from `dspSetOffsets` (every set but the last padded to
    /// a multiple of 4 bytes); nil: the kernels read `weights`.
    package var dspWeights: ConstantTable? = nil
    /// Where lowering stored the outputs in another order than the model's (`orderRowsForConstantShifts`,
    /// `removeConstantOutputs`): the model row of each stored output (`outputCount`). Tables, bias and
    /// shifts are in the stored order.
    package var rowOrder: [Int]? = nil
    /// The same order of the previous layer's rows, where this layer's columns follow it (as many as `fanIn`).
    package var columnOrder: [Int]? = nil
    /// Inputs after the `fanIn` it reads that are constants (the previous layer's `constantOutputs`): their
    /// products are in the bias (`foldConstantColumns`).
    package var foldedColumns = 0
    /// Outputs proven one integer for every input (`removeConstantOutputs`): not computed (the tables hold
    /// `rows` other rows), stored after the computed ones, in this order.
    package var constantOutputs: [ConstantOutput] = []
    /// With `dspWeights` in the row-pair order: the bias the kernel starts its sums from
    /// (`DSPRowPairTables.bias`), where some pair's is folded into its mixed sum; nil: the kernels read `bias`.
    package var dspBias: ConstantTable? = nil
    /// With `dspBias`: `DSPRowPairTables.foldedPairs`, one per row pair; vector-wise sets: each set's pairs, set
    /// after set (the same positions in every set of a run).
    package var dspFoldedPairs: [Bool] = []
    /// Vector-wise k-of-n with `dspWeights`: where each set's weights start in it.
    package var dspSetOffsets: [Int] = []
    /// Vector-wise k-of-n with `dspWeights`: the columns the row-pair kernel runs each set over
    /// (`rowPairSetColumns`: the kept inputs, or 4 with zero weights after fewer).
    package var dspSetColumns: Int = 0
    /// A dense conv2d of a small fan-in over its im2col column on an Arm DSP target: `dspWeights` holds
    /// `rows × pairs` int16-lane pairs (`lanePairWeights`) instead of the row-pair order.
    package var lanePairs: LanePairLayout? = nil
    /// A dense conv2d 3 wide at stride 1 with 2 or 3 kernel rows on an Arm DSP target: `dspWeights` holds
    /// the nonzero words of its int16-lane pairs (`storedPixelPairWords`), read two output pixels at a time,
    /// without an im2col column.
    package var pixelPairs: PixelPairLayout? = nil

    /// Vector-wise k-of-n: the inputs each set gathers into its column, as the kernel that runs the set
    /// reads them (the row-pair kernel's columns, else the kept inputs); 0 without sets.
    package var setColumnElements: Int {
        guard let shared = sharedSparse else { return 0 }
        return dspWeights != nil ? dspSetColumns : shared.keptPerRow
    }
}

package struct DenseStep: Sendable {
    package var data: WeightedStepData
    /// Vector-wise k-of-n: arena offset of the column (`keptPerRow` elements, or the row-pair kernel's
    /// `rowPairSetColumns`) each set's inputs are gathered into.
    package var columnOffset: Int? = nil
}

package struct ConvStep: Sendable {
    package var data: WeightedStepData
    package var inChannels: Int
    package var inHeight: Int
    package var inWidth: Int
    package var outHeight: Int
    package var outWidth: Int
    package var kernelHeight: Int
    package var kernelWidth: Int
    package var strideHeight: Int
    package var strideWidth: Int
    package var padTop: Int
    package var padLeft: Int
    /// Arena offset of the im2col column (`data.fanIn` elements) that the Arm DSP kernel gathers each
    /// output pixel's receptive field into; nil: the kernel reads the input directly, or (the pixel-pair
    /// kernel, `data.pixelPairs`) the input or its padded rows.
    package var columnOffset: Int? = nil
    /// Arena offset of the padded rows (`paddedRowsElements`): a padded conv2d copies the kernel rows of
    /// each output row there once, zeros around them, so that every pixel's column is copied from them
    /// untested (the pixel-pair kernel reads its words from them, and has no column). nil: the column is
    /// gathered from the input, with tests over the border. Lowering gives them only where the arena already
    /// has room (the RAM stays what the plan without them, with the column, needs).
    package var paddedRowsOffset: Int? = nil
    /// A 2x2 max pool of stride 2 that followed this conv2d, done inside it (`fuseMaxPools`, the pixel-pair
    /// kernel only): the step writes the pooled tensor, and the conv2d's own output never exists.
    package var pool: PoolStep? = nil
    /// The layer after it is a max pool that `fusesMaxPool` lets the pixel-pair kernel do (`fuseMaxPools` folds
    /// it in where the arena allows).
    package var maxPoolFollows = false

    /// Whether a receptive field can overhang the input (padding above, left, below or right).
    package var padded: Bool { padBottom > 0 || padRight > 0 || padTop > 0 || padLeft > 0 }
    /// The overhang below and right of the input (beyond the last input row and column).
    package var padBottom: Int { max(0, (outHeight - 1) * strideHeight + kernelHeight - padTop - inHeight) }
    package var padRight: Int { max(0, (outWidth - 1) * strideWidth + kernelWidth - padLeft - inWidth) }
    /// One padded row: the input row with the overhang on both sides.
    package var paddedRowWidth: Int { padLeft + inWidth + padRight }
    /// The padded rows of one output row: each channel's kernel rows, padded (with `pool`, of the two output
    /// rows of a pooling window: each channel's kernel height plus one rows, at stride 1).
    package var paddedRowsElements: Int { inChannels * paddedRowsPerChannel * paddedRowWidth }
    package var paddedRowsPerChannel: Int { kernelHeight + (pool == nil ? 0 : 1) }
}

package struct PoolStep: Sendable {
    package var channels: Int
    package var inHeight: Int
    package var inWidth: Int
    package var outHeight: Int
    package var outWidth: Int
    package var sizeHeight: Int
    package var sizeWidth: Int
    package var strideHeight: Int
    package var strideWidth: Int
}

package struct ClampStep: Sendable {
    package var count: Int
    package var clamp: ClosedRange<Int64>
}

/// One kernel invocation. Switches over it are exhaustive (no `default:`).
package enum StepKind: Sendable {
    case dense(DenseStep)
    case conv2d(ConvStep)
    case maxPool2d(PoolStep)
    case avgPool2d(PoolStep)
    case clamp(ClampStep)
}

extension StepKind {
    /// The weights of a dense or conv2d step; nil for the others.
    package var weightedData: WeightedStepData? {
        switch self {
        case .dense(let dense): return dense.data
        case .conv2d(let conv): return conv.data
        case .maxPool2d, .avgPool2d, .clamp: return nil
        }
    }

    /// Changes the weights of a dense or conv2d step; the others have none.
    package mutating func updateWeightedData(_ change: (inout WeightedStepData) -> Void) {
        switch self {
        case .dense(var dense):
            change(&dense.data)
            self = .dense(dense)
        case .conv2d(var conv):
            change(&conv.data)
            self = .conv2d(conv)
        case .maxPool2d, .avgPool2d, .clamp:
            break
        }
    }
}

package struct Step: Sendable {
    package var kind: StepKind
    /// Index into `QuantizedGraph.layers` of the layer this step implements.
    package var layerIndex: Int
    package var input: BufferRef
    package var output: BufferRef
}

/// The whole lowered program for one target.
package struct Program: Sendable {
    package var name: String
    package var quantized: QuantizedGraph
    package var target: TargetDescription
    package var activationType: ElementType
    package var steps: [Step]
    /// Elements of the single arena (layout `arena`), 0 when no intermediate tensor exists.
    package var arenaElements: Int
    /// Elements of each ping-pong buffer (layout `ping-pong`).
    package var pingPongElements: [Int]

    package var inputSize: Int { quantized.graph.inputSize }
    package var outputSize: Int { quantized.graph.outputSize }
    package var activationBytes: Int {
        (arenaElements + pingPongElements.reduce(0, +)) * activationType.byteCount
    }
}
