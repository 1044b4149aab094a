// GenLoweringTests/RoundingInBiasTests.swift - Where the rounding half of a right shift may move into the bias.

import Testing

@testable import GenLowering

@Suite("The rounding of a layer's right shifts moves into its bias only where every sum still fits int32")
struct RoundingInBiasTests {
    @Test("each row gains 2^(shift-1); a shift of 0 adds nothing")
    func addsTheHalf() {
        let folded = foldRoundingIntoBias(
            bias: [10, -7, 0], shifts: [1, 0, 5], accumulatorRanges: [-100...100, -50...50, 0...0])
        #expect(folded == [11, -7, 16])
    }

    @Test("a row whose range top plus its half passes int32 keeps the whole layer unfolded")
    func refusesPastInt32() {
        let top = Int64(Int32.max) - 8
        #expect(foldRoundingIntoBias(bias: [0, 0], shifts: [4, 4], accumulatorRanges: [0...top, 0...10]) == [8, 8])
        #expect(foldRoundingIntoBias(bias: [0, 0], shifts: [5, 4], accumulatorRanges: [0...top, 0...10]) == nil)
    }

    @Test("a left shift or a shift past 31 keeps the layer unfolded")
    func refusesOtherShifts() {
        #expect(foldRoundingIntoBias(bias: [0], shifts: [-1], accumulatorRanges: [0...1]) == nil)
        #expect(foldRoundingIntoBias(bias: [0], shifts: [32], accumulatorRanges: [0...1]) == nil)
    }
}
