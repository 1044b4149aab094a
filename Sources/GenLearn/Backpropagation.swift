// GenLearn/Backpropagation.swift - Forward and backward passes over a mini-batch, matrix work through BLAS.

import CGSL
import GenModel

/// What the forward pass keeps for the backward pass: every layer's input, the pre-activation of
/// fused activations, the winning positions of max pooling and the im2col matrices of convolutions.
struct ForwardCache {
    var inputs: [[Double]] = []
    var preActivations: [[Double]?] = []
    var argmax: [[Int]?] = []
    var columns: [[[Double]]?] = []
}

/// Gradients of the loss with respect to every parameter set.
struct Gradients {
    var weights: [[Double]]
    var bias: [[Double]]
}

extension Network {
    /// Runs a batch (`batch` rows of `inputSize` values, row-major) and returns the logits.
    func forward(_ input: [Double], batch: Int, cache: inout ForwardCache) -> [Double] {
        var x = input
        cache = ForwardCache()
        for layer in layers {
            cache.inputs.append(x)
            var pre: [Double]?
            var winners: [Int]?
            var columns: [[Double]]?
            switch layer {
            case .dense(let inputs, let outputs, let activation, let index):
                var y = [Double](repeating: 0, count: batch * outputs)
                let p = parameters[index]
                // Y[B×out] = X[B×in] · Wᵀ
                matrixMultiply.dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(batch), Int32(outputs), Int32(inputs), 1,
                    x, Int32(inputs), p.weights, Int32(inputs), 0, &y, Int32(outputs))
                for row in 0..<batch { for o in 0..<outputs { y[row * outputs + o] += p.bias[o] } }
                if activation != .none { pre = y }
                x = y.map(activation.apply)
            case .conv2d(let conv, let inShape, let outShape, let index):
                let p = parameters[index]
                let positions = outShape[1] * outShape[2]
                let inSize = inShape.reduce(1, *)
                var y = [Double](repeating: 0, count: batch * conv.outChannels * positions)
                var sampleColumns: [[Double]] = []
                for sample in 0..<batch {
                    let cols = im2col(conv, Array(x[(sample * inSize)..<((sample + 1) * inSize)]), inShape: inShape, outShape: outShape)
                    var out = [Double](repeating: 0, count: conv.outChannels * positions)
                    matrixMultiply.dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(conv.outChannels), Int32(positions),
                        Int32(conv.fanIn), 1, p.weights, Int32(conv.fanIn), cols, Int32(positions), 0, &out, Int32(positions))
                    for oc in 0..<conv.outChannels {
                        for position in 0..<positions {
                            y[sample * conv.outChannels * positions + oc * positions + position] = out[oc * positions + position] + p.bias[oc]
                        }
                    }
                    sampleColumns.append(cols)
                }
                columns = sampleColumns
                if conv.activation != .none { pre = y }
                x = y.map(conv.activation.apply)
            case .maxPool2d(let pool, let inShape, let outShape):
                (x, winners) = maxPool(pool, x, batch: batch, inShape: inShape, outShape: outShape)
            case .avgPool2d(let pool, let inShape, let outShape):
                x = avgPool(pool, x, batch: batch, inShape: inShape, outShape: outShape)
            case .activation(let activation):
                pre = x
                x = x.map(activation.apply)
            case .identity:
                break
            }
            cache.preActivations.append(pre)
            cache.argmax.append(winners)
            cache.columns.append(columns)
        }
        return x
    }

    /// Backpropagates `gradient` (dLoss/dLogits, batch × outputs) through the cached forward pass.
    func backward(_ gradient: [Double], batch: Int, cache: ForwardCache) -> Gradients {
        var grads = Gradients(
            weights: parameters.map { [Double](repeating: 0, count: $0.weights.count) },
            bias: parameters.map { [Double](repeating: 0, count: $0.bias.count) })
        var dy = gradient
        for (position, layer) in layers.enumerated().reversed() {
            let x = cache.inputs[position]
            switch layer {
            case .dense(let inputs, let outputs, let activation, let index):
                if let pre = cache.preActivations[position] { dy = activationGradient(activation, pre, dy) }
                let p = parameters[index]
                // dW[out×in] = dYᵀ · X ; db = Σ dY ; dX[B×in] = dY · W
                matrixMultiply.dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(outputs), Int32(inputs), Int32(batch), 1,
                    dy, Int32(outputs), x, Int32(inputs), 0, &grads.weights[index], Int32(inputs))
                for row in 0..<batch { for o in 0..<outputs { grads.bias[index][o] += dy[row * outputs + o] } }
                var dx = [Double](repeating: 0, count: batch * inputs)
                matrixMultiply.dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(batch), Int32(inputs), Int32(outputs), 1,
                    dy, Int32(outputs), p.weights, Int32(inputs), 0, &dx, Int32(inputs))
                dy = dx
            case .conv2d(let conv, let inShape, let outShape, let index):
                if let pre = cache.preActivations[position] { dy = activationGradient(conv.activation, pre, dy) }
                let p = parameters[index]
                let positions = outShape[1] * outShape[2]
                let inSize = inShape.reduce(1, *)
                var dx = [Double](repeating: 0, count: batch * inSize)
                let columns = cache.columns[position]!
                for sample in 0..<batch {
                    let dySample = Array(dy[(sample * conv.outChannels * positions)..<((sample + 1) * conv.outChannels * positions)])
                    // dW += dY_s[oc×P] · colsᵀ ; dcols = Wᵀ · dY_s
                    matrixMultiply.dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(conv.outChannels), Int32(conv.fanIn),
                        Int32(positions), 1, dySample, Int32(positions), columns[sample], Int32(positions), 1,
                        &grads.weights[index], Int32(conv.fanIn))
                    for oc in 0..<conv.outChannels {
                        for q in 0..<positions { grads.bias[index][oc] += dySample[oc * positions + q] }
                    }
                    var dcols = [Double](repeating: 0, count: conv.fanIn * positions)
                    matrixMultiply.dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(conv.fanIn), Int32(positions),
                        Int32(conv.outChannels), 1, p.weights, Int32(conv.fanIn), dySample, Int32(positions), 0, &dcols,
                        Int32(positions))
                    col2imAdd(conv, dcols, into: &dx, offset: sample * inSize, inShape: inShape, outShape: outShape)
                }
                dy = dx
            case .maxPool2d(_, let inShape, _):
                var dx = [Double](repeating: 0, count: batch * inShape.reduce(1, *))
                for (outIndex, inIndex) in cache.argmax[position]!.enumerated() { dx[inIndex] += dy[outIndex] }
                dy = dx
            case .avgPool2d(let pool, let inShape, let outShape):
                dy = avgPoolGradient(pool, dy, batch: batch, inShape: inShape, outShape: outShape)
            case .activation(let activation):
                dy = activationGradient(activation, cache.preActivations[position]!, dy)
            case .identity:
                break
            }
        }
        for index in parameters.indices {
            if let kept = parameters[index].kept {
                for w in kept.indices where !kept[w] { grads.weights[index][w] = 0 }
            }
        }
        return grads
    }
}

