// GenCompress/Analysis/pqIndex.swift - The PQ index of a weight vector (Diao et al., ICLR 2023).

import Foundation

/// I_{p,q}(w) = 1 − d^{1/q − 1/p} · ‖w‖_p / ‖w‖_q over the d kept weights (larger = sparser).
/// Returns 0 for an empty or all-zero vector, and clamps tiny negative rounding results to 0,
/// as the authors' code does.
package func pqIndex(_ weights: [Double], p: Double = 0.5, q: Double = 1) -> Double {
    let d = Double(weights.count)
    guard d > 0 else { return 0 }
    let meanP = weights.reduce(0) { $0 + pow(abs($1), p) } / d
    let meanQ = weights.reduce(0) { $0 + pow(abs($1), q) } / d
    guard meanQ > 0 else { return 0 }
    let index = 1 - pow(meanP, 1 / p) / pow(meanQ, 1 / q)
    return index.isFinite ? max(index, 0) : 0
}
