// GenLearn/Trainer.swift - Mini-batch training with Adam or SGD, weight decay, cosine schedule, fixed masks.

import Foundation
import GenModel
import GenSupport

/// The optimizers the engine offers.
package enum Optimizer: String, Sendable, CaseIterable {
    case adam, sgd
}

package struct TrainingOptions: Sendable {
    package var epochs: Int
    package var batchSize = 32
    package var optimizer = Optimizer.adam
    /// Peak learning rate; the schedule decays it to zero along a cosine.
    package var learningRate = 1e-3
    /// SGD momentum.
    package var momentum = 0.9
    /// L2 weight decay on weights (not biases), added to the gradient.
    package var weightDecay = 1e-4
    /// Perturbs every training batch (`--augment`); nil: the data as given.
    package var augmentation: Augmentation?
    /// `--blas`: GSL's CBLAS (default) or OpenBLAS.
    package var matrixMultiply = MatrixMultiply.gsl
    /// `--distill`: the unpruned model teaches; nil: the labels alone.
    package var distillation: Distillation?
    package var seed: UInt64

    package init(epochs: Int, seed: UInt64) {
        self.epochs = epochs
        self.seed = seed
    }
}

/// One epoch's figures, for progress and the report.
package struct EpochStatistics: Sendable {
    package var epoch: Int
    package var loss: Double
    package var trainAccuracy: Double

    package init(epoch: Int, loss: Double, trainAccuracy: Double) {
        self.epoch = epoch
        self.loss = loss
        self.trainAccuracy = trainAccuracy
    }
}

/// Called after every optimizer step for each dense/conv2d layer (its index in `Graph.layers`) with
/// its weights to change in place, the step's learning rate and the epoch (from 1): a proximal step
/// (EDP's group lasso) or a projection (DARB's block-max masking).
package typealias WeightProjection = (_ layerIndex: Int, _ weights: inout [Double], _ rate: Double, _ epoch: Int) -> Void

/// Trains the dense/conv2d parameters of `graph` on labelled data with the pruning masks held
/// fixed (pruned weights stay zero, their gradients are zeroed); `afterStep` adds a proximal step or
/// a projection (pruning by projection trains a graph without masks and sets them afterwards).
/// Deterministic for a seed: the
/// shuffles come from `SeededGenerator`, the BLAS calls are single-threaded (GSL CBLAS, or OpenBLAS with `--blas openblas`, same machine).
package func train(
    _ graph: Graph, on data: Dataset, options: TrainingOptions,
    onEpoch: (EpochStatistics) -> Void = { _ in }, afterStep project: WeightProjection? = nil
) -> (graph: Graph, history: [EpochStatistics]) {
    guard let labels = data.labels, !data.inputs.isEmpty, options.epochs > 0 else { return (graph, []) }
    var network = Network(graph, matrixMultiply: options.matrixMultiply)
    let teacher = options.distillation.map { Teacher($0, matrixMultiply: options.matrixMultiply) }
    let classes = graph.outputSize
    var generator = SeededGenerator(seed: options.seed)
    var order = Array(data.inputs.indices)
    let stepsPerEpoch = (order.count + options.batchSize - 1) / options.batchSize
    let totalSteps = stepsPerEpoch * options.epochs
    var state = OptimizerState(network.parameters)
    var history: [EpochStatistics] = []
    var step = 0
    for epoch in 1...options.epochs {
        shuffle(&order, generator: &generator)
        var lossSum = 0.0
        var correct = 0
        var start = 0
        while start < order.count {
            let indices = Array(order[start..<min(start + options.batchSize, order.count)])
            let rate = cosineRate(options.learningRate, step: step, total: totalSteps)
            let result = lossAndGradients(
                network, data: data, labels: labels, indices: indices, classes: classes,
                augmentation: options.augmentation, teacher: teacher, generator: &generator)
            lossSum += result.lossSum
            correct += result.correct
            state.apply(result.gradients, to: &network.parameters, rate: rate, options: options)
            if let project {
                for p in network.parameters.indices {
                    project(network.parameterLayers[p], &network.parameters[p].weights, rate, epoch)
                    network.parameters[p].applyMask()
                }
            }
            step += 1
            start += options.batchSize
        }
        let statistics = EpochStatistics(
            epoch: epoch, loss: lossSum / Double(order.count), trainAccuracy: Double(correct) / Double(order.count))
        history.append(statistics)
        onEpoch(statistics)
    }
    return (network.graph(updating: graph), history)
}

