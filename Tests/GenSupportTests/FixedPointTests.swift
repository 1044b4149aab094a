// GenSupportTests/FixedPointTests.swift - Rounding, saturation and format choice.

import GenSupport
import Testing

@Suite("Fixed-point arithmetic")
struct FixedPointTests {
    @Test("rounding shift rounds half up and floors negatives", arguments: [
        (Int64(5), 1, Int64(3)), (-5, 1, -2), (-6, 2, -1), (-7, 2, -2), (6, 2, 2), (7, 0, 7), (3, -2, 12), (-1, 1, 0),
    ])
    func roundingShift(_ v: (Int64, Int, Int64)) {
        #expect(FixedPoint.roundingShift(v.0, by: v.1) == v.2)
    }

    @Test("floor shift equals floor division for every small value")
    func floorShift() {
        for value in Int64(-300)...300 {
            for shift in 0...5 {
                let expected = Int64((Double(value) / Double(1 << shift)).rounded(.down))
                #expect(FixedPoint.floorShiftRight(value, by: shift) == expected)
            }
        }
    }

    @Test("rounded average rounds half up")
    func average() {
        #expect(FixedPoint.roundedAverage(sum: 5, count: 2) == 3)
        #expect(FixedPoint.roundedAverage(sum: -5, count: 2) == -2)
        #expect(FixedPoint.roundedAverage(sum: -4, count: 9) == 0)
        #expect(FixedPoint.roundedAverage(sum: -5, count: 9) == -1)
    }

    @Test("quantize rounds to nearest (ties away from zero) and saturates")
    func quantize() {
        #expect(FixedPoint.quantize(0.5, fracBits: 0, bits: 8) == 1)
        #expect(FixedPoint.quantize(-0.5, fracBits: 0, bits: 8) == -1)
        #expect(FixedPoint.quantize(3.0, fracBits: 6, bits: 8) == 127)
        #expect(FixedPoint.quantize(-3.0, fracBits: 6, bits: 8) == -128)
        #expect(FixedPoint.quantize(0.3, fracBits: 7, bits: 8) == 38)
    }

    @Test("format choice is the most fractional bits without saturation")
    func formats() {
        #expect(FixedPoint.fracBits(forMaxAbs: 1.0, bits: 8, limits: -16...30) == 6)  // 1.0*64 = 64 <= 127; 128 > 127
        #expect(FixedPoint.fracBits(forMaxAbs: 0.99, bits: 8, limits: -16...30) == 7)
        #expect(FixedPoint.fracBits(forMaxAbs: 6.0, bits: 8, limits: -16...30) == 4)
        #expect(FixedPoint.fracBits(forMaxAbs: 300, bits: 8, limits: -16...30) == -2)
        #expect(FixedPoint.fracBits(forMaxAbs: 1.0, bits: 16, limits: -16...30) == 14)
    }

    @Test("a tiny or huge largest value ends at the limits (a subnormal one once walked for hours)")
    func extremeFormats() {
        #expect(FixedPoint.fracBits(forMaxAbs: 1e-310, bits: 8, limits: -24...62) == 62)
        #expect(FixedPoint.fracBits(forMaxAbs: .leastNonzeroMagnitude, bits: 8, limits: -24...62) == 62)
        #expect(FixedPoint.fracBits(forMaxAbs: 1e-30, bits: 8, limits: -24...62) == 62)
        #expect(FixedPoint.fracBits(forMaxAbs: 1e300, bits: 8, limits: -24...62) == -24)
        #expect(FixedPoint.fracBits(forMaxAbs: 1e-12, bits: 8, limits: -24...62) == 46)  // 2^46·1e-12 ≈ 70 ≤ 127
    }
}
