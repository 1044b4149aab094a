// GenModel/Execution/FloatExecutor.swift - The float64 forward pass used for calibration.
//
// Plain loops on purpose: this is the engine's own executor (calibration, accuracy figures);
// the tests check it and the generated C against the independent GSL reference in GenReference.

import Foundation

/// Runs a graph in float64, layer by layer, with masks applied.
package enum FloatExecutor {
    /// Every layer's output for one input (index i holds layer i's output); the input is not included.
    package static func activations(of graph: Graph, input: [Double]) -> [[Double]] {
        var outputs: [[Double]] = []
        var current = input
        for layer in graph.layers {
            current = run(layer, current)
            outputs.append(current)
        }
        return outputs
    }

    /// The network's output (after softmax, when the model ends in one).
    package static func run(_ graph: Graph, input: [Double]) -> [Double] {
        activations(of: graph, input: input).last ?? input
    }

    package static func run(_ layer: Layer, _ input: [Double]) -> [Double] {
        switch layer.op {
        case .dense(let dense):
            var out = [Double](repeating: 0, count: dense.outputs)
            dense.weights.withUnsafeBufferPointer { weights in
                input.withUnsafeBufferPointer { x in
                    for row in 0..<dense.outputs {
                        var sum = dense.bias[row]
                        let base = row * dense.inputs
                        if let mask = dense.mask {
                            for column in 0..<dense.inputs where mask.kept[base + column] {
                                sum += weights[base + column] * x[column]
                            }
                        } else {
                            for column in 0..<dense.inputs { sum += weights[base + column] * x[column] }
                        }
                        out[row] = dense.activation.apply(sum)
                    }
                }
            }
            return out
        case .conv2d(let conv):
            return convolve(conv, input, inputShape: layer.inputShape, outputShape: layer.outputShape)
        case .maxPool2d(let pool):
            return pooled(pool, input, inputShape: layer.inputShape, outputShape: layer.outputShape) { $0.max()! }
        case .avgPool2d(let pool):
            return pooled(pool, input, inputShape: layer.inputShape, outputShape: layer.outputShape) {
                $0.reduce(0, +) / Double($0.count)
            }
        case .flatten:
            return input
        case .activation(let activation):
            return input.map(activation.apply)
        case .softmax:
            let peak = input.max() ?? 0
            let exps = input.map { Foundation.exp($0 - peak) }
            let total = exps.reduce(0, +)
            return exps.map { $0 / total }
        }
    }

    private static func convolve(_ conv: Conv2DLayer, _ input: [Double], inputShape: [Int], outputShape: [Int])
        -> [Double]
    {
        let (height, width) = (inputShape[1], inputShape[2])
        let (outH, outW) = (outputShape[1], outputShape[2])
        let fanIn = conv.fanIn
        var out = [Double](repeating: 0, count: conv.outChannels * outH * outW)
        for oc in 0..<conv.outChannels {
            for oy in 0..<outH {
                for ox in 0..<outW {
                    var sum = conv.bias[oc]
                    for ic in 0..<conv.inChannels {
                        for ky in 0..<conv.kernel.h {
                            let iy = oy * conv.stride.h + ky - conv.padding.top
                            if iy < 0 || iy >= height { continue }
                            for kx in 0..<conv.kernel.w {
                                let ix = ox * conv.stride.w + kx - conv.padding.left
                                if ix < 0 || ix >= width { continue }
                                let w = oc * fanIn + (ic * conv.kernel.h + ky) * conv.kernel.w + kx
                                if let mask = conv.mask, !mask.kept[w] { continue }
                                sum += conv.weights[w] * input[(ic * height + iy) * width + ix]
                            }
                        }
                    }
                    out[(oc * outH + oy) * outW + ox] = conv.activation.apply(sum)
                }
            }
        }
        return out
    }

    private static func pooled(
        _ pool: Pool2DLayer, _ input: [Double], inputShape: [Int], outputShape: [Int], reduce: ([Double]) -> Double
    ) -> [Double] {
        let (channels, height, width) = (inputShape[0], inputShape[1], inputShape[2])
        let (outH, outW) = (outputShape[1], outputShape[2])
        var out = [Double](repeating: 0, count: channels * outH * outW)
        var window = [Double]()
        window.reserveCapacity(pool.size.h * pool.size.w)
        for c in 0..<channels {
            for oy in 0..<outH {
                for ox in 0..<outW {
                    window.removeAll(keepingCapacity: true)
                    for ky in 0..<pool.size.h {
                        for kx in 0..<pool.size.w {
                            let iy = oy * pool.stride.h + ky
                            let ix = ox * pool.stride.w + kx
                            window.append(input[(c * height + iy) * width + ix])
                        }
                    }
                    out[(c * outH + oy) * outW + ox] = reduce(window)
                }
            }
        }
        return out
    }
}

