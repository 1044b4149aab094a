// GenModel/Graph/writeModelJSON.swift - Writes a Graph back as model.json v1 (the `.pruned.json` file).

import GenSupport

/// The graph as a model.json v1 document: batchnorm already folded, masked weights as zeros,
/// padding explicit. Reading it back gives the same graph (without masks).
package func writeModelJSON(_ graph: Graph, name: String) -> String {
    var input: [(String, JSONValue)] = [("shape", .ints(graph.inputShape))]
    input.append(("range", .numbers([graph.inputRange.low, graph.inputRange.high])))
    var top: [(String, JSONValue)] = [
        ("version", .int(1)), ("name", .str(name)), ("input", .obj(input)),
        ("layers", .arr(graph.layers.map(layerJSON))),
    ]
    if let labels = graph.labels { top.append(("labels", .arr(labels.map { .str($0) }))) }
    if let metadata = graph.metadata { top.append(("metadata", metadata)) }
    return JSONWriter.write(.obj(top))
}

private func tensor(_ shape: [Int], _ data: [Double]) -> JSONValue {
    .obj([("shape", .ints(shape)), ("data", .numbers(data))])
}

private func masked(_ weights: [Double], _ mask: KeepMask?) -> [Double] {
    guard let mask else { return weights }
    return zip(weights, mask.kept).map { $1 ? $0 : 0 }
}

private func layerJSON(_ layer: Layer) -> JSONValue {
    var members: [(String, JSONValue)] = [("type", .str(layer.op.typeName)), ("name", .str(layer.name))]
    switch layer.op {
    case .dense(let dense):
        members += [
            ("activation", .str(dense.activation.rawValue)),
            ("weights", tensor([dense.outputs, dense.inputs], masked(dense.weights, dense.mask))),
            ("bias", tensor([dense.outputs], dense.bias)),
        ]
    case .conv2d(let conv):
        let pad = conv.padding
        members += [
            ("activation", .str(conv.activation.rawValue)),
            ("stride", .ints([conv.stride.h, conv.stride.w])),
            ("padding", .ints([pad.top, pad.bottom, pad.left, pad.right])),
            (
                "weights",
                tensor([conv.outChannels, conv.inChannels, conv.kernel.h, conv.kernel.w], masked(conv.weights, conv.mask))
            ),
            ("bias", tensor([conv.outChannels], conv.bias)),
        ]
    case .maxPool2d(let pool), .avgPool2d(let pool):
        members += [("size", .ints([pool.size.h, pool.size.w])), ("stride", .ints([pool.stride.h, pool.stride.w]))]
    case .flatten, .activation, .softmax:
        break
    }
    return .obj(members)
}
