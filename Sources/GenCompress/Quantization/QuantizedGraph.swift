// GenCompress/Quantization/QuantizedGraph.swift - The stage-3 result: every tensor has a fixed-point format.

import GenModel
import GenSupport

/// A power-of-two fixed-point format: a signed `bits`-bit integer q stands for q · 2^-frac.
package struct QFormat: Sendable, Equatable {
    package var bits: Int
    package var frac: Int

    package init(bits: Int, frac: Int) {
        self.bits = bits
        self.frac = frac
    }

    /// `Q3.4` style: integer bits (excluding sign) and fractional bits; negative parts allowed.
    package var description: String { "Q\(bits - 1 - frac).\(frac)" }
    /// The largest real value representable.
    package var maxReal: Double { Double((Int64(1) << (bits - 1)) - 1) / FixedPoint.pow2(frac) }
}

/// A dense or conv2d layer in integers: `acc = bias + Σ w·x` (in Q(frac_in + frac_w[row])),
/// then `out = clamp(roundingShift(acc, shift[row]))`.
package struct QuantizedWeights: Sendable {
    package var rows: Int
    package var fanIn: Int
    /// `rows × fanIn`, zero where pruned.
    package var weights: [Int64]
    package var mask: KeepMask?
    /// Fractional bits of each row's weights (all equal with per-layer scaling).
    package var weightFrac: [Int]
    /// Bias in each row's accumulator format.
    package var bias: [Int64]
    /// Right shift from accumulator to output format, per row (negative: left shift).
    package var shift: [Int]
    /// 32 when the worst-case |acc| bound fits int32, else 64.
    package var accumulatorBits: Int
    /// The worst-case |accumulator| over all rows and every input the layer can receive.
    package var accumulatorBound: Int64
    /// Per row, the exact smallest and largest accumulator value over those inputs.
    package var accumulatorRanges: [ClosedRange<Int64>]
    /// The integer interval of the layer's input (type range, or the producer's clamp).
    package var inputInterval: ClosedRange<Int64>
    /// Output clamp after requantization: the activation and the output type combined.
    package var clamp: ClosedRange<Int64>
    /// Rows whose bias had to be saturated to int32 (reported as warnings).
    package var saturatedBiasRows: [Int]
    /// Rows with a weight too large for the weight type even at the coarsest scale gen allows, saturated
    /// (reported as warnings).
    package var saturatedWeightRows: [Int] = []

    /// Where the output type (not the activation) can clip: the worst-case output in output units
    /// before clamping, for the rows where it exceeds the type's range; empty when it cannot happen.
    package func saturation(outputBits: Int) -> (rows: [Int], worstLow: Double, worstHigh: Double) {
        let type = FixedPoint.range(bits: outputBits)
        var rowsAffected: [Int] = []
        var worstLow = 0.0
        var worstHigh = 0.0
        for (row, range) in accumulatorRanges.enumerated() {
            // In output steps, before clamping; Double so a left shift cannot overflow here.
            let low = Double(range.lowerBound) * FixedPoint.pow2(-shift[row])
            let high = Double(range.upperBound) * FixedPoint.pow2(-shift[row])
            // Clipping by relu (at 0) or relu6 (at 6.0) is the activation, not saturation.
            let clipsHigh = high > Double(type.upperBound) + 0.5 && clamp.upperBound == type.upperBound
            let clipsLow = low < Double(type.lowerBound) - 0.5 && clamp.lowerBound == type.lowerBound
            if clipsHigh || clipsLow {
                rowsAffected.append(row)
                worstLow = min(worstLow, low)
                worstHigh = max(worstHigh, high)
            }
        }
        return (rowsAffected, worstLow, worstHigh)
    }
}

/// The closed set of fixed-point operations.
package enum QuantizedOp: Sendable {
    case dense(DenseLayer, QuantizedWeights)
    case conv2d(Conv2DLayer, QuantizedWeights)
    case maxPool2d(Pool2DLayer)
    case avgPool2d(Pool2DLayer)
    case flatten
    /// Standalone activation: clamp in the (unchanged) input format.
    case clamp(Activation, ClosedRange<Int64>)
    case softmax
}

package struct QuantizedLayer: Sendable {
    package var layer: Layer
    package var op: QuantizedOp
    package var input: QFormat
    package var output: QFormat
    /// Largest |value| seen at this layer's output during calibration (real units).
    package var calibratedMaxAbs: Double
}

/// How the weights' power-of-two scales are shared.
package enum WeightScaling: String, Sendable, CaseIterable {
    case perChannel = "channel"
    case perLayer = "layer"
}

/// Options of the quantizer.
package struct QuantizationOptions: Sendable {
    package var weightBits: Int
    package var activationBits: Int
    package var weightScaling: WeightScaling

    package init(weightBits: Int, activationBits: Int, weightScaling: WeightScaling) {
        self.weightBits = weightBits
        self.activationBits = activationBits
        self.weightScaling = weightScaling
    }
}

/// The pruned float graph with a fixed-point program for it. Lowering accepts only this type.
package struct QuantizedGraph: Sendable {
    package var graph: Graph
    package var input: QFormat
    package var layers: [QuantizedLayer]
    package var options: QuantizationOptions
    /// Where activation ranges came from, for the report ("--calib digits.npz (256 samples)", ...).
    package var calibrationSource: String

    package var output: QFormat { layers.last(where: { if case .softmax = $0.op { false } else { true } })?.output ?? input }
}
