// GenDriver/renderVerification.swift - The `gen verify` summary, laid out like ST's `validate`.

/// Accuracy and error metrics overall, then per output.
package func renderVerification(_ result: VerificationResult, dataPath: String) -> String {
    func number(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        let sign = scaled < 0 ? "-" : ""
        let magnitude = abs(scaled)
        let fraction = String(magnitude % Int(scale))
        return sign + "\(magnitude / Int(scale))." + String(repeating: "0", count: digits - fraction.count) + fraction
    }
    func pad(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(width - text.count, 0)) + text }
    func row(_ label: String, _ metrics: ErrorMetrics, accuracy: Double?) -> String {
        label.padding(toLength: 24, withPad: " ", startingAt: 0)
            + pad(accuracy.map { number($0, 2) + "%" } ?? "-", 9) + pad(number(metrics.rmse, 5), 10)
            + pad(number(metrics.mae, 5), 10) + pad(number(metrics.l2r, 5), 10) + pad(number(metrics.cosine, 5), 10)
            + "\n"
    }
    var out = "gen verify: \(result.samples) samples of \(dataPath), outputs compared before any final softmax\n"
    out += "C against".padding(toLength: 24, withPad: " ", startingAt: 0) + pad("acc(ref)", 9) + pad("rmse", 10)
        + pad("mae", 10) + pad("l2r", 10) + pad("cosine", 10) + "\n"
    out += row("pruned float model", result.againstPruned, accuracy: result.accuracyPruned)
    out += row("unpruned float model", result.againstUnpruned, accuracy: result.accuracyUnpruned)
    if let c = result.accuracyC, let pruned = result.accuracyPruned, let unpruned = result.accuracyUnpruned {
        out += "accuracy: generated C \(number(c, 2))%, pruned float \(number(pruned, 2))%, unpruned float \(number(unpruned, 2))%\n"
    }
    out += "per output (C vs pruned float):\n"
    for (index, metrics) in result.againstPrunedPerOutput.enumerated() {
        out += row("  output \(index)", metrics, accuracy: nil)
    }
    return out
}
