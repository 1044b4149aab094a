// GenEmitC/describeLayers.swift - Comments for the firmware engineer: layer, shapes, Q-formats, sparsity.

import GenCompress
import GenLowering
import GenModel

private func shapeText(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }

/// `Q1.6` for per-layer weights, `Q-1.8..Q2.5 per output` for per-channel ones.
func describeWeightFormats(_ layer: QuantizedLayer) -> String {
    let weights: QuantizedWeights
    switch layer.op {
    case .dense(_, let q), .conv2d(_, let q): weights = q
    case .maxPool2d, .avgPool2d, .flatten, .clamp, .softmax: return ""
    }
    let formats = Set(weights.weightFrac)
    if formats.count == 1, let frac = formats.first { return "weights Q.\(frac) (frac bits)" }
    return "weights frac bits \(weights.weightFrac.min()!)..\(weights.weightFrac.max()!) per output"
}

/// One comment line per step: what it computes and in which formats.
func describeStep(_ step: Step, layer: QuantizedLayer) -> String {
    let name = CNamer.commentText(layer.layer.name)
    let shapes = "\(shapeText(layer.layer.inputShape)) -> \(shapeText(layer.layer.outputShape))"
    var folded = layer.layer.folded.isEmpty ? "" : " (folded: \(CNamer.commentText(layer.layer.folded.joined(separator: ", "))))"
    if let decomposition = layer.layer.decomposition {
        let source = CNamer.commentText(decomposition.source)
        let rank = "rank \(decomposition.rank) of \(decomposition.fullRank)"
        switch decomposition.role {
        case .basis: folded += " (EDP basis of '\(source)', \(rank))"
        case .coefficients: folded += " (EDP coefficients of '\(source)', \(rank))"
        case .merged: folded += " (EDP: '\(source)' merged back from its \(rank) factors)"
        }
    }
    let formats = "in \(layer.input.description), out \(layer.output.description)"
    switch step.kind {
    case .dense(let dense):
        return "Layer '\(name)': dense \(shapes), activation \(activationName(layer))\(folded); \(formats), \(describeWeightFormats(layer)); \(sparsityText(dense.data)); accumulator \(dense.data.accumulator.cName)"
            + orderText(dense.data)
    case .conv2d(let conv):
        return "Layer '\(name)': conv2d \(conv.kernelHeight)x\(conv.kernelWidth) stride \(conv.strideHeight)x\(conv.strideWidth) pad top \(conv.padTop) left \(conv.padLeft), \(shapes), activation \(activationName(layer))\(folded); \(formats), \(describeWeightFormats(layer)); \(sparsityText(conv.data, pixels: conv.outHeight * conv.outWidth)); accumulator \(conv.data.accumulator.cName)"
            + orderText(conv.data)
            + (conv.pool.map { pool in
                "; then the 2x2 max pool after it, done here (its output [\(conv.data.outputCount), \(pool.outHeight), \(pool.outWidth)]"
                    + " is this function's; the conv2d's own output is not stored)"
            } ?? "")
    case .maxPool2d(let pool):
        return "Layer '\(name)': maxpool2d \(pool.sizeHeight)x\(pool.sizeWidth) stride \(pool.strideHeight)x\(pool.strideWidth), \(shapes); \(formats)"
    case .avgPool2d(let pool):
        return "Layer '\(name)': avgpool2d \(pool.sizeHeight)x\(pool.sizeWidth) stride \(pool.strideHeight)x\(pool.strideWidth), \(shapes); \(formats); average rounded half up"
    case .clamp(let clamp):
        return "Layer '\(name)': \(layer.layer.op.typeName) on \(shapeText(layer.layer.outputShape)) as a clamp to [\(clamp.clamp.lowerBound), \(clamp.clamp.upperBound)]; \(formats)"
    }
}

