// GenModel/Graph/buildGraph.swift - Checks layers against each other, infers shapes, folds batchnorm.

import GenSupport

/// Turns the raw layers into a `Graph`: resolves padding, infers every shape, folds each batchnorm
/// into the dense/conv2d before it, and checks placement rules (softmax last, names unique).
/// Reports every problem it can; returns nil if any was found.
package func buildGraph(
    name: String, inputShape: [Int], inputRange: (low: Double, high: Double), rawLayers: [RawLayer],
    labels: [String]?, labelsLocation: SourceLocation, metadata: JSONValue?, origin: SourceLocation,
    diagnostics: DiagnosticEngine
) -> Graph? {
    var layers: [Layer] = []
    var shape: [Int]? = inputShape
    var namesSeen: [String: SourceLocation] = [:]
    let errorsBefore = diagnostics.errorCount
    for (position, raw) in rawLayers.enumerated() {
        if let previous = namesSeen[raw.name] {
            diagnostics.error("duplicate layer name '\(raw.name)'", at: raw.location.withPointer(suffix: "/name"))
            diagnostics.note("'\(raw.name)' is first declared here", at: previous)
        }
        namesSeen[raw.name] = raw.location
        if case .softmax = raw.op, position != rawLayers.count - 1 {
            diagnostics.error("softmax is only allowed as the last layer", at: raw.location)
        }
        if case .batchnorm(let gamma, let beta, let mean, let variance, let epsilon) = raw.op {
            if shape == nil { continue }  // the layer before failed; nothing reliable to fold into
            foldBatchNorm(
                raw, gamma: gamma, beta: beta, mean: mean, variance: variance, epsilon: epsilon, into: &layers,
                diagnostics: diagnostics)
            continue
        }
        guard let inShape = shape else { continue }  // an earlier shape error: stop inferring, keep validating
        let op = makeOp(raw, inputShape: inShape, diagnostics: diagnostics)
        guard let (op, outShape) = op else {
            shape = nil
            continue
        }
        layers.append(Layer(name: raw.name, op: op, inputShape: inShape, outputShape: outShape, origin: raw.location))
        shape = outShape
    }
    if let labels, let outShape = shape, labels.count != outShape.reduce(1, *) {
        diagnostics.error(
            "expected \(outShape.reduce(1, *)) labels (one per output), found \(labels.count)", at: labelsLocation)
    }
    guard diagnostics.errorCount == errorsBefore else { return nil }
    return Graph(
        name: name, inputShape: inputShape, inputRange: inputRange, layers: layers, labels: labels,
        metadata: metadata, origin: origin)
}

extension SourceLocation {
    /// The same line and column with a longer pointer (used when the child has no position of its own).
    func withPointer(suffix: String) -> SourceLocation {
        var copy = self
        copy.pointer = (pointer ?? "") + suffix
        return copy
    }
}

private func describe(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }

