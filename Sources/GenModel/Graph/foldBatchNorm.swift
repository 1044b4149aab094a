// GenModel/Graph/foldBatchNorm.swift - Folds a batchnorm into the dense or conv2d layer before it.

import GenSupport

/// Replaces `W, b` of the previous layer by `W·s, (b − mean)·s + beta` with `s = gamma / sqrt(var + eps)`
/// per output channel. The previous layer must be a dense or conv2d without a fused activation,
/// otherwise folding would change the function, and that is reported as an error.
func foldBatchNorm(
    _ raw: RawLayer, gamma: RawTensor, beta: RawTensor, mean: RawTensor, variance: RawTensor, epsilon: Double,
    into layers: inout [Layer], diagnostics: DiagnosticEngine
) {
    guard let previous = layers.last else {
        diagnostics.error(
            "batchnorm must directly follow a dense or conv2d layer to be folded, but nothing precedes it",
            at: raw.location)
        return
    }
    let channels: Int
    let activation: Activation
    switch previous.op {
    case .dense(let dense):
        channels = dense.outputs
        activation = dense.activation
    case .conv2d(let conv):
        channels = conv.outChannels
        activation = conv.activation
    case .maxPool2d, .avgPool2d, .flatten, .activation, .softmax:
        diagnostics.error(
            "batchnorm must directly follow a dense or conv2d layer to be folded, but follows \(previous.op.typeName) '\(previous.name)'",
            at: raw.location)
        return
    }
    guard activation == .none else {
        diagnostics.error(
            "batchnorm follows '\(previous.name)', whose activation '\(activation.rawValue)' comes before it; folding needs the activation after the batchnorm",
            at: raw.location)
        return
    }
    for (key, tensor) in [("gamma", gamma), ("beta", beta), ("mean", mean), ("var", variance)]
    where tensor.shape[0] != channels {
        diagnostics.error(
            "\(key) has \(tensor.shape[0]) elements but '\(previous.name)' has \(channels) output channels",
            at: tensor.location.withPointer(suffix: "/shape"))
        return
    }
    let scale = (0..<channels).map { gamma.data[$0] / (variance.data[$0] + epsilon).squareRoot() }
    var layer = previous
    switch previous.op {
    case .dense(var dense):
        for row in 0..<channels {
            for column in 0..<dense.inputs { dense.weights[row * dense.inputs + column] *= scale[row] }
            dense.bias[row] = (dense.bias[row] - mean.data[row]) * scale[row] + beta.data[row]
        }
        layer.op = .dense(dense)
    case .conv2d(var conv):
        let fanIn = conv.fanIn
        for channel in 0..<channels {
            for offset in 0..<fanIn { conv.weights[channel * fanIn + offset] *= scale[channel] }
            conv.bias[channel] = (conv.bias[channel] - mean.data[channel]) * scale[channel] + beta.data[channel]
        }
        layer.op = .conv2d(conv)
    case .maxPool2d, .avgPool2d, .flatten, .activation, .softmax:
        return
    }
    layer.folded.append(raw.name)
    layers[layers.count - 1] = layer
}
