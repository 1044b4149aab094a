// GenLearn/Distillation.swift - Knowledge distillation: the unpruned model teaches the pruned one.

import Foundation
import GenModel

/// `--distill W` and `--distill-temperature T`: how much the teacher counts, and how soft its classes are.
package struct DistillationSettings: Sendable, Equatable {
    /// α: the soft term's share of the loss, in (0, 1].
    package var weight: Double
    /// T: the softmax temperature of both models in the soft term (gen takes 0.1 to 100).
    package var temperature: Double

    package static let defaultTemperature = 4.0

    package init(weight: Double, temperature: Double = DistillationSettings.defaultTemperature) {
        self.weight = weight
        self.temperature = temperature
    }
}

/// `--distill`: every training step also pulls the student's softened class probabilities towards
/// the teacher's on the same (augmented) batch, as in Hinton, Vinyals and Dean, "Distilling the
/// Knowledge in a Neural Network" (2015):
///
///     loss = (1 − α)·CE(label, softmax(z)) + α·T²·KL(softmax(t/T) ‖ softmax(z/T))
///
/// with z the student's logits, t the teacher's, α the weight and T the temperature. The T² keeps the
/// soft term's gradient, T·(softmax(z/T) − softmax(t/T)), on the scale of the hard term's as T grows.
/// The teacher is the float model as read (before pruning); it is only run forward.
package struct Distillation: Sendable {
    package var teacher: Graph
    package var settings: DistillationSettings

    package init(teacher: Graph, settings: DistillationSettings) {
        self.teacher = teacher
        self.settings = settings
    }
}

/// The teacher of `--distill`, ready to run: its network and the loss's settings.
struct Teacher {
    var network: Network
    var settings: DistillationSettings

    init(_ distillation: Distillation, matrixMultiply: MatrixMultiply) {
        settings = distillation.settings
        network = Network(distillation.teacher, matrixMultiply: matrixMultiply)
    }
}

/// The distillation loss of a batch (mean over its rows), its gradient with respect to the student's
/// logits, and how many rows the student classifies correctly (by its own logits).
func distilledCrossEntropy(
    _ logits: [Double], teacher: [Double], labels: [Int], classes: Int, settings: DistillationSettings
) -> (loss: Double, gradient: [Double], correct: Int) {
    precondition(teacher.count == logits.count, "teacher and student logits differ in size")
    let (weight, temperature) = (settings.weight, settings.temperature)
    let hard = softmaxCrossEntropy(logits, labels: labels, classes: classes)
    let batch = labels.count
    var gradient = hard.gradient.map { $0 * (1 - weight) }
    var soft = 0.0
    for row in 0..<batch {
        let range = (row * classes)..<((row + 1) * classes)
        let student = temperedSoftmax(logits[range], temperature: temperature)
        let target = temperedSoftmax(teacher[range], temperature: temperature)
        // The loss from log-probabilities: exact where a probability underflows to 0.
        let logStudent = logSoftmax(logits[range], temperature: temperature)
        let logTarget = logSoftmax(teacher[range], temperature: temperature)
        for c in 0..<classes {
            soft += target[c] * (logTarget[c] - logStudent[c])
            gradient[row * classes + c] += weight * temperature * (student[c] - target[c]) / Double(batch)
        }
    }
    let loss = (1 - weight) * hard.loss + weight * temperature * temperature * soft / Double(batch)
    return (loss, gradient, hard.correct)
}
