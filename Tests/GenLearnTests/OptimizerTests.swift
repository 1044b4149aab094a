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

    /// Adam (Kingma and Ba 2015) with bias correction, L2 decay added to the weights' gradients only,
    /// masked weights set to zero after the step; written out here independently of the trainer.
    @Test("Adam: moments, bias correction, decay on weights only, mask after the step")
    func adam() {
        var options = TrainingOptions(epochs: 1, seed: 1)
        options.weightDecay = 0.01
        let rate = 0.05
        var parameters = Self.start()
        var state = OptimizerState(parameters)
        var expected = Self.start()
        var m = expected.map { [Double](repeating: 0, count: $0.weights.count + $0.bias.count) }
        var v = m
        for step in 0..<3 {
            state.apply(Self.gradients(step: step), to: &parameters, rate: rate, options: options)
            let g = Self.gradients(step: step)
            let t = Double(step + 1)
            for p in expected.indices {
                let count = expected[p].weights.count
                for i in 0..<(count + expected[p].bias.count) {
                    let value = i < count ? expected[p].weights[i] : expected[p].bias[i - count]
                    let gradient = i < count ? g.weights[p][i] + 0.01 * value : g.bias[p][i - count]
                    m[p][i] = 0.9 * m[p][i] + 0.1 * gradient
                    v[p][i] = 0.999 * v[p][i] + 0.001 * gradient * gradient
                    let mHat = m[p][i] / (1 - pow(0.9, t))
                    let vHat = v[p][i] / (1 - pow(0.999, t))
                    let updated = value - rate * mHat / (vHat.squareRoot() + 1e-8)
                    if i < count { expected[p].weights[i] = updated } else { expected[p].bias[i - count] = updated }
                }
                expected[p].applyMask()
            }
            for p in expected.indices {
                for (got, want) in zip(parameters[p].weights + parameters[p].bias, expected[p].weights + expected[p].bias) {
                    #expect(abs(got - want) <= 1e-12 * max(1, abs(want)), "step \(step), tensor \(p)")
                }
            }
        }
        #expect(parameters[0].weights[1] == 0, "the masked weight stays zero")
        #expect(parameters[1].weights[2] != 0, "an unmasked weight starting at zero moves")
    }

    @Test("SGD with momentum: velocity, decay on weights only")
    func sgd() {
        var options = TrainingOptions(epochs: 1, seed: 1)
        options.optimizer = .sgd
        options.momentum = 0.8
        options.weightDecay = 0.1
        let rate = 0.1
        var parameters = Self.start()
        var state = OptimizerState(parameters)
        var expected = Self.start()
        var velocity = expected.map { [Double](repeating: 0, count: $0.weights.count + $0.bias.count) }
        for step in 0..<3 {
            state.apply(Self.gradients(step: step), to: &parameters, rate: rate, options: options)
            let g = Self.gradients(step: step)
            for p in expected.indices {
                let count = expected[p].weights.count
                for i in 0..<(count + expected[p].bias.count) {
                    let value = i < count ? expected[p].weights[i] : expected[p].bias[i - count]
                    let gradient = i < count ? g.weights[p][i] + 0.1 * value : g.bias[p][i - count]
                    velocity[p][i] = 0.8 * velocity[p][i] + gradient
                    let updated = value - rate * velocity[p][i]
                    if i < count { expected[p].weights[i] = updated } else { expected[p].bias[i - count] = updated }
                }
                expected[p].applyMask()
            }
            for p in expected.indices {
                for (got, want) in zip(parameters[p].weights + parameters[p].bias, expected[p].weights + expected[p].bias) {
                    #expect(abs(got - want) <= 1e-12 * max(1, abs(want)), "step \(step), tensor \(p)")
                }
            }
        }
    }
}
