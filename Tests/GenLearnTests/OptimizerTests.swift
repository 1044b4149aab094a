// GenLearnTests/OptimizerTests.swift - One optimizer step against the textbook formulas, element by element.

import Foundation
import Testing

@testable import GenLearn

@Suite("Optimizer step")
struct OptimizerTests {
    /// Two tensors of different sizes, a mask on the first, gradients that change every step.
    static func start() -> [Parameters] {
        [
            Parameters(weights: [0.5, -0.25, 0.125, 1.0], bias: [0.1, -0.2], kept: [true, false, true, true]),
            Parameters(weights: [-1.5, 0.75, 0.0], bias: [0.3], kept: nil),
        ]
    }

    static func gradients(step: Int) -> Gradients {
        let s = Double(step + 1)
        return Gradients(
            weights: [[0.2 * s, -0.1, 0.05 / s, -0.3], [0.4, -0.6 * s, 0.01]],
            bias: [[-0.05 * s, 0.02], [0.3 / s]])
    }

    /// Runs three steps of the trainer's optimizer and of `rule`, written out here independently:
    /// `rule(value, gradient, step, &first, &second)` gives the new value of one element, where the
    /// gradient already carries the L2 decay for weights (never for biases) and masked weights are set
    /// to zero after each step. Returns the trainer's parameters after the last step.
    static func compare(
        _ options: TrainingOptions, rate: Double,
        rule: (Double, Double, Int, inout Double, inout Double) -> Double
    ) -> [Parameters] {
        var parameters = start()
        var state = OptimizerState(parameters)
        var expected = start()
        var first = expected.map { [Double](repeating: 0, count: $0.weights.count + $0.bias.count) }
        var second = first
        for step in 0..<3 {
            state.apply(gradients(step: step), to: &parameters, rate: rate, options: options)
            let g = gradients(step: step)
            for p in expected.indices {
                let count = expected[p].weights.count
                for i in 0..<(count + expected[p].bias.count) {
                    let value = i < count ? expected[p].weights[i] : expected[p].bias[i - count]
                    let gradient = i < count ? g.weights[p][i] + options.weightDecay * value : g.bias[p][i - count]
                    let updated = rule(value, gradient, step, &first[p][i], &second[p][i])
                    if i < count { expected[p].weights[i] = updated } else { expected[p].bias[i - count] = updated }
                }
                expected[p].applyMask()
                let got = parameters[p].weights + parameters[p].bias
                for (index, want) in (expected[p].weights + expected[p].bias).enumerated() {
                    #expect(abs(got[index] - want) <= 1e-12 * max(1, abs(want)), "step \(step), tensor \(p), element \(index)")
                }
            }
        }
        return parameters
    }

    /// Adam (Kingma and Ba 2015) with bias correction.
    @Test("Adam: moments, bias correction, decay on weights only, mask after the step")
    func adam() {
        var options = TrainingOptions(epochs: 1, seed: 1)
        options.weightDecay = 0.01
        let rate = 0.05
        let trained = Self.compare(options, rate: rate) { value, gradient, step, m, v in
            m = 0.9 * m + 0.1 * gradient
            v = 0.999 * v + 0.001 * gradient * gradient
            let t = Double(step + 1)
            return value - rate * (m / (1 - pow(0.9, t))) / ((v / (1 - pow(0.999, t))).squareRoot() + 1e-8)
        }
        #expect(trained[0].weights[1] == 0, "the masked weight stays zero")
        #expect(trained[1].weights[2] != 0, "an unmasked weight starting at zero moves")
    }

    @Test("SGD with momentum: velocity, decay on weights only")
    func sgd() {
        var options = TrainingOptions(epochs: 1, seed: 1)
        options.optimizer = .sgd
        options.momentum = 0.8
        options.weightDecay = 0.1
        let rate = 0.1
        _ = Self.compare(options, rate: rate) { value, gradient, _, velocity, _ in
            velocity = 0.8 * velocity + gradient
            return value - rate * velocity
        }
    }
}
