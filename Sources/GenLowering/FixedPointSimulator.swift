// GenLowering/FixedPointSimulator.swift - Executes a Program in Swift exactly as the generated C does.

import GenSupport

/// The bit-exact reference of the generated C: same tables, same loops, same memory plan (tensors
/// really share the simulated arena), same rounding and saturation through `FixedPoint`.
package struct FixedPointSimulator {
    package let program: Program

    package init(_ program: Program) { self.program = program }

    /// Runs `<name>_infer` on one integer input vector and returns the integer outputs.
    package func run(_ input: [Int64]) -> [Int64] {
        precondition(input.count == program.inputSize, "input has \(input.count) elements")
        var memory = Memory(
            input: input, output: [Int64](repeating: 0, count: program.outputSize),
            arena: [Int64](repeating: 0, count: program.arenaElements),
            pingPong: program.pingPongElements.map { [Int64](repeating: 0, count: $0) })
        for step in program.steps {
            let source = memory.read(step.input)
            let result: [Int64]
            switch step.kind {
            case .dense(let dense): result = runDense(dense.data, source)
            case .conv2d(let conv):
                // A fused max pool (`ConvStep.pool`): the C takes the largest of each window's four sums and
                // requantizes it once; requantizing never reverses an order (a floor shift and a clamp), so
                // that is the pool of the requantized outputs, which this computes.
                let outputs = runConv(conv, source)
                result = conv.pool.map { runPool($0, outputs, average: false) } ?? outputs
            case .maxPool2d(let pool): result = runPool(pool, source, average: false)
            case .avgPool2d(let pool): result = runPool(pool, source, average: true)
            case .clamp(let clamp): result = source.map { min(max($0, clamp.clamp.lowerBound), clamp.clamp.upperBound) }
            }
            memory.write(result, to: step.output)
        }
        return memory.output
    }

    /// Quantizes a real input vector as `<name>_infer_f32` does.
    package func quantizeInput(_ real: [Double]) -> [Int64] {
        let format = program.quantized.input
        return real.map { FixedPoint.quantize($0, fracBits: format.frac, bits: format.bits) }
    }

    private func requantize(_ acc: Int64, _ data: WeightedStepData, row: Int) -> Int64 {
        data.requantize(acc, row: row)
    }

    /// Accumulates with the accumulator's width: int32 wraps exactly like C would (the bound
    /// analysis guarantees it never does), so a wrong bound shows up as a mismatch, not a crash.
    private func accumulate(_ acc: Int64, _ product: Int64, _ data: WeightedStepData) -> Int64 {
        let sum = acc &+ product
        return data.accumulator == .int32 ? Int64(Int32(truncatingIfNeeded: sum)) : sum
    }

    /// Calls `body(weight, fanInPosition)` for each stored weight of `row`, in the order the C loops
    /// visit them: all of the fan-in when dense; group by group, then the tail, when k-of-n.
    private func forEachWeight(_ data: WeightedStepData, row: Int, _ body: (Int64, Int) -> Void) {
        if let darb = data.darb {
            let (group, position) = darb.rowLocation[row]
            let rows = darb.groups[group]
            for block in 0..<rows.blocksPerRow {
                let offset = rows.offsets.map { Int($0.values[position * rows.blocksPerRow + block]) } ?? 0
                body(rows.weights.values[position * rows.blocksPerRow + block], block * rows.blockSize + offset)
            }
            return
        }
        if let kernels = data.kernelSparse {
            let stored = data.weights.shape[1]
            let area = stored / kernels.keptPerRow
            for j in 0..<kernels.keptPerRow {
                let channel = Int(kernels.channels.values[row * kernels.keptPerRow + j])
                for offset in 0..<area {
                    body(data.weights.values[row * stored + j * area + offset], channel * area + offset)
                }
            }
            return
        }
        if let shared = data.sharedSparse {
            let set = shared.set(ofRow: row)
            for j in 0..<shared.keptPerRow {
                body(
                    data.weights.values[row * shared.keptPerRow + j],
                    Int(shared.inputs.values[set * shared.keptPerRow + j]))
            }
            return
        }
        guard let sparse = data.sparse else {
            for position in 0..<data.fanIn { body(data.weights.values[row * data.fanIn + position], position) }
            return
        }
        let base = row * sparse.keptPerRow
        for j in 0..<sparse.keptPerRow {
            let group = j < sparse.fullGroups * sparse.k ? j / sparse.k : sparse.fullGroups
            body(data.weights.values[base + j], group * sparse.n + Int(sparse.indices.values[base + j]))
        }
    }

    private func runDense(_ data: WeightedStepData, _ x: [Int64]) -> [Int64] {
        (0..<data.rows).map { row in
            var acc = data.bias.values[row]
            forEachWeight(data, row: row) { weight, position in acc = accumulate(acc, weight * x[position], data) }
            return requantize(acc, data, row: row)
        } + data.constantOutputs.map(\.value)
    }

    private func runConv(_ conv: ConvStep, _ x: [Int64]) -> [Int64] {
        let data = conv.data
        let kernelArea = conv.kernelHeight * conv.kernelWidth
        var out = [Int64](repeating: 0, count: data.rows * conv.outHeight * conv.outWidth)
        for oc in 0..<data.rows {
            for oy in 0..<conv.outHeight {
                for ox in 0..<conv.outWidth {
                    var acc = data.bias.values[oc]
                    forEachWeight(data, row: oc) { weight, f in
                        // Fan-in position f = (channel * kh + ky) * kw + kx; padding taps read zero.
                        let channel = f / kernelArea
                        let iy = oy * conv.strideHeight + (f % kernelArea) / conv.kernelWidth - conv.padTop
                        let ix = ox * conv.strideWidth + f % conv.kernelWidth - conv.padLeft
                        if iy >= 0 && iy < conv.inHeight && ix >= 0 && ix < conv.inWidth {
                            acc = accumulate(acc, weight * x[(channel * conv.inHeight + iy) * conv.inWidth + ix], data)
                        }
                    }
                    out[(oc * conv.outHeight + oy) * conv.outWidth + ox] = requantize(acc, data, row: oc)
                }
            }
        }
        // Output channels proven constant, after the computed ones (`removeConstantChannels`).
        return out + data.constantOutputs.flatMap { [Int64](repeating: $0.value, count: conv.outHeight * conv.outWidth) }
    }

    private func runPool(_ pool: PoolStep, _ x: [Int64], average: Bool) -> [Int64] {
        var out = [Int64](repeating: 0, count: pool.channels * pool.outHeight * pool.outWidth)
        let count = Int64(pool.sizeHeight * pool.sizeWidth)
        for c in 0..<pool.channels {
            for oy in 0..<pool.outHeight {
                for ox in 0..<pool.outWidth {
                    var sum: Int64 = 0
                    var best = Int64.min
                    for ky in 0..<pool.sizeHeight {
                        for kx in 0..<pool.sizeWidth {
                            let v = x[(c * pool.inHeight + oy * pool.strideHeight + ky) * pool.inWidth
                                + ox * pool.strideWidth + kx]
                            sum += v
                            best = max(best, v)
                        }
                    }
                    out[(c * pool.outHeight + oy) * pool.outWidth + ox] =
                        average ? FixedPoint.roundedAverage(sum: sum, count: count) : best
                }
            }
        }
        return out
    }
}

/// The simulated memory: caller's input and output arrays, and the arena or ping-pong buffers.
private struct Memory {
    var input: [Int64]
    var output: [Int64]
    var arena: [Int64]
    var pingPong: [[Int64]]

    func read(_ ref: BufferRef) -> [Int64] {
        switch ref.location {
        case .input: return Array(input.prefix(ref.count))
        case .output: return Array(output.prefix(ref.count))
        case .arena(let offset): return Array(arena[offset..<offset + ref.count])
        case .pingPong(let buffer): return Array(pingPong[buffer].prefix(ref.count))
        }
    }

    mutating func write(_ values: [Int64], to ref: BufferRef) {
        switch ref.location {
        case .input: preconditionFailure("a step never writes the caller's input")
        case .output: output.replaceSubrange(0..<values.count, with: values)
        case .arena(let offset): arena.replaceSubrange(offset..<offset + values.count, with: values)
        case .pingPong(let buffer): pingPong[buffer].replaceSubrange(0..<values.count, with: values)
        }
    }
}
