// GenSupport/FixedPoint/FixedPoint.swift - The integer arithmetic the generated C performs, in Swift.
//
// Every function here has a twin in Templates/c/runtime.c.mustache; the two must agree bit for bit.

/// Power-of-two fixed-point arithmetic shared by the quantizer, the simulator and the emitter.
package enum FixedPoint {
    /// Smallest and largest value of a signed integer of `bits` bits.
    package static func range(bits: Int) -> ClosedRange<Int64> {
        -(Int64(1) << (bits - 1))...((Int64(1) << (bits - 1)) - 1)
    }

    package static func saturate(_ value: Int64, bits: Int) -> Int64 {
        let bounds = range(bits: bits)
        return min(max(value, bounds.lowerBound), bounds.upperBound)
    }

    /// floor(value / 2^shift) for shift >= 0, written so C needs no implementation-defined shifts.
    package static func floorShiftRight(_ value: Int64, by shift: Int) -> Int64 {
        value >= 0 ? value >> Int64(shift) : ~((~value) >> Int64(shift))
    }

    /// Rescales an accumulator by 2^-shift, rounding half up (add 2^(shift-1), then floor);
    /// a negative shift multiplies by 2^-shift. The caller clamps the result.
    package static func roundingShift(_ value: Int64, by shift: Int) -> Int64 {
        if shift > 0 { return floorShiftRight(value &+ (Int64(1) << Int64(shift - 1)), by: shift) }
        if shift == 0 { return value }
        return value &* (Int64(1) << Int64(-shift))
    }

    /// Accumulator to output exactly as the C `gen_requantize`: a right shift rounds half up, a
    /// left shift saturates before shifting; then clamp to `[low, high]` (with low <= 0 <= high).
    package static func requantize(_ acc: Int64, shift: Int, low: Int64, high: Int64) -> Int64 {
        let value: Int64
        if shift > 0 {
            value = roundingShift(acc, by: shift)
        } else {
            let s = Int64(-shift)
            if acc > (high >> s) { return high }
            if acc < -((-low) >> s) { return low }
            value = acc << s
        }
        return min(max(value, low), high)
    }

    /// floor(numerator / denominator) for a positive denominator.
    package static func floorDivide(_ numerator: Int64, by denominator: Int64) -> Int64 {
        var quotient = numerator / denominator
        if numerator % denominator != 0 && numerator < 0 { quotient -= 1 }
        return quotient
    }

    /// Average of `count` values whose sum is `sum`, rounded half up: floor((2*sum + count) / (2*count)).
    package static func roundedAverage(sum: Int64, count: Int64) -> Int64 {
        floorDivide(2 * sum + count, by: 2 * count)
    }

    /// Quantizes a real number: round to nearest (half away from zero), then saturate to `bits`.
    package static func quantize(_ real: Double, fracBits: Int, bits: Int) -> Int64 {
        guard !real.isNaN else { return 0 }
        let scaled = real * pow2(fracBits)
        let bounds = range(bits: bits)
        if scaled >= Double(bounds.upperBound) { return bounds.upperBound }
        if scaled <= Double(bounds.lowerBound) { return bounds.lowerBound }
        return Int64(scaled.rounded(.toNearestOrAwayFromZero))
    }

    package static func dequantize(_ value: Int64, fracBits: Int) -> Double {
        Double(value) / pow2(fracBits)
    }

    /// 2^exponent exactly, for any exponent a Q-format can have.
    package static func pow2(_ exponent: Int) -> Double {
        Double(sign: .plus, exponent: exponent, significand: 1)
    }

    /// The largest number of fractional bits with which `maxAbs` still fits a signed `bits`-bit
    /// integer without saturation: floor(log2((2^(bits-1) - 1) / maxAbs)), clamped to `limits`.
    package static func fracBits(forMaxAbs maxAbs: Double, bits: Int, limits: ClosedRange<Int>) -> Int {
        guard maxAbs > 0, maxAbs.isFinite else { return limits.upperBound }
        let largest = Double((Int64(1) << (bits - 1)) - 1)
        // floor(log2(.)) for positive normal values; clamped first, because a subnormal maxAbs makes the
        // quotient infinite (exponent Int.max) and the walks below would then take forever.
        var frac = min(max(Int((largest / maxAbs).exponent), limits.lowerBound - 1), limits.upperBound + 1)
        // exponent is floor(log2); guard against rounding at exact powers of two.
        while frac > limits.lowerBound && maxAbs * pow2(frac) > largest { frac -= 1 }
        while frac < limits.upperBound && maxAbs * pow2(frac + 1) <= largest { frac += 1 }
        return min(max(frac, limits.lowerBound), limits.upperBound)
    }
}
