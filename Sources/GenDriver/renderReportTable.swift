// GenDriver/renderReportTable.swift - The per-layer table printed after every run.

/// How the terminal summary is printed (`--report-format`).
package enum ReportFormat: String, Sendable, CaseIterable {
    /// Aligned plain-text columns.
    case text
    /// A Markdown table, for pasting into notes and pull requests.
    case md
    /// The JSON report itself.
    case json
}

/// The per-layer table in the vocabulary of ST's `analyze`: MACC (multiply-accumulates), ROM
/// (bytes of constant tables: weights, indices, bias and shifts) and RAM (activation bytes).
package func renderReportTable(_ report: ModelReport, format: ReportFormat) -> String {
    if format == .json { return report.json }
    let header = ["layer", "type", "shape", "method", "k/n", "sparsity", "PQI", "MACC", "ROM w", "ROM idx", "ROM other", "RAM out"]
    var rows: [[String]] = []
    var totals = (macs: 0, weights: 0, indices: 0, other: 0)
    for layer in report.layers {
        rows.append([
            layer.name, layer.type, layer.outputShape.map(String.init).joined(separator: "x"), layer.method,
            layer.structure, layer.sparsity.map { percent($0) } ?? "", layer.pqIndex.map { fixed3($0) } ?? "",
            String(layer.macs), String(layer.weightBytes), String(layer.indexBytes), String(layer.otherBytes),
            String(layer.outputBytes),
        ])
        totals.macs += layer.macs
        totals.weights += layer.weightBytes
        totals.indices += layer.indexBytes
        totals.other += layer.otherBytes
    }
    let rom = totals.weights + totals.indices + totals.other
    rows.append([
        "total", "", "", "", "", "", "", String(totals.macs), String(totals.weights), String(totals.indices),
        String(totals.other), "arena \(report.arenaBytes)",
    ])
    let summary = "MACC \(totals.macs), ROM \(rom) bytes (weights \(totals.weights), indices \(totals.indices), bias+shifts \(totals.other)), RAM \(report.arenaBytes) bytes (static arena)"
    switch format {
    case .md:
        var out = "| " + header.joined(separator: " | ") + " |\n"
        out += "|" + header.map { _ in "---" }.joined(separator: "|") + "|\n"
        for row in rows { out += "| " + row.joined(separator: " | ") + " |\n" }
        return out + "\n" + summary + "\n"
    case .text, .json:
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).enumerated().map { index, pair in
                // Names and words left-aligned, numbers right-aligned.
                index < 5 ? pad(pair.0, pair.1, left: true) : pad(pair.0, pair.1, left: false)
            }.joined(separator: "  ")
        }
        var out = line(header) + "\n"
        out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        for row in rows.dropLast() { out += line(row) + "\n" }
        out += widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        out += line(rows.last!) + "\n"
        return out + summary + "\n"
    }
}

private func pad(_ text: String, _ width: Int, left: Bool) -> String {
    let fill = String(repeating: " ", count: max(width - text.count, 0))
    return left ? text + fill : fill + text
}

private func percent(_ value: Double) -> String {
    let tenths = Int((value * 1000).rounded())
    return "\(tenths / 10).\(tenths % 10)%"
}

private func fixed3(_ value: Double) -> String {
    let thousandths = Int((value * 1000).rounded())
    let fraction = String(thousandths % 1000)
    return "\(thousandths / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
}