/// Where lowering stored a dense or conv2d layer's outputs, or read its columns, in another order than the
/// model's, and which of its outputs it found constant (`removeConstantOutputs`).
private func orderText(_ data: WeightedStepData) -> String {
    var text = ""
    if !data.constantOutputs.isEmpty {
        let list = data.constantOutputs.map { "\($0.modelRow) (\($0.value))" }.joined(separator: ", ")
        text += "; the outputs of the model's rows \(list) are the same for every input (proven over the input's"
            + " range): stored as constants after the others, not computed"
    }
    if let order = data.rowOrder {
        text += "; outputs stored in the order of the model's rows " + order.map(String.init).joined(separator: ", ")
        let computed = order.prefix(data.rows)
        if data.sharedSparse != nil, data.rows < data.outputCount {
            text += " (each set's computed rows together, sets with more rows first; the next layer reads them so)"
        } else if computed != computed.sorted()[...] {
            text += " (rows of one requantization shift together, so the Arm DSP kernel takes it as a constant; the next layer reads them so)"
        }
    }
    if data.columnOrder != nil { text += "; columns in the order the previous layer stores its outputs" }
    if data.foldedColumns > 0 {
        text += "; reads the first \(data.fanIn) of them: the \(data.foldedColumns) after are constants, their products in the bias"
    }
    return text
}

private func activationName(_ layer: QuantizedLayer) -> String {
    switch layer.op {
    case .dense(let dense, _): return dense.activation.rawValue
    case .conv2d(let conv, _): return conv.activation.rawValue
    case .maxPool2d, .avgPool2d, .flatten, .clamp, .softmax: return "none"
    }
}

/// `pixels`: a conv2d's output pixels, each of which takes every weight once (1 for a dense layer).
private func sparsityText(_ data: WeightedStepData, pixels: Int = 1) -> String {
    if let kernels = data.kernelSparse {
        let kept = data.weights.values.count
        let total = data.rows * data.fanIn
        return "kernel k-of-n \(kernels.k)/\(kernels.n) input channels, \(kept) of \(total) weights kept (\(String(format1: Double(total - kept) * 100 / Double(total)))% sparse)"
    }
    if let shared = data.sharedSparse {
        let kept = data.rows * shared.keptPerRow
        let total = data.rows * data.fanIn
        return "vector-wise k-of-n \(shared.k)/\(shared.n) shared by \(shared.setSizeText) rows, \(kept) of \(total) weights kept (\(String(format1: Double(total - kept) * 100 / Double(total)))% sparse)"
    }
    if let darb = data.darb {
        let kept = darb.groups.reduce(0) { $0 + $1.weights.values.count }
        let total = data.rows * data.fanIn
        let groups = darb.groups.map { "\($0.rows.values.count) row\($0.rows.values.count == 1 ? "" : "s") with s = \($0.blockSize)" }.joined(separator: ", ")
        return "DARB, one weight per block of s (\(groups)), \(kept) of \(total) weights kept (\(String(format1: Double(total - kept) * 100 / Double(total)))% sparse)"
    }
    guard let sparse = data.sparse else { return "dense, \(data.rows * data.fanIn * pixels) MACs" }
    let kept = data.rows * sparse.keptPerRow
    let total = data.rows * data.fanIn
    let percent = Double(total - kept) * 100 / Double(total)
    return "k-of-n \(sparse.k)/\(sparse.n), \(kept) of \(total) weights kept (\(String(format1: percent))% sparse)"
}

extension String {
    /// One decimal, locale-independent.
    init(format1 value: Double) {
        let scaled = (value * 10).rounded()
        let whole = Int(scaled) / 10
        let tenth = abs(Int(scaled)) % 10
        self = "\(whole).\(tenth)"
    }
}

/// The table of layers placed at the top of the generated source.
func layerSummary(_ program: Program) -> [String] {
    var lines = ["Layers (input \(program.quantized.input.description)):"]
    for layer in program.quantized.layers {
        let name = CNamer.commentText(layer.layer.name)
        lines.append(
            "  \(name): \(layer.layer.op.typeName) \(shapeText(layer.layer.inputShape)) -> \(shapeText(layer.layer.outputShape)), out \(layer.output.description)"
        )
    }
    return lines
}
