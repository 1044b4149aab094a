// GenLowering/pairLanesForDSP.swift - The small-fan-in conv2d kernel's order: one weight per int16 lane.

/// How the lane-pair kernel reads an im2col column of a few values (a conv2d with one input channel
/// and a 3x3 kernel has 9): per output pixel it loads the column as words once and splits each into
/// its even and odd bytes as two int16-lane pairs (`__sxtb16`); then every output channel takes one
/// SMLAD per pair against a word of its weights, two int16 lanes, unrolled over the channels.
///
/// Why: with 9 inputs per output the row-pair kernel spends more on each output (its second row's
/// recovery, the ninth column alone, the bias and shift per row) than on the MACs; here an output is
/// one weight word and one SMLAD per pair, then the shift and the store (measured on Cortex-M4 -O2,
/// unpruned: the wide digits CNN's conv1 takes 15,126 instructions against 20,472 on the row-pair
/// kernel, the small one's 8,470 against 9,296; BENCHMARKS.md). The price is flash: a word per pair, 2 to 2.7 times the int8 weights (five
/// words, 20 bytes, per output channel for 9 inputs, against 9).
///
/// Words start at bytes 0, 4, ... of the column and, when 4 does not divide the fan-in, one last word
/// ends at its last byte (it overlaps the word before, so nothing past the column is read). A lane
/// whose column element an earlier lane already took gets weight 0, and a pair whose two lanes were
/// both taken is left out.
package struct LanePairLayout: Sendable, Equatable {
    package struct Pair: Sendable, Equatable {
        /// Index into `wordOffsets`.
        package var word: Int
        /// The word's odd bytes (1 and 3) rather than its even ones (0 and 2).
        package var odd: Bool
        /// The column elements whose weights the pair's low and high lanes carry (nil: weight 0).
        package var low: Int?
        package var high: Int?
    }

    /// Byte offsets in the column of the words read per pixel.
    package var wordOffsets: [Int]
    package var pairs: [Pair]
}

/// The fan-ins the lane-pair kernel takes: at least one word, and fewer than 12, where the tests
/// (LanePairKernelTests: every fan-in 4 to 11) and the cost model's shapes (`--calibrate`) cover it. A
/// review's one-off measurements (not in the repo) found it faster than the row-pair kernel up to about
/// 18 inputs too; widening the range needs those tests and shapes first.
package let lanePairFanIns = 4..<12

/// The lane-pair layout of a column of `fanIn` values, or nil outside `lanePairFanIns`.
package func lanePairLayout(fanIn: Int) -> LanePairLayout? {
    guard lanePairFanIns.contains(fanIn) else { return nil }
    var offsets = Array(stride(from: 0, to: fanIn / 4 * 4, by: 4))
    if fanIn % 4 != 0 { offsets.append(fanIn - 4) }
    var taken = Set<Int>()
    var pairs: [LanePairLayout.Pair] = []
    for (word, offset) in offsets.enumerated() {
        for odd in [false, true] {
            let first = offset + (odd ? 1 : 0)
            let low = taken.contains(first) ? nil : first
            let high = taken.contains(first + 2) ? nil : first + 2
            guard low != nil || high != nil else { continue }
            taken.formUnion([first, first + 2])
            pairs.append(LanePairLayout.Pair(word: word, odd: odd, low: low, high: high))
        }
    }
    return LanePairLayout(wordOffsets: offsets, pairs: pairs)
}

/// An 8-bit `rows × fanIn` weight matrix as the lane-pair kernel reads it: `rows × pairs` int32 words,
/// each holding one pair's low lane's weight in bits 0-15 and its high lane's in bits 16-31, as SMLAD
/// pairs them with the low and high halves of `__sxtb16`'s result.
package func lanePairWeights(_ weights: [Int64], rows: Int, fanIn: Int, layout: LanePairLayout) -> [Int64] {
    precondition(weights.count == rows * fanIn, "weights are not rows x fanIn")
    var words: [Int64] = []
    words.reserveCapacity(rows * layout.pairs.count)
    for row in 0..<rows {
        for pair in layout.pairs {
            let low = pair.low.map { weights[row * fanIn + $0] } ?? 0
            let high = pair.high.map { weights[row * fanIn + $0] } ?? 0
            let bits = UInt32(UInt16(truncatingIfNeeded: low)) | UInt32(UInt16(truncatingIfNeeded: high)) << 16
            words.append(Int64(Int32(bitPattern: bits)))
        }
    }
    return words
}
