// GenCompress/fuseActivations.swift - Moves standalone relu/relu6 into the dense/conv2d that produces their input.

import GenModel

/// Fuses each standalone activation into the nearest preceding dense or conv2d when only flattens
/// lie between them (an elementwise activation commutes with a flatten). Other standalone
/// activations stay and are lowered as clamps. The function computed is unchanged.
package func fuseActivations(_ graph: Graph) -> Graph {
    var result = graph
    var layers: [Layer] = []
    for layer in graph.layers {
        guard case .activation(let activation) = layer.op else {
            layers.append(layer)
            continue
        }
        var target = layers.count - 1
        while target >= 0, case .flatten = layers[target].op { target -= 1 }
        guard target >= 0 else {
            layers.append(layer)
            continue
        }
        switch layers[target].op {
        case .dense(var dense):
            dense.activation = dense.activation.followed(by: activation)
            layers[target].op = .dense(dense)
            layers[target].folded.append(layer.name)
        case .conv2d(var conv):
            conv.activation = conv.activation.followed(by: activation)
            layers[target].op = .conv2d(conv)
            layers[target].folded.append(layer.name)
        case .maxPool2d, .avgPool2d, .flatten, .activation, .softmax:
            layers.append(layer)
        }
    }
    result.layers = layers
    return result
}