/// dL/dx of an activation from its input `pre` (relu6's gradient is zero where it clips).
func activationGradient(_ activation: Activation, _ pre: [Double], _ dy: [Double]) -> [Double] {
    switch activation {
    case .none: return dy
    case .relu: return zip(pre, dy).map { $0 > 0 ? $1 : 0 }
    case .relu6: return zip(pre, dy).map { $0 > 0 && $0 < 6 ? $1 : 0 }
    }
}

/// Calls `body(columnIndex, inputIndex)` for every tap of the convolution that reads the input (not
/// the padding): `columnIndex` indexes the (C·kh·kw) × (outH·outW) im2col matrix, `inputIndex` the input.
private func forEachTap(_ conv: Conv2DLayer, inShape: [Int], outShape: [Int], _ body: (Int, Int) -> Void) {
    let (height, width) = (inShape[1], inShape[2])
    let (outH, outW) = (outShape[1], outShape[2])
    let positions = outH * outW
    for ic in 0..<conv.inChannels {
        for ky in 0..<conv.kernel.h {
            for kx in 0..<conv.kernel.w {
                let row = (ic * conv.kernel.h + ky) * conv.kernel.w + kx
                for oy in 0..<outH {
                    let iy = oy * conv.stride.h + ky - conv.padding.top
                    if iy < 0 || iy >= height { continue }
                    for ox in 0..<outW {
                        let ix = ox * conv.stride.w + kx - conv.padding.left
                        if ix < 0 || ix >= width { continue }
                        body(row * positions + oy * outW + ox, (ic * height + iy) * width + ix)
                    }
                }
            }
        }
    }
}

