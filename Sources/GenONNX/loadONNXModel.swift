// GenONNX/loadONNXModel.swift - Stage 1-2 for ONNX: a sequential ONNX graph -> Graph.

import Foundation
import GenModel
import GenSupport
import SwiftProtobuf

/// The ONNX operators the importer understands.
let supportedOperators = [
    "Gemm", "MatMul", "Add (after MatMul)", "Conv", "Relu", "Clip", "MaxPool", "AveragePool", "Flatten", "Reshape",
    "BatchNormalization", "Softmax",
]

/// Reads an ONNX model whose nodes form one chain from the graph input to the graph output and
/// turns it into the same raw layers a model.json gives, so shapes, batchnorm folding and every
/// check are shared. Weights must be initializers. The batch dimension is dropped.
/// Anything else is an error that names the node and its operator.
/// - Throws: `GenFailure` with every problem found.
package func loadONNXModel(file: String, bytes: [UInt8], diagnostics: DiagnosticEngine) throws(GenFailure) -> Graph {
    let model: Onnx_ModelProto
    do {
        model = try Onnx_ModelProto(serializedBytes: bytes)
    } catch {
        diagnostics.error("not a readable ONNX model (protobuf decoding failed)", at: SourceLocation(file: file))
        throw GenFailure(diagnostics: diagnostics.diagnostics)
    }
    var importer = ONNXImporter(file: file, graph: model.graph, diagnostics: diagnostics)
    let imported = importer.run()
    try diagnostics.checkpoint()
    guard let (inputShape, layers) = imported else { throw GenFailure(diagnostics: diagnostics.diagnostics) }
    let stem = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
    let name = [model.graph.name, stem].map { $0.lowercased() }.first(where: isCIdentifier) ?? "model"
    let graph = buildGraph(
        name: name, inputShape: inputShape, inputRange: (-1, 1), rawLayers: layers, labels: nil,
        labelsLocation: SourceLocation(file: file), metadata: nil, origin: SourceLocation(file: file, pointer: "/graph"),
        diagnostics: diagnostics)
    try diagnostics.checkpoint()
    guard let graph else { throw GenFailure(diagnostics: diagnostics.diagnostics) }
    return graph
}

/// Walks the node chain once, collecting raw layers and errors.
private struct ONNXImporter {
    let file: String
    let graph: Onnx_GraphProto
    let diagnostics: DiagnosticEngine
    let initializers: [String: Onnx_TensorProto]

