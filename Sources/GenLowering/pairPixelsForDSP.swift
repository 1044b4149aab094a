// GenLowering/pairPixelsForDSP.swift - The 3-wide conv2d kernel's order: two output pixels per step.

/// How the pixel-pair kernel runs a dense conv2d whose kernel is 3 wide at stride 1 along x, with few
/// kernel rows (input channels × kernel height, 2 or 3): it computes the two horizontally neighbouring
/// output pixels ox and ox + 1 together, reading each kernel row's input once as a word of four values
/// a0..a3 (no im2col column) and splitting it into its even (a0, a2) and odd (a1, a3) int16 lanes
/// (`__sxtb16`). With a kernel row's weights w0 w1 w2:
/// - pixel ox:     a0·w0 + a2·w2 = SMLAD(even, (w0, w2)), and a1·w1 = SMLABB/SMLABT(odd's low lane, w1);
/// - pixel ox + 1: a1·w0 + a3·w2 = SMLAD(odd, (w0, w2)),  and a2·w1 = SMLATB/SMLATT(even's high lane, w1).
/// So each weight word serves both pixels: per output channel and pixel pair, one word (w0, w2) per kernel
/// row and one word of the middle weights w1 per two kernel rows, 4 MAC instructions per kernel row, one
/// bias, two shifts and two stores.
///
/// Why: the lane-pair kernel (pairLanesForDSP.swift) loads a word of weights per SMLAD and gathers every
/// pixel's column; here a word serves two pixels and nothing is gathered (measured on Cortex-M4 -O2, the
/// digits CNN's conv1, 8 channels of 3x3 over 8 x 8: 8,470 instructions on the lane-pair kernel, 6,789 on
/// this one, for 264 more bytes of code; `python3 Scripts/bench_mcu.py --layers --models digits_cnn`,
/// BENCHMARKS.md). The weight table is as big as the lane-pair kernel's for 3 kernel rows (5 words per
/// output channel for 9 weights) and smaller for 2 (3 words against 4), less its zero words (`storedPixelPairWords`). Where a 2x2 max pool follows, the
/// kernel does it too (`fuseMaxPools`, conv2d_pooled): four output pixels per step, the rows of two output
/// rows.
///
/// The input words are read from the kernel rows of the output row (the input itself, or the padded rows
/// where the conv2d is padded), at ox, ox + 1, ...: the word of the last pair ends at its row's last value
/// because the output width is even (stride 1, width 3: the row has outWidth + 2 values).
package struct PixelPairLayout: Sendable, Equatable {
    /// Input channels × kernel height: the kernel rows of 3 weights each.
    package var kernelRows: Int

    /// Two kernel rows whose middle weights share the first middle word and, in every channel that keeps both,
    /// one `__smlad` per pixel over lanes packed once per step for all channels (`packingMiddles`); nil: none.
    package var packedMiddles: PackedMiddles? = nil

    package init(kernelRows: Int, packedMiddles: PackedMiddles? = nil) {
        self.kernelRows = kernelRows
        self.packedMiddles = packedMiddles
    }

    /// The kernel rows of each middle word in the table's order: the packed pair first, then the other kernel
    /// rows two to a word, ascending (without a packed pair: rows 2j and 2j + 1 in word j).
    package var middleGroups: [[Int]] {
        let packed = packedMiddles.map { [$0.first, $0.second] } ?? []
        let others = (0..<kernelRows).filter { !packed.contains($0) }
        let pairs = stride(from: 0, to: others.count, by: 2).map { Array(others[$0..<min($0 + 2, others.count)]) }
        return (packed.isEmpty ? [] : [packed]) + pairs
    }

    /// Words per output channel: one (w0, w2) per kernel row, then the middle words.
    package var wordsPerRow: Int { kernelRows + middleWords }
    package var middleWords: Int { middleGroups.count }

    /// Where kernel row `row`'s middle weight w1 lies: its word among the middle words, and whether in the high lane.
    package func middleSlot(_ row: Int) -> (word: Int, high: Bool) {
        for (word, group) in middleGroups.enumerated() {
            if let place = group.firstIndex(of: row) { return (word, place == 1) }
        }
        preconditionFailure("kernel row \(row) outside the layout's \(kernelRows)")
    }
}

