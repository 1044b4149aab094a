// GenLearn/Loss.swift - Softmax cross-entropy on the logits.

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
        let peak = slice.max() ?? 0
        let exps = slice.map { exp($0 - peak) }
        let total = exps.reduce(0, +)
        var best = 0
        for c in 0..<classes {
            let probability = exps[c] / total
            gradient[row * classes + c] = (probability - (c == labels[row] ? 1 : 0)) / Double(batch)
            if slice[slice.startIndex + c] > slice[slice.startIndex + best] { best = c }
        }
        loss -= log(max(exps[labels[row]] / total, 1e-300))
        if best == labels[row] { correct += 1 }
    }
    return (loss / Double(batch), gradient, correct)
}