/// Checks one layer against its input shape; returns the typed op and the output shape.
private func makeOp(_ raw: RawLayer, inputShape: [Int], diagnostics: DiagnosticEngine) -> (Op, [Int])? {
    switch raw.op {
    case .dense(let weights, let bias, let activation):
        let outputs = weights.shape[0]
        let inputs = weights.shape[1]
        guard inputShape.count == 1 else {
            diagnostics.error(
                "dense expects a vector input but receives shape \(describe(inputShape)); add a flatten layer before it",
                at: raw.location)
            return nil
        }
        guard inputShape[0] == inputs else {
            diagnostics.error(
                "weights shape \(describe(weights.shape)) expects \(inputs) inputs but the layer receives \(inputShape[0])",
                at: weights.location.withPointer(suffix: "/shape"))
            return nil
        }
        guard checkBias(bias, count: outputs, what: "outputs", diagnostics: diagnostics) else { return nil }
        let layer = DenseLayer(
            inputs: inputs, outputs: outputs, weights: weights.data,
            bias: bias?.data ?? Array(repeating: 0, count: outputs), activation: activation, mask: nil)
        return (.dense(layer), [outputs])
    case .conv2d(let weights, let bias, let stride, let padding, let activation):
        let (outC, inC, kh, kw) = (weights.shape[0], weights.shape[1], weights.shape[2], weights.shape[3])
        guard inputShape.count == 3 else {
            diagnostics.error(
                "conv2d expects a [C, H, W] input but receives shape \(describe(inputShape))", at: raw.location)
            return nil
        }
        let (c, h, w) = (inputShape[0], inputShape[1], inputShape[2])
        guard c == inC else {
            diagnostics.error(
                "weights shape \(describe(weights.shape)) expects \(inC) input channels but the layer receives \(c)",
                at: weights.location.withPointer(suffix: "/shape"))
            return nil
        }
        guard checkBias(bias, count: outC, what: "output channels", diagnostics: diagnostics) else { return nil }
        let pads: (top: Int, bottom: Int, left: Int, right: Int)
        switch padding {
        case .valid: pads = (0, 0, 0, 0)
        case .same:
            let (padH, padW) = (samePadding(h, kh, stride[0]), samePadding(w, kw, stride[1]))
            pads = (padH / 2, padH - padH / 2, padW / 2, padW - padW / 2)
        case .explicit(let top, let bottom, let left, let right): pads = (top, bottom, left, right)
        }
        let paddedH = h + pads.top + pads.bottom
        let paddedW = w + pads.left + pads.right
        guard paddedH >= kh, paddedW >= kw else {
            diagnostics.error(
                "kernel \(kh)x\(kw) is larger than the padded input \(paddedH)x\(paddedW)", at: raw.location)
            return nil
        }
        let outH = (paddedH - kh) / stride[0] + 1
        let outW = (paddedW - kw) / stride[1] + 1
        let layer = Conv2DLayer(
            inChannels: inC, outChannels: outC, kernel: (kh, kw), stride: (stride[0], stride[1]), padding: pads,
            weights: weights.data, bias: bias?.data ?? Array(repeating: 0, count: outC), activation: activation,
            mask: nil)
        return (.conv2d(layer), [outC, outH, outW])
    case .maxPool2d(let size, let stride), .avgPool2d(let size, let stride):
        guard inputShape.count == 3 else {
            diagnostics.error(
                "pooling expects a [C, H, W] input but receives shape \(describe(inputShape))", at: raw.location)
            return nil
        }
        let strides = stride ?? size
        // The C sums a window in int32: at most 65535 values of 16 bits cannot overflow it.
        guard size[0] * size[1] <= 65_535 else {
            diagnostics.error(
                "pool window \(size[0])x\(size[1]) has more than 65535 elements", at: raw.location.withPointer(suffix: "/size"))
            return nil
        }
        guard inputShape[1] >= size[0], inputShape[2] >= size[1] else {
            diagnostics.error(
                "pool size \(size[0])x\(size[1]) is larger than the input \(inputShape[1])x\(inputShape[2])",
                at: raw.location.withPointer(suffix: "/size"))
            return nil
        }
        let pool = Pool2DLayer(size: (size[0], size[1]), stride: (strides[0], strides[1]))
        let outShape = [
            inputShape[0], (inputShape[1] - size[0]) / strides[0] + 1, (inputShape[2] - size[1]) / strides[1] + 1,
        ]
        if case .maxPool2d = raw.op { return (.maxPool2d(pool), outShape) }
        return (.avgPool2d(pool), outShape)
    case .flatten:
        return (.flatten, [inputShape.reduce(1, *)])
    case .activation(let activation):
        return (.activation(activation), inputShape)
    case .softmax:
        guard inputShape.count == 1 else {
            diagnostics.error(
                "softmax expects a vector input but receives shape \(describe(inputShape))", at: raw.location)
            return nil
        }
        return (.softmax, inputShape)
    case .batchnorm:
        preconditionFailure("batchnorm is folded before shape inference")
    }
}

/// Total padding so that the output has ceil(in / stride) elements (TensorFlow's "same").
private func samePadding(_ size: Int, _ kernel: Int, _ stride: Int) -> Int {
    let out = (size + stride - 1) / stride
    return max((out - 1) * stride + kernel - size, 0)
}

private func checkBias(_ bias: RawTensor?, count: Int, what: String, diagnostics: DiagnosticEngine) -> Bool {
    guard let bias, bias.shape[0] != count else { return true }
    diagnostics.error(
        "bias has \(bias.shape[0]) elements but the layer has \(count) \(what)",
        at: bias.location.withPointer(suffix: "/shape"))
    return false
}