/// The two kernel rows of `PixelPairLayout.packedMiddles`, `first < second`: their middle weights are the low and
/// high lanes of one word, and per step the kernel packs the lanes they multiply into one word per pixel
/// (`gen_lanes`, `gen_lanes_high`).
package struct PackedMiddles: Sendable, Equatable {
    package var first: Int
    package var second: Int

    package init(first: Int, second: Int) {
        precondition(first < second, "packed middle rows out of order")
        self.first = first
        self.second = second
    }
}

/// The kernel rows the pixel-pair kernel takes: 2 or 3 (fan-ins 6 and 9, inside `lanePairFanIns`). More
/// rows hold more input lanes in registers across the written-out channels (two per kernel row); they were not
/// measured.
package let pixelPairKernelRows = 2...3

/// The pixel-pair layout of a conv2d of this shape, or nil where the kernel does not apply: a kernel 3 wide,
/// stride 1 along x, an even output width, and `pixelPairKernelRows` kernel rows.
package func pixelPairLayout(inChannels: Int, kernelHeight: Int, kernelWidth: Int, strideWidth: Int, outWidth: Int)
    -> PixelPairLayout?
{
    let rows = inChannels * kernelHeight
    guard kernelWidth == 3, strideWidth == 1, outWidth > 0, outWidth % 2 == 0, pixelPairKernelRows.contains(rows) else {
        return nil
    }
    return PixelPairLayout(kernelRows: rows)
}

/// An 8-bit `rows × (kernelRows · 3)` weight matrix as the pixel-pair kernel reads it: per output channel,
/// `kernelRows` words (w0 in bits 0-15, w2 in bits 16-31), then the middle weights w1 of each of
/// `middleGroups` in the low and high lanes of a word (0 for a missing second).
package func pixelPairWeights(_ weights: [Int64], rows: Int, layout: PixelPairLayout) -> [Int64] {
    let fanIn = layout.kernelRows * 3
    precondition(weights.count == rows * fanIn, "weights are not rows x (kernel rows x 3)")
    func word(_ low: Int64, _ high: Int64) -> Int64 {
        let bits = UInt32(UInt16(truncatingIfNeeded: low)) | UInt32(UInt16(truncatingIfNeeded: high)) << 16
        return Int64(Int32(bitPattern: bits))
    }
    var words: [Int64] = []
    words.reserveCapacity(rows * layout.wordsPerRow)
    for row in 0..<rows {
        let w = { (kernelRow: Int, column: Int) in weights[row * fanIn + kernelRow * 3 + column] }
        for kernelRow in 0..<layout.kernelRows {
            words.append(word(w(kernelRow, 0), w(kernelRow, 2)))
        }
        for group in layout.middleGroups {
            words.append(word(w(group[0], 1), group.count > 1 ? w(group[1], 1) : 0))
        }
    }
    return words
}

/// The multiply terms the pixel-pair kernel writes out for one output channel: the kernel rows whose word
/// (w0, w2) is not zero, those whose middle weight w1 is not zero and is taken alone (ascending), and whether
/// the channel keeps both middle weights of the layout's `packedMiddles`, then taken together. gen writes each
/// channel's terms out one by one, so a weight that is zero (a pruned one, lowered dense) gets no instruction:
/// its channel skips the `__smlad` of a zero word and the `__smlab[bt]`/`__smlat[bt]` of a zero middle weight.
/// Why: a conv2d of so few kernel rows cannot gain from an index table (the digits CNNs' conv1: 9 taps, the
/// sets of k-of-n keep the same 2 or 4 in every channel), but its dense kernel, written out channel by channel,
/// can simply leave out what is zero.
package struct PixelPairTerms: Sendable, Equatable {
    package var outerRows: [Int]
    package var middleRows: [Int]
    package var packedMiddles = false

    /// Terms (MAC instructions) per output channel and pixel: an unpruned channel without packed middles has two
    /// per kernel row.
    package var count: Int { outerRows.count + middleRows.count + (packedMiddles ? 1 : 0) }
}

/// `PixelPairTerms` of each output channel of an 8-bit `rows × (kernelRows · 3)` weight matrix.
package func pixelPairTerms(_ weights: [Int64], rows: Int, layout: PixelPairLayout) -> [PixelPairTerms] {
    let fanIn = layout.kernelRows * 3
    precondition(weights.count == rows * fanIn, "weights are not rows x (kernel rows x 3)")
    return (0..<rows).map { row in
        let w = { (kernelRow: Int, column: Int) in weights[row * fanIn + kernelRow * 3 + column] }
        let kernelRows = 0..<layout.kernelRows
        let middles = kernelRows.filter { w($0, 1) != 0 }
        let packed = layout.packedMiddles.map { middles.contains($0.first) && middles.contains($0.second) } ?? false
        return PixelPairTerms(
            outerRows: kernelRows.filter { w($0, 0) != 0 || w($0, 2) != 0 },
            middleRows: packed ? middles.filter { $0 != layout.packedMiddles?.first && $0 != layout.packedMiddles?.second } : middles,
            packedMiddles: packed)
    }
}

