// GenLearn/Network.swift - A graph's trainable form: parameters, masks and per-layer geometry.

import GenModel

/// One layer of the trainable network. Dense and conv2d carry their parameters; standalone
/// activations, pools and flatten carry their geometry; a final softmax is folded into the loss.
enum TrainLayer {
    case dense(inputs: Int, outputs: Int, activation: Activation, parameter: Int)
    case conv2d(Conv2DLayer, inShape: [Int], outShape: [Int], parameter: Int)
    case maxPool2d(Pool2DLayer, inShape: [Int], outShape: [Int])
    case avgPool2d(Pool2DLayer, inShape: [Int], outShape: [Int])
    case activation(Activation)
    case identity
}

/// Weights and bias of one dense/conv2d layer, with the pruning mask that must stay applied.
struct Parameters {
    var weights: [Double]
    var bias: [Double]
    /// true where a weight may be non-zero; nil when unpruned.
    var kept: [Bool]?

    mutating func applyMask() {
        guard let kept else { return }
        for index in weights.indices where !kept[index] { weights[index] = 0 }
    }
}

/// The trainable network built from a graph; `graph(updating:)` writes the trained values back.
struct Network {
    var layers: [TrainLayer]
    var parameters: [Parameters]
    /// Index in `Graph.layers` of each parameter set.
    var parameterLayers: [Int]
    /// The BLAS of the forward and backward passes.
    var matrixMultiply: MatrixMultiply

    init(_ graph: Graph, matrixMultiply: MatrixMultiply = .gsl) {
        self.matrixMultiply = matrixMultiply
        layers = []
        parameters = []
        parameterLayers = []
        for (index, layer) in graph.layers.enumerated() {
            switch layer.op {
            case .dense(let dense):
                layers.append(.dense(inputs: dense.inputs, outputs: dense.outputs, activation: dense.activation,
                    parameter: parameters.count))
                parameters.append(Parameters(weights: dense.weights, bias: dense.bias, kept: dense.mask?.kept))
                parameterLayers.append(index)
            case .conv2d(let conv):
                layers.append(.conv2d(conv, inShape: layer.inputShape, outShape: layer.outputShape, parameter: parameters.count))
                parameters.append(Parameters(weights: conv.weights, bias: conv.bias, kept: conv.mask?.kept))
                parameterLayers.append(index)
            case .maxPool2d(let pool):
                layers.append(.maxPool2d(pool, inShape: layer.inputShape, outShape: layer.outputShape))
            case .avgPool2d(let pool):
                layers.append(.avgPool2d(pool, inShape: layer.inputShape, outShape: layer.outputShape))
            case .activation(let activation):
                layers.append(.activation(activation))
            case .flatten, .softmax:
                // softmax is part of the loss (cross-entropy on the logits).
                layers.append(.identity)
            }
        }
        for index in parameters.indices { parameters[index].applyMask() }
    }

    /// The graph with the trained weights and biases (masks unchanged).
    func graph(updating graph: Graph) -> Graph {
        var result = graph
        for (parameter, layerIndex) in zip(parameters, parameterLayers) {
            result.setParameters(ofLayer: layerIndex, weights: parameter.weights, bias: parameter.bias)
        }
        return result
    }
}