/// Per-parameter optimizer memory (Adam's moments or SGD's velocity).
struct OptimizerState {
    var first: [[Double]]
    var second: [[Double]]
    var firstBias: [[Double]]
    var secondBias: [[Double]]
    var steps = 0

    init(_ parameters: [Parameters]) {
        first = parameters.map { [Double](repeating: 0, count: $0.weights.count) }
        second = first
        firstBias = parameters.map { [Double](repeating: 0, count: $0.bias.count) }
        secondBias = firstBias
    }

    mutating func apply(_ gradients: Gradients, to parameters: inout [Parameters], rate: Double, options: TrainingOptions) {
        steps += 1
        let rule = UpdateRule(
            optimizer: options.optimizer, rate: rate, momentum: options.momentum,
            correction1: 1 - pow(UpdateRule.beta1, Double(steps)), correction2: 1 - pow(UpdateRule.beta2, Double(steps)))
        for p in parameters.indices {
            rule.step(&parameters[p].weights, gradients.weights[p], &first[p], &second[p], decay: options.weightDecay)
            rule.step(&parameters[p].bias, gradients.bias[p], &firstBias[p], &secondBias[p], decay: nil)
            parameters[p].applyMask()
        }
    }
}

/// One optimizer step's constants, applied to one tensor at a time through flat buffers: element
/// access through the nested arrays costs a uniqueness check per element, which made the update
/// slower than the matrix products (a third of LeNet-300-100's training time under perf). The
/// arithmetic is the same expressions in the same order, so trained weights are unchanged.
private struct UpdateRule {
    static let beta1 = 0.9
    static let beta2 = 0.999
    static let epsilon = 1e-8
    let optimizer: Optimizer
    let rate: Double
    let momentum: Double
    let correction1: Double
    let correction2: Double

    /// values -= the update for gradient + decay * value (no decay term at all when `decay` is nil).
    func step(_ values: inout [Double], _ gradient: [Double], _ m: inout [Double], _ v: inout [Double], decay: Double?) {
        let (beta1, beta2, epsilon) = (Self.beta1, Self.beta2, Self.epsilon)
        values.withUnsafeMutableBufferPointer { x in
            gradient.withUnsafeBufferPointer { g in
                m.withUnsafeMutableBufferPointer { m in
                    v.withUnsafeMutableBufferPointer { v in
                        for i in 0..<x.count {
                            let gi = decay.map { g[i] + $0 * x[i] } ?? g[i]
                            switch optimizer {
                            case .adam:
                                m[i] = beta1 * m[i] + (1 - beta1) * gi
                                v[i] = beta2 * v[i] + (1 - beta2) * gi * gi
                                x[i] -= rate * (m[i] / correction1) / ((v[i] / correction2).squareRoot() + epsilon)
                            case .sgd:
                                m[i] = momentum * m[i] + gi
                                x[i] -= rate * m[i]
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Top-1 accuracy (0...1) of the float graph on a labelled data set.
package func accuracy(of graph: Graph, on data: Dataset) -> Double? {
    guard let labels = data.labels, !labels.isEmpty else { return nil }
    let effective = graph.withMasksApplied()
    var correct = 0
    for (input, label) in zip(data.inputs, labels) {
        let output = FloatExecutor.run(effective, input: input)
        var best = 0
        for index in output.indices where output[index] > output[best] { best = index }
        if best == label { correct += 1 }
    }
    return Double(correct) / Double(labels.count)
}