/// `layout` with the two kernel rows whose middle weights pay to pack (`PixelPairLayout.packedMiddles`), or
/// unchanged. Packing rows i and j costs per step one `gen_lanes` and one `gen_lanes_high` per output row of
/// the step (2 packs, or 4 with the fused max pool: `pooledKernelHeight`, each kernel row then reading two input
/// rows) and saves each channel keeping both middle weights one MAC instruction per pixel. But the values held
/// in registers across the written-out channels change: the lanes of every input row still read by an outer term
/// or a middle taken alone (two a row), plus the packed words, against the lanes of every input row read without
/// it. Where that is more, GCC spills: priced at one instruction per extra value and computed channel. It packs
/// where the saving, less the packs and that price, is positive; of those pairs, the one most channels keep.
/// Measured on Cortex-M4 -O2, conv1 with the 2x2 max pool after it, each configuration forced both ways (the
/// eighth stop's review; BENCHMARKS.md): the digits CNN at 3 or 4 of 16 in sets of 12 or 24, 8 channels
/// packing with no extra value, 4,389 to 3,798 instructions; the wide CNN, 16 channels, 2 extra values, 10,614
/// to 8,806 at 4/16 in sets of 24. Refused, rightly: the digits CNN at 5 and 6 of 16 (4 extra values: 5,075 to
/// 5,094 and 5,714 to 5,862 packed) and unpruned (6,244 to 6,550). Refused though it would gain: the wide CNN in
/// sets of 12 at 4 to 6 of 16 (4 extra values; 10,662 to 9,317 at 4/16).
package func packingMiddles(_ layout: PixelPairLayout, weights: [Int64], rows: Int, pooledKernelHeight: Int?) -> PixelPairLayout {
    var plain = layout
    plain.packedMiddles = nil
    let packs = pooledKernelHeight == nil ? 2 : 4
    /// The input rows kernel row k reads: itself, or with the pool the window's two rows of its channel.
    func inputRows(_ k: Int) -> [Int] {
        guard let height = pooledKernelHeight else { return [k] }
        let top = k / height * (height + 1) + k % height
        return [top, top + 1]
    }
    func heldValues(_ terms: [PixelPairTerms]) -> Int {
        let read = Set(terms.flatMap { ($0.outerRows + $0.middleRows).flatMap(inputRows) })
        return 2 * read.count + (terms.contains { $0.packedMiddles } ? packs : 0)
    }
    let without = heldValues(pixelPairTerms(weights, rows: rows, layout: plain))
    var best: (layout: PixelPairLayout, channels: Int)?
    for first in 0..<layout.kernelRows {
        for second in (first + 1)..<layout.kernelRows {
            var trial = plain
            trial.packedMiddles = PackedMiddles(first: first, second: second)
            let terms = pixelPairTerms(weights, rows: rows, layout: trial)
            let channels = terms.filter(\.packedMiddles).count
            // Per step: one instruction per pixel for each channel keeping both, less the packs, less the spills.
            let extraValues = heldValues(terms) - without
            guard channels * packs - packs - extraValues * rows > 0 else { continue }
            if channels > best?.channels ?? 0 { best = (trial, channels) }
        }
    }
    return best?.layout ?? plain
}

/// The pixel-pair table as stored: `pixelPairWeights` without its zero words (no term reads them), channel after
/// channel; `positions[row][slot]` is where word `slot` of output channel `row` is stored, nil for a zero word.
/// A pruned layer lowered dense so keeps in flash only the words of its nonzero weights.
package func storedPixelPairWords(_ weights: [Int64], rows: Int, layout: PixelPairLayout) -> (words: [Int64], positions: [[Int?]]) {
    let all = pixelPairWeights(weights, rows: rows, layout: layout)
    var words: [Int64] = []
    var positions: [[Int?]] = []
    for row in 0..<rows {
        positions.append((0..<layout.wordsPerRow).map { slot in
            let word = all[row * layout.wordsPerRow + slot]
            guard word != 0 else { return nil }
            words.append(word)
            return words.count - 1
        })
    }
    return (words, positions)
}
