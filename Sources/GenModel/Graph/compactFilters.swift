// GenModel/Graph/compactFilters.swift - Removes output channels from layers, and their inputs downstream.

/// Indices of the dense/conv2d layers whose filters may be pruned: all but the last one.
package func prunableFilterLayers(_ graph: Graph) -> [Int] {
    let weighted = graph.layers.indices.filter { graph.layers[$0].op.weightMatrix != nil }
    return Array(weighted.dropLast())
}

/// Removes, from each layer named in `kept`, every output channel not listed (ascending indices),
/// with its bias, and the matching inputs of the layers up to and including the next dense/conv2d.
package func compactFilters(_ graph: Graph, kept keptByLayer: [Int: [Int]]) -> Graph {
    var result = graph
    // Channels of the tensor flowing between layers that survive (nil: all of them).
    var surviving: [Int]?
    var channelsNow = graph.inputShape.count == 3 ? graph.inputShape[0] : graph.inputSize
    for index in result.layers.indices {
        var layer = result.layers[index]
        let inShape = layer.inputShape
        let weightsBefore: Int?
        switch layer.op {
        case .dense(let dense): weightsBefore = dense.weights.count
        case .conv2d(let conv): weightsBefore = conv.weights.count
        case .maxPool2d, .avgPool2d, .flatten, .activation, .softmax: weightsBefore = nil
        }
        let inputsCompacted = surviving != nil
        // 1. Drop the inputs that belong to removed channels.
        if let kept = surviving {
            switch layer.op {
            case .dense(var dense):
                // The input is a vector: channels of a flattened [C, H, W] tensor, or a dense layer's outputs.
                let perChannel = dense.inputs / channelsNow
                let columns = kept.flatMap { c in Array((c * perChannel)..<((c + 1) * perChannel)) }
                var sliced: [Double] = []
                sliced.reserveCapacity(dense.outputs * columns.count)
                for row in 0..<dense.outputs {
                    for column in columns { sliced.append(dense.weights[row * dense.inputs + column]) }
                }
                dense.weights = sliced
                dense.inputs = columns.count
                layer.op = .dense(dense)
                layer.inputShape = [columns.count]
            case .conv2d(var conv):
                let area = conv.kernel.h * conv.kernel.w
                var sliced: [Double] = []
                sliced.reserveCapacity(conv.outChannels * kept.count * area)
                for oc in 0..<conv.outChannels {
                    for ic in kept {
                        let start = (oc * conv.inChannels + ic) * area
                        sliced.append(contentsOf: conv.weights[start..<(start + area)])
                    }
                }
                conv.weights = sliced
                conv.inChannels = kept.count
                layer.op = .conv2d(conv)
                layer.inputShape = [kept.count] + Array(inShape.dropFirst())
            case .maxPool2d, .avgPool2d, .activation, .softmax:
                layer.inputShape = [kept.count] + Array(inShape.dropFirst())
                layer.outputShape = [kept.count] + Array(layer.outputShape.dropFirst())
            case .flatten:
                layer.inputShape = [kept.count] + Array(inShape.dropFirst())
                layer.outputShape = [layer.inputShape.reduce(1, *)]
            }
        }
        // 2. Remove this layer's own dropped filters.
        switch layer.op {
        case .dense(var dense) where keptByLayer[index] != nil:
            let kept = keptByLayer[index]!
            dense.weights = kept.flatMap { Array(dense.weights[($0 * dense.inputs)..<(($0 + 1) * dense.inputs)]) }
            dense.bias = kept.map { dense.bias[$0] }
            // The first compaction's count is the one reports compare against; the next layer's
            // inputs are sliced by the count in this graph.
            layer.channelsBeforeCompaction = layer.channelsBeforeCompaction ?? dense.outputs
            channelsNow = dense.outputs
            dense.outputs = kept.count
            layer.op = .dense(dense)
            layer.outputShape = [kept.count]
            surviving = kept
        case .conv2d(var conv) where keptByLayer[index] != nil:
            let kept = keptByLayer[index]!
            conv.weights = kept.flatMap { Array(conv.weights[($0 * conv.fanIn)..<(($0 + 1) * conv.fanIn)]) }
            conv.bias = kept.map { conv.bias[$0] }
            layer.channelsBeforeCompaction = layer.channelsBeforeCompaction ?? conv.outChannels
            channelsNow = conv.outChannels
            conv.outChannels = kept.count
            layer.op = .conv2d(conv)
            layer.outputShape = [kept.count] + Array(layer.outputShape.dropFirst())
            surviving = kept
        case .dense, .conv2d:
            surviving = nil
        case .maxPool2d, .avgPool2d, .flatten, .activation, .softmax:
            break
        }
        if let weightsBefore, inputsCompacted || keptByLayer[index] != nil {
            layer.weightsBeforeCompaction = layer.weightsBeforeCompaction ?? weightsBefore
        }
        result.layers[index] = layer
    }
    return result
}

