// GenLearn/Loss.swift - Softmax cross-entropy on the logits, and the softmaxes it and distillation use.

import Foundation

/// Mean softmax cross-entropy over a batch, its gradient with respect to the logits, and the
/// number of correct top-1 predictions.
func softmaxCrossEntropy(_ logits: [Double], labels: [Int], classes: Int) -> (loss: Double, gradient: [Double], correct: Int) {
    let batch = labels.count
    var gradient = [Double](repeating: 0, count: logits.count)
    var loss = 0.0
    var correct = 0
    for row in 0..<batch {
        let slice = logits[(row * classes)..<((row + 1) * classes)]
        let probabilities = temperedSoftmax(slice, temperature: 1)
        var best = 0
        for c in 0..<classes {
            gradient[row * classes + c] = (probabilities[c] - (c == labels[row] ? 1 : 0)) / Double(batch)
            if slice[slice.startIndex + c] > slice[slice.startIndex + best] { best = c }
        }
        loss -= log(max(probabilities[labels[row]], 1e-300))
        if best == labels[row] { correct += 1 }
    }
    return (loss / Double(batch), gradient, correct)
}

/// softmax(values / temperature), shifted by the largest value so that exp cannot overflow (x / 1 is
/// exact, so at temperature 1 this is the plain softmax bit for bit).
func temperedSoftmax(_ values: ArraySlice<Double>, temperature: Double) -> [Double] {
    let peak = values.max() ?? 0
    let exps = values.map { exp(($0 - peak) / temperature) }
    let total = exps.reduce(0, +)
    return exps.map { $0 / total }
}

/// log softmax(values / temperature), shifted by the largest value so that exp cannot overflow.
func logSoftmax(_ values: ArraySlice<Double>, temperature: Double) -> [Double] {
    let peak = values.max() ?? 0
    let scaled = values.map { ($0 - peak) / temperature }
    let logTotal = log(scaled.reduce(0) { $0 + exp($1) })
    return scaled.map { $0 - logTotal }
}
