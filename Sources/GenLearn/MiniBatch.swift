// GenLearn/MiniBatch.swift - What every training loop does per epoch and per mini-batch.

import Foundation
import GenModel
import GenSupport

/// Fisher-Yates shuffle with the seeded generator (same seed, same order).
func shuffle(_ order: inout [Int], generator: inout SeededGenerator) {
    for i in stride(from: order.count - 1, to: 0, by: -1) {
        order.swapAt(i, Int(generator.next() % UInt64(i + 1)))
    }
}

/// Cosine decay from `base` at step 0 to 0 at `total`.
func cosineRate(_ base: Double, step: Int, total: Int) -> Double {
    base * 0.5 * (1 + cos(Double.pi * Double(step) / Double(max(total, 1))))
}

/// Forward and backward over the samples `indices` (perturbed by `augmentation` when given, with
/// draws from `generator`): summed loss, correct count and gradients. With a `teacher`, the loss is
/// the distillation loss on the same perturbed batch (Distillation.swift).
func lossAndGradients(
    _ network: Network, data: Dataset, labels: [Int], indices: [Int], classes: Int,
    augmentation: Augmentation?, teacher: Teacher?, generator: inout SeededGenerator
) -> (lossSum: Double, correct: Int, gradients: Gradients) {
    var batch = [Double]()
    batch.reserveCapacity(indices.count * (data.inputs.first?.count ?? 0))
    for index in indices { batch.append(contentsOf: data.inputs[index]) }
    augmentation?.apply(to: &batch, samples: indices.count, generator: &generator)
    var cache = ForwardCache()
    let output = network.forward(batch, batch: indices.count, cache: &cache)
    let batchLabels = indices.map { labels[$0] }
    let result: (loss: Double, gradient: [Double], correct: Int)
    if let teacher {
        var teacherCache = ForwardCache()
        let targets = teacher.network.forward(batch, batch: indices.count, cache: &teacherCache)
        result = distilledCrossEntropy(
            output, teacher: targets, labels: batchLabels, classes: classes,
            settings: teacher.settings)
    } else {
        result = softmaxCrossEntropy(output, labels: batchLabels, classes: classes)
    }
    let gradients = network.backward(result.gradient, batch: indices.count, cache: cache)
    return (result.loss * Double(indices.count), result.correct, gradients)
}
