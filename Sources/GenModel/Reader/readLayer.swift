// GenModel/Reader/readLayer.swift - Reads one entry of `layers` into a RawLayer.

import GenSupport

/// The layer types of model.json v1.
let layerTypes = ["dense", "conv2d", "maxpool2d", "avgpool2d", "batchnorm", "flatten", "relu", "relu6", "softmax"]

/// Reads `layers[index]`; returns nil after reporting when the entry cannot be understood.
func readLayer(_ value: JSONValue, index: Int, file: String, diagnostics: DiagnosticEngine) -> RawLayer? {
    let pointer = "/layers/\(index)"
    guard let layer = JSONObjectReader(value, pointer: pointer, file: file, diagnostics: diagnostics) else {
        return nil
    }
    guard let type = layer.requiredString("type") else { return nil }
    let name = layer.optionalString("name") ?? "\(type)\(index)"
    let common = ["type", "name"]
    func activation() -> Activation? {
        guard let text = layer.optionalString("activation") else { return layer.has("activation") ? nil : Activation.none }
        guard let activation = Activation(rawValue: text) else {
            diagnostics.error(
                "unknown activation '\(text)'; expected 'none', 'relu' or 'relu6'", at: layer.location(of: "activation"))
            return nil
        }
        return activation
    }
    func pair(_ key: String, what: String) -> [Int]? {
        layer.integerArray(key, count: 2, range: 1...65_535, what: what)
    }
    let op: RawOp?
    switch type {
    case "dense":
        layer.rejectUnknownKeys(allowed: common + ["weights", "bias", "activation"], context: " for a dense layer")
        let weights = readTensor(layer, key: "weights", required: true, expectedRank: 2, meaning: "[out, in]")
        let bias = readTensor(layer, key: "bias", required: false, expectedRank: 1, meaning: "[out]")
        let act = activation()
        if let weights, let act, layer.has("bias") == (bias != nil) {
            op = .dense(weights: weights, bias: bias, activation: act)
        } else {
            op = nil
        }
    case "conv2d":
        layer.rejectUnknownKeys(
            allowed: common + ["weights", "bias", "stride", "padding", "activation"], context: " for a conv2d layer")
        let weights = readTensor(
            layer, key: "weights", required: true, expectedRank: 4, meaning: "[out_ch, in_ch, kh, kw]")
        let bias = readTensor(layer, key: "bias", required: false, expectedRank: 1, meaning: "[out_ch]")
        let stride = layer.has("stride") ? pair("stride", what: "[sh, sw] with 2 positive elements") : [1, 1]
        let padding = readPadding(layer)
        let act = activation()
        if let weights, let stride, let padding, let act, layer.has("bias") == (bias != nil) {
            op = .conv2d(weights: weights, bias: bias, stride: stride, padding: padding, activation: act)
        } else {
            op = nil
        }
    case "maxpool2d", "avgpool2d":
        layer.rejectUnknownKeys(allowed: common + ["size", "stride"], context: " for a \(type) layer")
        let size: [Int]?
        if layer.required("size", "[ph, pw]") != nil {
            size = pair("size", what: "[ph, pw] with 2 positive elements")
        } else {
            size = nil
        }
        let stride = layer.has("stride") ? pair("stride", what: "[sh, sw] with 2 positive elements") : nil
        if let size, layer.has("stride") == (stride != nil) {
            op = type == "maxpool2d" ? .maxPool2d(size: size, stride: stride) : .avgPool2d(size: size, stride: stride)
        } else {
            op = nil
        }
    case "batchnorm":
        layer.rejectUnknownKeys(
            allowed: common + ["gamma", "beta", "mean", "var", "epsilon"], context: " for a batchnorm layer")
        let gamma = readTensor(layer, key: "gamma", required: true, expectedRank: 1, meaning: "[C]")
        let beta = readTensor(layer, key: "beta", required: true, expectedRank: 1, meaning: "[C]")
        let mean = readTensor(layer, key: "mean", required: true, expectedRank: 1, meaning: "[C]")
        let variance = readTensor(layer, key: "var", required: true, expectedRank: 1, meaning: "[C]")
        var epsilon: Double? = 1e-5
        if let value = layer.member("epsilon") {
            epsilon = layer.number(value, pointer: layer.pointer(of: "epsilon"))
            if let given = epsilon, given <= 0 {
                diagnostics.error("expected a positive epsilon, found \(given)", at: layer.location(of: "epsilon"))
                epsilon = nil
            }
        }
        if let variance {
            for value in variance.data where value < 0 {
                diagnostics.error("variance must not be negative, found \(value)", at: layer.location(of: "var"))
                break
            }
        }
        if let gamma, let beta, let mean, let variance, let epsilon {
            op = .batchnorm(gamma: gamma, beta: beta, mean: mean, variance: variance, epsilon: epsilon)
        } else {
            op = nil
        }
    case "flatten", "relu", "relu6", "softmax":
        layer.rejectUnknownKeys(allowed: common, context: " for a \(type) layer")
        switch type {
        case "flatten": op = .flatten
        case "relu": op = .activation(.relu)
        case "relu6": op = .activation(.relu6)
        default: op = .softmax
        }
    default:
        diagnostics.error(
            "unknown layer type '\(type)'; expected one of \(layerTypes.map { "'\($0)'" }.joined(separator: ", "))",
            at: layer.location(of: "type"))
        op = nil
    }
    guard let op else { return nil }
    return RawLayer(name: name, op: op, location: layer.location, index: index)
}

private func readPadding(_ layer: JSONObjectReader) -> RawPadding? {
    guard let value = layer.member("padding") else { return .valid }
    switch value.kind {
    case .string("valid"): return .valid
    case .string("same"): return .same
    case .array:
        guard
            let pads = layer.integerArray(
                "padding", count: 4, range: 0...65_535, what: "[top, bottom, left, right] with 4 elements")
        else { return nil }
        return .explicit(top: pads[0], bottom: pads[1], left: pads[2], right: pads[3])
    default:
        layer.diagnostics.error(
            "expected \"valid\", \"same\" or [top, bottom, left, right], found \(value.typeDescription == "a string" ? "an unknown string" : value.typeDescription)",
            at: layer.location(of: "padding"))
        return nil
    }
}
