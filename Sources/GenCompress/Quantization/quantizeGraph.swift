// GenCompress/Quantization/quantizeGraph.swift - Chooses Q-formats and integer weights for every layer.

import GenModel
import GenSupport

/// Quantizes a pruned float graph.
///
/// - Input format: from `input.range` (the declared bound of real inputs).
/// - Each dense/conv2d output: from the calibrated largest |value|, the most fractional bits that
///   do not saturate it. Pools, flatten and standalone activations keep their input's format.
/// - Weights: per output channel (or per layer) the most fractional bits that fit the largest kept |w|,
///   reduced if needed so the bias fits int32 and the shift stays in [-24, 62].
/// - Accumulator: int32 unless the exact worst case over every input the layer can receive exceeds it
///   (then int64). The inputs a layer can receive form an integer interval: the whole type for the
///   model input, the producer's clamp (activation and type) after that; pools and flatten keep it.
package func quantizeGraph(
    _ graph: Graph, calibratedMaxAbs: [Double], options: QuantizationOptions, calibrationSource: String,
    diagnostics: DiagnosticEngine
) -> QuantizedGraph {
    let actBits = options.activationBits
    let inputMax = max(abs(graph.inputRange.low), abs(graph.inputRange.high))
    let inputFormat = QFormat(bits: actBits, frac: FixedPoint.fracBits(forMaxAbs: inputMax, bits: actBits, limits: -16...30))
    var current = inputFormat
    // Integer values the current tensor can hold: any value of the type for the caller's input.
    var interval = FixedPoint.range(bits: actBits)
    var layers: [QuantizedLayer] = []
    for (index, layer) in graph.layers.enumerated() {
        let measured = calibratedMaxAbs[index]
        let op: QuantizedOp
        var output = current
        switch layer.op {
        case .dense(let dense):
            output = QFormat(bits: actBits, frac: FixedPoint.fracBits(forMaxAbs: measured, bits: actBits, limits: -16...30))
            let weights = quantizeWeights(
                dense.weights, mask: dense.mask, rows: dense.outputs, fanIn: dense.inputs, bias: dense.bias,
                activation: dense.activation, input: current, inputInterval: interval, output: output,
                options: options)
            op = .dense(dense, weights)
            interval = weights.clamp
            report(weights, layer: layer, diagnostics: diagnostics)
        case .conv2d(let conv):
            output = QFormat(bits: actBits, frac: FixedPoint.fracBits(forMaxAbs: measured, bits: actBits, limits: -16...30))
            let weights = quantizeWeights(
                conv.weights, mask: conv.mask, rows: conv.outChannels, fanIn: conv.fanIn, bias: conv.bias,
                activation: conv.activation, input: current, inputInterval: interval, output: output,
                options: options)
            op = .conv2d(conv, weights)
            interval = weights.clamp
            report(weights, layer: layer, diagnostics: diagnostics)
        case .maxPool2d(let pool): op = .maxPool2d(pool)
        case .avgPool2d(let pool): op = .avgPool2d(pool)
        case .flatten: op = .flatten
        case .activation(let activation):
            let range = clampRange(activation, format: current)
            op = .clamp(activation, range)
            interval = max(interval.lowerBound, range.lowerBound)...min(interval.upperBound, range.upperBound)
        case .softmax: op = .softmax
        }
        layers.append(QuantizedLayer(layer: layer, op: op, input: current, output: output, calibratedMaxAbs: measured))
        current = output
    }
    return QuantizedGraph(
        graph: graph, input: inputFormat, layers: layers, options: options, calibrationSource: calibrationSource)
}

/// The integer interval an activation allows in `format`: relu6's 6.0 rounds to the nearest step.
package func clampRange(_ activation: Activation, format: QFormat) -> ClosedRange<Int64> {
    let full = FixedPoint.range(bits: format.bits)
    switch activation {
    case .none: return full
    case .relu: return 0...full.upperBound
    case .relu6: return 0...FixedPoint.quantize(6, fracBits: format.frac, bits: format.bits)
    }
}

private func report(_ weights: QuantizedWeights, layer: Layer, diagnostics: DiagnosticEngine) {
    if !weights.saturatedBiasRows.isEmpty {
        diagnostics.warning(
            "layer '\(layer.name)': bias of \(weights.saturatedBiasRows.count) output(s) saturated to int32 in the accumulator format",
            at: layer.origin)
    }
    if !weights.saturatedWeightRows.isEmpty {
        diagnostics.warning(
            "layer '\(layer.name)': weights of \(weights.saturatedWeightRows.count) output(s) exceed the weight type's range even at the coarsest scale gen allows (2^\(-(weights.weightFrac.min() ?? 0)) per step) and saturate; check the model's weights",
            at: layer.origin)
    }
}

