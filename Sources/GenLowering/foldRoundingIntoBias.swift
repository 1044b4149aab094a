// GenLowering/foldRoundingIntoBias.swift - Moves the rounding of a layer's right shifts into its bias table.

import GenCompress

/// Each row's bias plus 2^(shift-1), the half that `FixedPoint.requantize` adds before it floors, or nil
/// when the layer must keep the add in its requantization.
///
/// Adding the half to the bias instead of to the finished sum gives the same integer: the sum is linear
/// and exact as long as no partial sum leaves int32. Every kernel starts a row's sum at its bias, and
/// quantization proved every row's sum within `accumulatorRanges[row]`; that bounds every partial sum
/// too, because 0 lies in the layer's input interval (so each product lies between two extremes of
/// opposite signs or zero, and leaving products out keeps the sum inside the range). The fold only
/// moves that range up by the half, so it applies when the range's top plus the half still fits int32.
/// Then the C requantizes with a floor shift and a clamp (`gen_requantize32_floor`): no add, mask and
/// second shift per output (counted in the Cortex-M4 -O2 assembly). Only int32 layers whose every
/// shift is a right shift of 0...31 qualify (0 adds nothing).
func foldRoundingIntoBias(_ q: QuantizedWeights) -> [Int64]? {
    // Both hold for every layer quantization makes today (clamps contain 0, padding is 0); checked
    // because the proof above needs them.
    guard q.accumulatorBits == 32, q.inputInterval.contains(0) else { return nil }
    return foldRoundingIntoBias(bias: q.bias, shifts: q.shift, accumulatorRanges: q.accumulatorRanges)
}

/// `foldRoundingIntoBias` on a layer's tables: `accumulatorRanges[row]` bounds every partial sum of the row
/// (its bias included).
package func foldRoundingIntoBias(bias: [Int64], shifts: [Int], accumulatorRanges: [ClosedRange<Int64>]) -> [Int64]? {
    guard shifts.allSatisfy({ (0...31).contains($0) }) else { return nil }
    var folded = bias
    for row in bias.indices {
        let half: Int64 = shifts[row] > 0 ? Int64(1) << Int64(shifts[row] - 1) : 0
        guard accumulatorRanges[row].upperBound + half <= Int64(Int32.max) else { return nil }
        folded[row] += half
    }
    return folded
}
