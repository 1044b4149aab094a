// GenLearnTests/DistillationTests.swift - The distillation loss by hand and by finite differences, and what it teaches.

import Foundation
import GenModel
import GenSupport
import Testing

@testable import GenLearn

@Suite("Knowledge distillation")
struct DistillationTests {
    @Test("a hand-computed batch of one: the loss and its gradient")
    func handComputed() {
        // Two classes, student logits (0, ln 3), teacher logits (ln 3, 0), label 1, T = 1, α = 0.5.
        // Student p = (1/4, 3/4), teacher q = (3/4, 1/4).
        // CE = -ln(3/4); KL(q || p) = 3/4 ln 3 + 1/4 ln(1/3) = ln 3 / 2.
        let result = distilledCrossEntropy(
            [0, log(3)], teacher: [log(3), 0], labels: [1], classes: 2,
            settings: DistillationSettings(weight: 0.5, temperature: 1))
        #expect(abs(result.loss - (0.5 * -log(0.75) + 0.5 * log(3) / 2)) < 1e-12)
        // Gradient: 0.5 (p - onehot) + 0.5 (p - q) = 0.5 (1/4, -1/4) + 0.5 (-1/2, 1/2).
        #expect(abs(result.gradient[0] - (0.125 - 0.25)) < 1e-12)
        #expect(abs(result.gradient[1] - (-0.125 + 0.25)) < 1e-12)
        #expect(result.correct == 1)
    }