private func quantizeWeights(
    _ real: [Double], mask: KeepMask?, rows: Int, fanIn: Int, bias: [Double], activation: Activation, input: QFormat,
    inputInterval: ClosedRange<Int64>, output: QFormat, options: QuantizationOptions
) -> QuantizedWeights {
    let bits = options.weightBits
    func kept(_ index: Int) -> Bool { mask?.kept[index] ?? true }
    var rowMax = [Double](repeating: 0, count: rows)
    for row in 0..<rows {
        for column in 0..<fanIn where kept(row * fanIn + column) {
            rowMax[row] = max(rowMax[row], abs(real[row * fanIn + column]))
        }
    }
    // Shift = frac_in + frac_w - frac_out must stay in [-24, 62] (the C requantizer's domain).
    let fracLimits = (output.frac - input.frac - 24)...(output.frac - input.frac + 62)
    let biasLimit = Double(Int32.max)
    func fracFor(maxAbs: Double, biases: [Double]) -> Int {
        var frac = FixedPoint.fracBits(forMaxAbs: maxAbs, bits: bits, limits: fracLimits)
        if maxAbs == 0 { frac = min(max(output.frac - input.frac, fracLimits.lowerBound), fracLimits.upperBound) }
        let biggestBias = biases.map(abs).max() ?? 0
        while frac > fracLimits.lowerBound && biggestBias * FixedPoint.pow2(input.frac + frac) > biasLimit {
            frac -= 1
        }
        return frac
    }
    var weightFrac: [Int]
    switch options.weightScaling {
    case .perChannel:
        weightFrac = (0..<rows).map { fracFor(maxAbs: rowMax[$0], biases: [bias[$0]]) }
    case .perLayer:
        weightFrac = Array(repeating: fracFor(maxAbs: rowMax.max() ?? 0, biases: bias), count: rows)
    }
    var weights = [Int64](repeating: 0, count: rows * fanIn)
    var biasQ = [Int64](repeating: 0, count: rows)
    var shift = [Int](repeating: 0, count: rows)
    var saturated: [Int] = []
    var saturatedWeights: [Int] = []
    let largestInRow = rowMax
    var bound: Int64 = 0
    var accumulatorRanges: [ClosedRange<Int64>] = []
    let (low, high) = (inputInterval.lowerBound, inputInterval.upperBound)
    for row in 0..<rows {
        // Exact extremes of Σ w·x over x in [low, high]^k: each kept weight meets its worst input.
        var rowMin: Int64 = 0
        var rowMax: Int64 = 0
        // The type holds -2^(b-1) ... 2^(b-1) - 1: a value rounds into it below 2^(b-1) - 0.5 (positive)
        // or above -2^(b-1) - 0.5 (negative; quantize rounds half away from zero).
        let positiveLimit = Double((Int64(1) << (bits - 1)) - 1) + 0.5
        let scale = FixedPoint.pow2(weightFrac[row])
        let overflows = (0..<fanIn).contains { column in
            guard kept(row * fanIn + column) else { return false }
            let scaled = real[row * fanIn + column] * scale
            return scaled >= positiveLimit || scaled <= -positiveLimit - 1
        }
        if largestInRow[row] * scale >= positiveLimit && overflows { saturatedWeights.append(row) }
        for column in 0..<fanIn where kept(row * fanIn + column) {
            let q = FixedPoint.quantize(real[row * fanIn + column], fracBits: weightFrac[row], bits: bits)
            weights[row * fanIn + column] = q
            rowMin += min(q * low, q * high)
            rowMax += max(q * low, q * high)
        }
        let accFrac = input.frac + weightFrac[row]
        let scaledBias = bias[row] * FixedPoint.pow2(accFrac)
        if abs(scaledBias) > biasLimit { saturated.append(row) }
        biasQ[row] = FixedPoint.quantize(bias[row], fracBits: accFrac, bits: 32)
        shift[row] = accFrac - output.frac
        let range = (rowMin + biasQ[row])...(rowMax + biasQ[row])
        accumulatorRanges.append(range)
        bound = max(bound, abs(range.lowerBound), abs(range.upperBound))
    }
    var quantized = QuantizedWeights(
        rows: rows, fanIn: fanIn, weights: weights, mask: mask, weightFrac: weightFrac, bias: biasQ, shift: shift,
        accumulatorBits: bound <= Int64(Int32.max) ? 32 : 64, accumulatorBound: bound,
        accumulatorRanges: accumulatorRanges, inputInterval: inputInterval,
        clamp: clampRange(activation, format: output), saturatedBiasRows: saturated)
    quantized.saturatedWeightRows = saturatedWeights
    return quantized
}
