// GenEmitC/RequantizeHelper.swift - Which runtime requantize helper a layer's C calls.

import GenLowering

/// The runtime function that turns a layer's accumulators into outputs (Templates/c/runtime.c.mustache).
/// All four compute `requantize` of GenSupport/FixedPoint bit for bit (the last with the rounding half
/// already in the bias); they differ in what they may assume.
enum RequantizeHelper: Hashable {
    /// int64 accumulators: any shift.
    case int64
    /// int32 accumulators: any shift (left shifts saturate, shifts past 31 round to zero).
    case int32
    /// int32 accumulators whose every shift is a right shift of 0...31 but whose bias has no room for
    /// the rounding half: no tests on the shift, and (on GCC and clang) arithmetic shifts, about a
    /// dozen fewer instructions per output on Cortex-M than `int32`.
    case int32RightShift
    /// As `int32RightShift`, with each row's rounding half already in the bias table
    /// (GenLowering/foldRoundingIntoBias.swift): a floor shift and a clamp, the usual case.
    case int32Floor

    init(for data: WeightedStepData) {
        if data.roundingInBias {
            self = .int32Floor
            return
        }
        // Lowering gives weighted layers int32 or int64 accumulators only.
        guard data.accumulator == .int32 else {
            self = .int64
            return
        }
        let shifts = data.uniformShift.map { [Int64($0)] } ?? data.shifts?.values ?? []
        self = !shifts.isEmpty && shifts.allSatisfy({ (0...31).contains($0) }) ? .int32RightShift : .int32
    }

    var cName: String {
        switch self {
        case .int64: "gen_requantize"
        case .int32: "gen_requantize32"
        case .int32RightShift: "gen_requantize32_right"
        case .int32Floor: "gen_requantize32_floor"
        }
    }
}
