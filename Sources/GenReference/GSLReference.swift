// GenReference/GSLReference.swift - An independent float64 forward pass through GSL's BLAS.
//
// The tests compare the generated C against this, not against the engine's own FloatExecutor,
// so that a shared mistake in the engine cannot hide itself.

import CGSL
import Foundation
import GenModel

/// Float64 inference of a model (normally the `.pruned.json` read back): dense layers by
/// `gsl_blas_dgemv`, convolutions by im2col and `gsl_blas_dgemm`, the rest in plain loops.
package enum GSLReference {
    /// The model's output, or with `stopBeforeSoftmax` the logits before a final softmax.
    package static func run(_ graph: Graph, input: [Double], stopBeforeSoftmax: Bool = false) -> [Double] {
        var x = input
        for layer in graph.layers {
            switch layer.op {
            case .dense(let dense):
                x = applyActivation(dense.activation, multiply(dense, x))
            case .conv2d(let conv):
                x = applyActivation(conv.activation, convolve(conv, x, inShape: layer.inputShape, outShape: layer.outputShape))
            case .maxPool2d(let pool):
                x = pooled(pool, x, inShape: layer.inputShape, outShape: layer.outputShape) { $0.max()! }
            case .avgPool2d(let pool):
                x = pooled(pool, x, inShape: layer.inputShape, outShape: layer.outputShape) {
                    $0.reduce(0, +) / Double($0.count)
                }
            case .flatten:
                break
            case .activation(let activation):
                x = x.map(activation.apply)
            case .softmax:
                if stopBeforeSoftmax { return x }
                let peak = x.max()!
                let e = x.map { exp($0 - peak) }
                let total = e.reduce(0, +)
                x = e.map { $0 / total }
            }
        }
        return x
    }

    private static func applyActivation(_ activation: Activation, _ values: [Double]) -> [Double] {
        values.map(activation.apply)
    }

    private static func multiply(_ layer: DenseLayer, _ x: [Double]) -> [Double] {
        var weights = layer.weights
        if let mask = layer.mask { for i in weights.indices where !mask.kept[i] { weights[i] = 0 } }
        var y = layer.bias
        weights.withUnsafeMutableBufferPointer { w in
            var input = x
            input.withUnsafeMutableBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    var a = gsl_matrix_view_array(w.baseAddress, layer.outputs, layer.inputs)
                    var xv = gsl_vector_view_array(xp.baseAddress, layer.inputs)
                    var yv = gsl_vector_view_array(yp.baseAddress, layer.outputs)
                    gsl_blas_dgemv(CblasNoTrans, 1.0, &a.matrix, &xv.vector, 1.0, &yv.vector)
                }
            }
        }
        return y
    }

    /// im2col: a (C·kh·kw) × (outH·outW) matrix of input taps (zeros in the padding), then W × cols.
    private static func convolve(_ conv: Conv2DLayer, _ x: [Double], inShape: [Int], outShape: [Int]) -> [Double] {
        let (height, width) = (inShape[1], inShape[2])
        let (outH, outW) = (outShape[1], outShape[2])
        let positions = outH * outW
        let fanIn = conv.fanIn
        var columns = [Double](repeating: 0, count: fanIn * positions)
        for ic in 0..<conv.inChannels {
            for ky in 0..<conv.kernel.h {
                for kx in 0..<conv.kernel.w {
                    let row = (ic * conv.kernel.h + ky) * conv.kernel.w + kx
                    for oy in 0..<outH {
                        let iy = oy * conv.stride.h + ky - conv.padding.top
                        guard iy >= 0 && iy < height else { continue }
                        for ox in 0..<outW {
                            let ix = ox * conv.stride.w + kx - conv.padding.left
                            guard ix >= 0 && ix < width else { continue }
                            columns[row * positions + oy * outW + ox] = x[(ic * height + iy) * width + ix]
                        }
                    }
                }
            }
        }
        var weights = conv.weights
        if let mask = conv.mask { for i in weights.indices where !mask.kept[i] { weights[i] = 0 } }
        var y = [Double](repeating: 0, count: conv.outChannels * positions)
        for oc in 0..<conv.outChannels {
            for p in 0..<positions { y[oc * positions + p] = conv.bias[oc] }
        }
        weights.withUnsafeMutableBufferPointer { w in
            columns.withUnsafeMutableBufferPointer { c in
                y.withUnsafeMutableBufferPointer { yp in
                    var a = gsl_matrix_view_array(w.baseAddress, conv.outChannels, fanIn)
                    var b = gsl_matrix_view_array(c.baseAddress, fanIn, positions)
                    var out = gsl_matrix_view_array(yp.baseAddress, conv.outChannels, positions)
                    gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, &a.matrix, &b.matrix, 1.0, &out.matrix)
                }
            }
        }
        return y
    }

    private static func pooled(
        _ pool: Pool2DLayer, _ x: [Double], inShape: [Int], outShape: [Int], reduce: ([Double]) -> Double
    ) -> [Double] {
        var y: [Double] = []
        for c in 0..<inShape[0] {
            for oy in 0..<outShape[1] {
                for ox in 0..<outShape[2] {
                    var window: [Double] = []
                    for ky in 0..<pool.size.h {
                        for kx in 0..<pool.size.w {
                            window.append(x[(c * inShape[1] + oy * pool.stride.h + ky) * inShape[2] + ox * pool.stride.w + kx])
                        }
                    }
                    y.append(reduce(window))
                }
            }
        }
        return y
    }
}