    @Test("a batch of two equal rows: the same loss as one, each row half the gradient")
    func batchMean() {
        let settings = DistillationSettings(weight: 0.5, temperature: 1)
        let one = distilledCrossEntropy([0, log(3)], teacher: [log(3), 0], labels: [1], classes: 2, settings: settings)
        let two = distilledCrossEntropy(
            [0, log(3), 0, log(3)], teacher: [log(3), 0, log(3), 0], labels: [1, 1], classes: 2, settings: settings)
        #expect(abs(two.loss - one.loss) < 1e-12)
        for c in 0..<4 { #expect(abs(two.gradient[c] - one.gradient[c % 2] / 2) < 1e-12) }
        #expect(two.correct == 2)
    }

    @Test("a student probability that underflows still gives the exact soft loss")
    func underflow() {
        // Student logits 2000 apart at T = 1: its probability of class 0 is e^-2000, 0 in Double.
        // The teacher is sure of class 0 alone, so KL = 0 - log p_student(0) = 2000 (to e^-2000).
        let result = distilledCrossEntropy(
            [0, 2000], teacher: [2000, 0], labels: [1], classes: 2, settings: DistillationSettings(weight: 1, temperature: 1))
        #expect(abs(result.loss - 2000) < 1e-9, "loss \(result.loss)")
        #expect(abs(result.gradient[0] + 1) < 1e-12 && abs(result.gradient[1] - 1) < 1e-12)
    }

    @Test("the temperature softens both sides and scales the soft term by T^2")
    func temperature() {
        // T = 2 and α = 1: logits (0, 2 ln 3) and (2 ln 3, 0) soften to the probabilities above.
        let result = distilledCrossEntropy(
            [0, 2 * log(3)], teacher: [2 * log(3), 0], labels: [0], classes: 2,
            settings: DistillationSettings(weight: 1, temperature: 2))
        #expect(abs(result.loss - 4 * log(3) / 2) < 1e-12)
        // T (p - q) = 2 (-1/2, 1/2); the label has no weight.
        #expect(abs(result.gradient[0] + 1) < 1e-12 && abs(result.gradient[1] - 1) < 1e-12)
    }

    @Test("the gradient equals the central difference of the loss", arguments: [(0.3, 2.5), (1.0, 1.0), (0.7, 6.0)])
    func finiteDifferences(_ setting: (weight: Double, temperature: Double)) {
        var generator = SeededGenerator(seed: 12)
        let (batch, classes) = (3, 5)
        let logits = (0..<(batch * classes)).map { _ in generator.uniform(-3, 3) }
        let teacher = (0..<(batch * classes)).map { _ in generator.uniform(-3, 3) }
        let labels = [4, 0, 2]
        func loss(_ z: [Double]) -> Double {
            distilledCrossEntropy(
                z, teacher: teacher, labels: labels, classes: classes,
                settings: DistillationSettings(weight: setting.weight, temperature: setting.temperature)
            ).loss
        }
        let analytic = distilledCrossEntropy(
            logits, teacher: teacher, labels: labels, classes: classes,
            settings: DistillationSettings(weight: setting.weight, temperature: setting.temperature)
        ).gradient
        for (i, numeric) in centralDifferences(loss, at: logits).enumerated() {
            #expect(abs(numeric - analytic[i]) < 1e-7, "logit \(i): analytic \(analytic[i]), numeric \(numeric)")
        }
    }

    @Test("a student that matches its teacher gets the labels' gradient alone, scaled by 1 - α")
    func agreeingTeacher() {
        let logits = [0.5, -1.0, 2.0, 0.1, 0.3, -0.7]
        let plain = softmaxCrossEntropy(logits, labels: [2, 0], classes: 3)
        let distilled = distilledCrossEntropy(logits, teacher: logits, labels: [2, 0], classes: 3,
            settings: DistillationSettings(weight: 0.4, temperature: 3))
        for i in logits.indices { #expect(abs(distilled.gradient[i] - 0.6 * plain.gradient[i]) < 1e-12) }
        #expect(abs(distilled.loss - 0.6 * plain.loss) < 1e-12)
    }

    /// A 2-4-3 classifier whose classes follow the sign pattern of its two inputs.
    static func teacherGraph() throws -> Graph {
        let text = """
            {"version": 1, "name": "t", "input": {"shape": [2]}, "layers": [
              {"type": "dense", "activation": "relu", "weights": {"shape": [4, 2], "data": [3, 0, -3, 0, 0, 3, 0, -3]}, "bias": {"shape": [4], "data": [0, 0, 0, 0]}},
              {"type": "dense", "weights": {"shape": [3, 4], "data": [4, 0, 0, 0, 0, 4, 0, 0, 0, 0, 4, 4]}, "bias": {"shape": [3], "data": [0, 0, 0]}},
              {"type": "softmax"}]}
            """
        return try loadModel(file: "t.json", bytes: Array(text.utf8), diagnostics: DiagnosticEngine())
    }

    @Test("with weight 1 the student learns the teacher's classes, not the labels")
    func teaches() throws {
        let teacher = try Self.teacherGraph()
        var student = teacher
        var generator = SeededGenerator(seed: 5)
        for index in student.layers.indices {
            guard case .dense(var dense) = student.layers[index].op else { continue }
            dense.weights = dense.weights.map { _ in generator.uniform(-0.5, 0.5) }
            student.layers[index].op = .dense(dense)
        }
        let inputs = (0..<96).map { _ in [generator.uniform(-1, 1), generator.uniform(-1, 1)] }
        let teacherClasses = inputs.map { argmax(FloatExecutor.run(teacher, input: $0)) }
        // Labels that contradict the teacher everywhere: the class after the teacher's.
        let data = Dataset(inputs: inputs, labels: teacherClasses.map { ($0 + 1) % 3 })
        var options = TrainingOptions(epochs: 300, seed: 2)
        options.learningRate = 0.02
        func agreement(_ graph: Graph) -> Double {
            let same = zip(inputs, teacherClasses).filter { argmax(FloatExecutor.run(graph, input: $0)) == $1 }.count
            return Double(same) / Double(inputs.count)
        }
        let fromLabels = train(student, on: data, options: options).graph
        options.distillation = Distillation(teacher: teacher, settings: DistillationSettings(weight: 1, temperature: 2))
        let distilled = train(student, on: data, options: options).graph
        #expect(agreement(distilled) > 0.9, "distilled student agrees with its teacher on \(agreement(distilled))")
        #expect(agreement(fromLabels) < 0.2, "the labels alone taught the teacher's classes: \(agreement(fromLabels))")
        // Deterministic: the same options give the same weights.
        let again = train(student, on: data, options: options).graph
        func weights(_ graph: Graph) -> [[Double]] {
            graph.layers.compactMap { layer -> [Double]? in
                if case .dense(let dense) = layer.op { return dense.weights + dense.bias }
                return nil
            }
        }
        #expect(weights(again) == weights(distilled))
        #expect(weights(fromLabels) != weights(distilled))
    }

    func argmax(_ values: [Double]) -> Int {
        values.indices.max { values[$0] < values[$1] } ?? 0
    }
}
