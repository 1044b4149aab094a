// GenLearnTests/GradientCheckTests.swift - Backpropagation against central finite differences, every layer type.

import GenModel
import GenSupport
import Testing

@testable import GenLearn

@Suite("Gradients match finite differences")
struct GradientCheckTests {
    static func model(_ layers: String, input: String) -> String {
        "{\"version\": 1, \"name\": \"g\", \"input\": {\"shape\": \(input)}, \"layers\": [\(layers)]}"
    }

    static func tensor(_ shape: [Int], _ generator: inout SeededGenerator, scale: Double = 0.6) -> String {
        let count = shape.reduce(1, *)
        let data = (0..<count).map { _ in String(generator.uniform(-scale, scale)) }.joined(separator: ", ")
        return "{\"shape\": \(shape), \"data\": [\(data)]}"
    }

    /// A model per case; every v1 layer type appears in at least one.
    static func caseModel(_ index: Int) -> String {
        var g = SeededGenerator(seed: UInt64(50 + index))
        switch index {
        case 0:  // dense with relu6 and relu, standalone relu after a pool-free chain, softmax
            return model(
                """
                {"type": "dense", "activation": "relu6", "weights": \(tensor([7, 6], &g, scale: 1.5)), "bias": \(tensor([7], &g))},
                {"type": "dense", "weights": \(tensor([5, 7], &g)), "bias": \(tensor([5], &g))},
                {"type": "relu"},
                {"type": "dense", "weights": \(tensor([4, 5], &g)), "bias": \(tensor([4], &g))},
                {"type": "softmax"}
                """, input: "[6]")
        case 1:  // conv same stride 2 + batchnorm (folded) + relu, maxpool, conv explicit padding relu6, avgpool, flatten, dense
            return model(
                """
                {"type": "conv2d", "padding": "same", "stride": [2, 1], "weights": \(tensor([3, 2, 3, 3], &g)), "bias": \(tensor([3], &g))},
                {"type": "batchnorm", "gamma": \(tensor([3], &g)), "beta": \(tensor([3], &g)), "mean": \(tensor([3], &g)), "var": {"shape": [3], "data": [1.2, 0.7, 0.9]}},
                {"type": "relu"},
                {"type": "maxpool2d", "size": [2, 2]},
                {"type": "conv2d", "padding": [1, 0, 0, 1], "activation": "relu6", "weights": \(tensor([4, 3, 2, 2], &g, scale: 1.2)), "bias": \(tensor([4], &g))},
                {"type": "avgpool2d", "size": [2, 2], "stride": [1, 1]},
                {"type": "flatten"},
                {"type": "dense", "weights": \(tensor([3, 8], &g)), "bias": \(tensor([3], &g))},
                {"type": "softmax"}
                """, input: "[2, 8, 6]")
        default:  // standalone relu6 after a pool, no softmax (the loss is still cross-entropy on the outputs)
            return model(
                """
                {"type": "conv2d", "weights": \(tensor([2, 1, 2, 2], &g, scale: 1.5)), "bias": \(tensor([2], &g))},
                {"type": "avgpool2d", "size": [2, 2]},
                {"type": "relu6"},
                {"type": "flatten"},
                {"type": "dense", "weights": \(tensor([3, 16], &g)), "bias": \(tensor([3], &g))}
                """, input: "[1, 5, 9]")
        }
    }

    func loss(_ network: Network, _ batch: [Double], labels: [Int], classes: Int) -> Double {
        var cache = ForwardCache()
        let logits = network.forward(batch, batch: labels.count, cache: &cache)
        return softmaxCrossEntropy(logits, labels: labels, classes: classes).loss
    }

    @Test("every weight and bias gradient equals the central difference", arguments: 0..<3)
    func gradients(_ index: Int) throws {
        let graph = try loadModel(file: "g.json", bytes: Array(Self.caseModel(index).utf8), diagnostics: DiagnosticEngine())
        var network = Network(graph)
        var generator = SeededGenerator(seed: 9)
        let batchSize = 3
        let batch = (0..<(batchSize * graph.inputSize)).map { _ in generator.uniform(-1, 1) }
        let labels = (0..<batchSize).map { $0 % graph.outputSize }
        var cache = ForwardCache()
        let logits = network.forward(batch, batch: batchSize, cache: &cache)
        let analytic = network.backward(
            softmaxCrossEntropy(logits, labels: labels, classes: graph.outputSize).gradient, batch: batchSize, cache: cache)
        let epsilon = 1e-6
        var checked = 0
        for p in network.parameters.indices {
            for (kind, count) in [("w", network.parameters[p].weights.count), ("b", network.parameters[p].bias.count)] {
                for i in 0..<count {
                    func perturbed(_ delta: Double) -> Double {
                        var copy = network
                        if kind == "w" { copy.parameters[p].weights[i] += delta } else { copy.parameters[p].bias[i] += delta }
                        return loss(copy, batch, labels: labels, classes: graph.outputSize)
                    }
                    let numeric = (perturbed(epsilon) - perturbed(-epsilon)) / (2 * epsilon)
                    let exact = kind == "w" ? analytic.weights[p][i] : analytic.bias[p][i]
                    let error = abs(numeric - exact) / max(1e-4, abs(numeric) + abs(exact))
                    #expect(error < 1e-4, "layer \(p) \(kind)[\(i)]: backprop \(exact), finite difference \(numeric)")
                    checked += 1
                }
            }
        }
        #expect(checked > 20)
        _ = network
    }

    @Test("pruned weights get zero gradient and stay zero through training")
    func masksHeld() throws {
        let graph = try loadModel(file: "g.json", bytes: Array(Self.caseModel(0).utf8), diagnostics: DiagnosticEngine())
        var masked = graph
        guard case .dense(var dense) = masked.layers[0].op else { return }
        dense.mask = KeepMask(k: 1, n: 2, kept: (0..<dense.weights.count).map { $0 % 2 == 0 })
        masked.layers[0].op = .dense(dense)
        var generator = SeededGenerator(seed: 3)
        let inputs = (0..<40).map { _ in (0..<6).map { _ in generator.uniform(-1, 1) } }
        let data = Dataset(inputs: inputs, labels: inputs.map { $0[0] > 0 ? 1 : 0 })
        var options = TrainingOptions(epochs: 3, seed: 1)
        options.batchSize = 8
        let trained = train(masked, on: data, options: options).graph
        guard case .dense(let after) = trained.layers[0].op else { return }
        for index in after.weights.indices where index % 2 == 1 { #expect(after.weights[index] == 0) }
        #expect(after.weights != dense.weights, "training changed nothing")
        // Same seed, same result.
        let again = train(masked, on: data, options: options).graph
        guard case .dense(let repeated) = again.layers[0].op else { return }
        #expect(repeated.weights == after.weights)
    }
}