    init(file: String, graph: Onnx_GraphProto, diagnostics: DiagnosticEngine) {
        self.file = file
        self.graph = graph
        self.diagnostics = diagnostics
        initializers = Dictionary(graph.initializer.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    func location(_ index: Int) -> SourceLocation { SourceLocation(file: file, pointer: "/graph/node/\(index)") }

    func label(_ node: Onnx_NodeProto, _ index: Int) -> String {
        "node '\(node.name.isEmpty ? "#\(index)" : node.name)' (\(node.opType))"
    }

    mutating func run() -> ([Int], [RawLayer])? {
        let inputs = graph.input.filter { initializers[$0.name] == nil }
        guard inputs.count == 1, let input = inputs.first else {
            diagnostics.error(
                "expected exactly one graph input that is not an initializer, found \(inputs.count)",
                at: SourceLocation(file: file, pointer: "/graph/input"))
            return nil
        }
        // A named dimension (dim_param, usually the batch) counts as 1.
        var dims = input.type.tensorType.shape.dim.map { dimension -> Int in
            if case .dimValue(let value)? = dimension.value { return Int(value) }
            return 1
        }
        if dims.count == 2 || dims.count == 4 { dims.removeFirst() }  // the batch dimension
        guard dims.count == 1 || dims.count == 3, dims.allSatisfy({ $0 > 0 }) else {
            diagnostics.error(
                "graph input '\(input.name)' has shape \(dims); expected [N, features] or [N, C, H, W]",
                at: SourceLocation(file: file, pointer: "/graph/input/0"))
            return nil
        }
        var current = input.name
        var layers: [RawLayer] = []
        var index = 0
        let nodes = graph.node
        while index < nodes.count {
            let node = nodes[index]
            guard node.input.first == current, node.output.count >= 1 else {
                diagnostics.error(
                    "\(label(node, index)) does not take the previous node's output '\(current)'; only sequential graphs are supported",
                    at: location(index))
                return nil
            }
            var consumed = 1
            if let op = convert(node, index: index, next: index + 1 < nodes.count ? nodes[index + 1] : nil, consumed: &consumed) {
                let name = node.name.isEmpty ? "\(node.opType.lowercased())\(index)" : node.name
                layers.append(RawLayer(name: name, op: op, location: location(index), index: index))
            }
            current = nodes[index + consumed - 1].output[0]
            index += consumed
        }
        if let output = graph.output.first, output.name != current {
            diagnostics.error(
                "the graph output '\(output.name)' is not produced by the last node", at: SourceLocation(file: file, pointer: "/graph/output/0"))
        }
        return (dims, layers)
    }

    /// An initializer input of `node` as a raw tensor, or nil (reported) when missing or not float.
    func tensor(_ node: Onnx_NodeProto, _ position: Int, index: Int, what: String) -> RawTensor? {
        guard position < node.input.count, let initializer = initializers[node.input[position]] else {
            diagnostics.error(
                "\(label(node, index)): \(what) must be an initializer (a constant weight tensor)", at: location(index))
            return nil
        }
        let shape = initializer.dims.map { Int($0) }
        guard let values = initializer.doubles, let count = checkedProduct(shape), count == values.count,
            count <= maximumTensorElements
        else {
            diagnostics.error(
                "\(label(node, index)): initializer '\(initializer.name)' is not a float tensor matching its dims \(shape)",
                at: location(index))
            return nil
        }
        return RawTensor(
            shape: shape, data: values, location: SourceLocation(file: file, pointer: "/graph/initializer/\(initializer.name)"))
    }

    /// Rejects attributes with values this importer does not implement.
    func require(_ condition: Bool, _ node: Onnx_NodeProto, _ index: Int, _ message: String) -> Bool {
        if !condition { diagnostics.error("\(label(node, index)): \(message)", at: location(index)) }
        return condition
    }

    mutating func convert(_ node: Onnx_NodeProto, index: Int, next: Onnx_NodeProto?, consumed: inout Int) -> RawOp? {
        let attributes = ONNXAttributes(node)
        switch node.opType {
        case "Gemm":
            let alpha = attributes.float("alpha") ?? 1
            let beta = attributes.float("beta") ?? 1
            guard require((attributes.int("transA") ?? 0) == 0, node, index, "transA = 1 is not supported"),
                var b = tensor(node, 1, index: index, what: "B"), b.shape.count == 2
            else { return nil }
            if (attributes.int("transB") ?? 0) == 0 { b = transposed(b) }
            b.data = b.data.map { $0 * alpha }
            var bias: RawTensor?
            if node.input.count > 2, !node.input[2].isEmpty {
                guard var c = tensor(node, 2, index: index, what: "C") else { return nil }
                c.shape = [c.data.count]
                c.data = c.data.map { $0 * beta }
                bias = c
            }
            return .dense(weights: b, bias: bias, activation: .none)
        case "MatMul":
            guard let w = tensor(node, 1, index: index, what: "the second operand"), w.shape.count == 2 else { return nil }
            var bias: RawTensor?
            // MatMul followed by Add of a constant vector is a dense layer with bias.
            if let next, next.opType == "Add", next.input.count == 2, next.input[0] == node.output[0],
                let added = tensor(next, 1, index: index + 1, what: "the added bias")
            {
                bias = RawTensor(shape: [added.data.count], data: added.data, location: added.location)
                consumed = 2
            }
            return .dense(weights: transposed(w), bias: bias, activation: .none)
        case "Conv":
            guard let w = tensor(node, 1, index: index, what: "W"), w.shape.count == 4 else { return nil }
            var bias: RawTensor?
            if node.input.count > 2, !node.input[2].isEmpty {
                guard let b = tensor(node, 2, index: index, what: "B") else { return nil }
                bias = b
            }
            guard require((attributes.int("group") ?? 1) == 1, node, index, "grouped convolution is not supported"),
                require((attributes.ints("dilations") ?? [1, 1]).allSatisfy { $0 == 1 }, node, index, "dilations other than 1 are not supported")
            else { return nil }
            let strides = attributes.ints("strides") ?? [1, 1]
            let padding: RawPadding
            switch attributes.string("auto_pad") ?? "NOTSET" {
            case "NOTSET":
                let pads = attributes.ints("pads") ?? [0, 0, 0, 0]
                guard require(pads.count == 4, node, index, "pads must have 4 values") else { return nil }
                padding = .explicit(top: pads[0], bottom: pads[2], left: pads[1], right: pads[3])
            case "VALID": padding = .valid
            case "SAME_UPPER": padding = .same
            case let other:
                _ = require(false, node, index, "auto_pad '\(other)' is not supported (NOTSET, VALID, SAME_UPPER are)")
                return nil
            }
            guard require(strides.count == 2 && strides.allSatisfy { $0 >= 1 }, node, index, "strides must be two positive values")
            else { return nil }
            return .conv2d(weights: w, bias: bias, stride: strides, padding: padding, activation: .none)
        case "Relu":
            return .activation(.relu)
        case "Clip":
            var low = attributes.float("min")
            var high = attributes.float("max")
            if node.input.count > 1, !node.input[1].isEmpty { low = tensor(node, 1, index: index, what: "min")?.data.first }
            if node.input.count > 2, !node.input[2].isEmpty { high = tensor(node, 2, index: index, what: "max")?.data.first }
            if low == 0 && high == 6 { return .activation(.relu6) }
            if low == 0 && high == nil { return .activation(.relu) }
            _ = require(false, node, index, "only Clip(0, 6) (relu6) and Clip(0) (relu) are supported")
            return nil
        case "MaxPool", "AveragePool":
            guard let size = attributes.ints("kernel_shape"), size.count == 2,
                require((attributes.ints("pads") ?? [0, 0, 0, 0]).allSatisfy { $0 == 0 }, node, index, "padded pooling is not supported"),
                require((attributes.int("ceil_mode") ?? 0) == 0, node, index, "ceil_mode = 1 is not supported"),
                require(["NOTSET", "VALID"].contains(attributes.string("auto_pad") ?? "NOTSET"), node, index, "auto_pad padding is not supported"),
                require((attributes.ints("dilations") ?? [1, 1]).allSatisfy { $0 == 1 }, node, index, "dilations other than 1 are not supported")
            else {
                if attributes.ints("kernel_shape")?.count != 2 {
                    diagnostics.error("\(label(node, index)): kernel_shape must have 2 values", at: location(index))
                }
                return nil
            }
            let stride = attributes.ints("strides") ?? [1, 1]  // ONNX's default stride is 1, not the size
            return node.opType == "MaxPool" ? .maxPool2d(size: size, stride: stride) : .avgPool2d(size: size, stride: stride)
        case "Flatten":
            guard require((attributes.int("axis") ?? 1) == 1, node, index, "only axis = 1 is supported") else { return nil }
            return .flatten
        case "Reshape":
            guard node.input.count > 1, let shape = initializers[node.input[1]]?.integers,
                require(shape.count == 2 && (shape[0] == 1 || shape[0] == -1 || shape[0] == 0), node, index,
                    "only a reshape to a vector [N, features] is supported")
            else {
                if node.input.count <= 1 || initializers[node.input[1]] == nil {
                    diagnostics.error("\(label(node, index)): the target shape must be an initializer", at: location(index))
                }
                return nil
            }
            return .flatten
        case "BatchNormalization":
            guard require((attributes.int("training_mode") ?? 0) == 0, node, index, "training_mode = 1 is not supported"),
                let gamma = tensor(node, 1, index: index, what: "scale"), let beta = tensor(node, 2, index: index, what: "B"),
                let mean = tensor(node, 3, index: index, what: "input_mean"),
                let variance = tensor(node, 4, index: index, what: "input_var")
            else { return nil }
            return .batchnorm(gamma: gamma, beta: beta, mean: mean, variance: variance, epsilon: attributes.float("epsilon") ?? 1e-5)
        case "Softmax":
            let axis = attributes.int("axis") ?? -1
            guard require(axis == -1 || axis == 1, node, index, "only softmax over the features (axis 1 or -1) is supported")
            else { return nil }
            return .softmax
        default:
            diagnostics.error(
                "\(label(node, index)): unsupported operator '\(node.opType)'; supported: \(supportedOperators.joined(separator: ", "))",
                at: location(index))
            return nil
        }
    }
}

/// A 2-D tensor transposed ([in, out] -> [out, in]).
private func transposed(_ tensor: RawTensor) -> RawTensor {
    let (rows, columns) = (tensor.shape[0], tensor.shape[1])
    var data = [Double](repeating: 0, count: tensor.data.count)
    for row in 0..<rows {
        for column in 0..<columns { data[column * rows + row] = tensor.data[row * columns + column] }
    }
    return RawTensor(shape: [columns, rows], data: data, location: tensor.location)
}
