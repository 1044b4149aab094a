// GenLearn/Distillation.swift - Knowledge distillation: the unpruned model teaches the pruned one.

import Foundation
import GenModel

/// `--distill`: every training step also pulls the student's softened class probabilities towards
/// the teacher's on the same (augmented) batch, as in Hinton, Vinyals and Dean, "Distilling the
/// Knowledge in a Neural Network" (2015):
///
///     loss = (1 − α)·CE(label, softmax(z)) + α·T²·KL(softmax(t/T) ‖ softmax(z/T))
///
/// with z the student's logits, t the teacher's, α `weight` and T `temperature`. The T² keeps the soft
/// term's gradient, T·(softmax(z/T) − softmax(t/T)), on the scale of the hard term's as T grows.
/// The teacher is the float model as read (before pruning); it is only run forward.
package struct Distillation: Sendable {
    package var teacher: Graph
    /// α: the soft term's share of the loss, in (0, 1].
    package var weight: Double
    /// T > 0: the softmax temperature of both models in the soft term.
    package var temperature: Double

    package static let defaultTemperature = 4.0

    package init(teacher: Graph, weight: Double, temperature: Double = Distillation.defaultTemperature) {
        self.teacher = teacher
        self.weight = weight
        self.temperature = temperature
    }
}

/// The teacher of `--distill`, ready to run: its network and the loss's settings.
struct Teacher {
    var network: Network
    var distillation: Distillation

    init?(_ distillation: Distillation?, matrixMultiply: MatrixMultiply) {
        guard let distillation else { return nil }
        self.distillation = distillation
        network = Network(distillation.teacher.withMasksApplied(), matrixMultiply: matrixMultiply)
    }
}

/// The distillation loss of a batch (mean over its rows), its gradient with respect to the student's
/// logits, and how many rows the student classifies correctly (by its own logits).
func distilledCrossEntropy(
    _ logits: [Double], teacher: [Double], labels: [Int], classes: Int, weight: Double, temperature: Double
) -> (loss: Double, gradient: [Double], correct: Int) {
    let hard = softmaxCrossEntropy(logits, labels: labels, classes: classes)
    let batch = labels.count
    var gradient = hard.gradient.map { $0 * (1 - weight) }
    var soft = 0.0
    for row in 0..<batch {
        let range = (row * classes)..<((row + 1) * classes)
        let student = temperedSoftmax(logits[range], temperature: temperature)
        let target = temperedSoftmax(teacher[range], temperature: temperature)
        for c in 0..<classes {
            if target[c] > 0 { soft += target[c] * (log(target[c]) - log(max(student[c], 1e-300))) }
            gradient[row * classes + c] += weight * temperature * (student[c] - target[c]) / Double(batch)
        }
    }
    let loss = (1 - weight) * hard.loss + weight * temperature * temperature * soft / Double(batch)
    return (loss, gradient, hard.correct)
}

/// softmax(values / temperature), shifted by the largest value so that exp cannot overflow.
func temperedSoftmax(_ values: ArraySlice<Double>, temperature: Double) -> [Double] {
    let peak = values.max() ?? 0
    let exps = values.map { exp(($0 - peak) / temperature) }
    let total = exps.reduce(0, +)
    return exps.map { $0 / total }
}
