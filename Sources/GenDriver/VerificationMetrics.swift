// GenDriver/VerificationMetrics.swift - Error metrics between two sets of outputs (ST `validate` style).

import Foundation

/// rmse, mae, relative L2 and cosine of `actual` against `expected`, per output and overall.
package struct ErrorMetrics: Sendable, Equatable {
    package var rmse: Double
    package var mae: Double
    /// ‖actual − expected‖₂ / ‖expected‖₂.
    package var l2r: Double
    package var cosine: Double

    /// Metrics over all values of all samples (`values` are the pairs to compare).
    package static func of(_ pairs: [(actual: Double, expected: Double)]) -> ErrorMetrics {
        var squared = 0.0, absolute = 0.0, norm = 0.0, actualNorm = 0.0, dot = 0.0
        for (actual, expected) in pairs {
            let difference = actual - expected
            squared += difference * difference
            absolute += abs(difference)
            norm += expected * expected
            actualNorm += actual * actual
            dot += actual * expected
        }
        let count = Double(max(pairs.count, 1))
        let l2r = norm > 0 ? (squared / norm).squareRoot() : (squared > 0 ? .infinity : 0)
        let cosine = norm > 0 && actualNorm > 0 ? dot / (norm * actualNorm).squareRoot() : (squared == 0 ? 1 : 0)
        return ErrorMetrics(rmse: (squared / count).squareRoot(), mae: absolute / count, l2r: l2r, cosine: cosine)
    }
}

/// Everything `gen verify` measured.
package struct VerificationResult: Sendable {
    package var samples: Int
    /// Top-1 accuracy (when labels exist) of the generated C, the pruned float model and the unpruned one.
    package var accuracyC: Double?
    package var accuracyPruned: Double?
    package var accuracyUnpruned: Double?
    /// Generated C against the pruned float model (the model the C implements), overall and per output.
    package var againstPruned: ErrorMetrics
    package var againstPrunedPerOutput: [ErrorMetrics]
    /// Generated C against the unpruned float model: what pruning and quantization cost together.
    package var againstUnpruned: ErrorMetrics
    package var againstUnprunedPerOutput: [ErrorMetrics]
    /// Tolerances exceeded (`--max-l2r` ...), as error messages; empty when all hold.
    package var violations: [String]
}

/// Index of the largest value (first one on ties).
package func argmax(_ values: [Double]) -> Int {
    var best = 0
    for index in values.indices where values[index] > values[best] { best = index }
    return best
}