/// The (C·kh·kw) × (outH·outW) matrix of input taps of one sample, zeros in the padding.
func im2col(_ conv: Conv2DLayer, _ x: [Double], inShape: [Int], outShape: [Int]) -> [Double] {
    var columns = [Double](repeating: 0, count: conv.fanIn * outShape[1] * outShape[2])
    forEachTap(conv, inShape: inShape, outShape: outShape) { column, input in columns[column] = x[input] }
    return columns
}

/// Adds the column gradients back onto the input positions they were read from.
func col2imAdd(_ conv: Conv2DLayer, _ columns: [Double], into dx: inout [Double], offset: Int, inShape: [Int], outShape: [Int]) {
    forEachTap(conv, inShape: inShape, outShape: outShape) { column, input in dx[offset + input] += columns[column] }
}

func maxPool(_ pool: Pool2DLayer, _ x: [Double], batch: Int, inShape: [Int], outShape: [Int]) -> ([Double], [Int]) {
    let (channels, height, width) = (inShape[0], inShape[1], inShape[2])
    let (outH, outW) = (outShape[1], outShape[2])
    var y: [Double] = []
    var winners: [Int] = []
    y.reserveCapacity(batch * channels * outH * outW)
    for sample in 0..<batch {
        let base = sample * channels * height * width
        for c in 0..<channels {
            for oy in 0..<outH {
                for ox in 0..<outW {
                    var best = -Double.infinity
                    var where_ = 0
                    for ky in 0..<pool.size.h {
                        for kx in 0..<pool.size.w {
                            let index = base + (c * height + oy * pool.stride.h + ky) * width + ox * pool.stride.w + kx
                            if x[index] > best {
                                best = x[index]
                                where_ = index
                            }
                        }
                    }
                    y.append(best)
                    winners.append(where_)
                }
            }
        }
    }
    return (y, winners)
}

func avgPool(_ pool: Pool2DLayer, _ x: [Double], batch: Int, inShape: [Int], outShape: [Int]) -> [Double] {
    let (channels, height, width) = (inShape[0], inShape[1], inShape[2])
    let (outH, outW) = (outShape[1], outShape[2])
    let count = Double(pool.size.h * pool.size.w)
    var y: [Double] = []
    for sample in 0..<batch {
        let base = sample * channels * height * width
        for c in 0..<channels {
            for oy in 0..<outH {
                for ox in 0..<outW {
                    var sum = 0.0
                    for ky in 0..<pool.size.h {
                        for kx in 0..<pool.size.w {
                            sum += x[base + (c * height + oy * pool.stride.h + ky) * width + ox * pool.stride.w + kx]
                        }
                    }
                    y.append(sum / count)
                }
            }
        }
    }
    return y
}

func avgPoolGradient(_ pool: Pool2DLayer, _ dy: [Double], batch: Int, inShape: [Int], outShape: [Int]) -> [Double] {
    let (channels, height, width) = (inShape[0], inShape[1], inShape[2])
    let (outH, outW) = (outShape[1], outShape[2])
    let count = Double(pool.size.h * pool.size.w)
    var dx = [Double](repeating: 0, count: batch * channels * height * width)
    var index = 0
    for sample in 0..<batch {
        let base = sample * channels * height * width
        for c in 0..<channels {
            for oy in 0..<outH {
                for ox in 0..<outW {
                    let share = dy[index] / count
                    index += 1
                    for ky in 0..<pool.size.h {
                        for kx in 0..<pool.size.w {
                            dx[base + (c * height + oy * pool.stride.h + ky) * width + ox * pool.stride.w + kx] += share
                        }
                    }
                }
            }
        }
    }
    return dx
}
