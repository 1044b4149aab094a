// GenDriver/plotMasks.swift - `--plot DIR`: one SVG per pruned layer, kept weights as dark pixels.

import GenCompress
import GenEmitC
import GenLowering
import GenModel

/// One picture per dense/conv2d layer: a row per output unit, a column per fan-in position
/// (`[in]` for dense, `[in_ch, kh, kw]` for conv2d), dark where the weight is kept. Runs of kept
/// weights are drawn as one line each, so even large layers stay small files. Group boundaries of
/// k-of-n are marked by faint vertical lines.
package func plotMasks(_ quantized: QuantizedGraph) -> [GeneratedFile] {
    var files: [GeneratedFile] = []
    for (index, layer) in quantized.layers.enumerated() {
        let weights: QuantizedWeights
        switch layer.op {
        case .dense(_, let q), .conv2d(_, let q): weights = q
        case .maxPool2d, .avgPool2d, .flatten, .clamp, .softmax: continue
        }
        let name = sanitizedFileName(layer.layer.name)
        files.append(
            GeneratedFile(
                name: "\(threeDigits(index))_\(name)_mask.svg",
                contents: maskSVG(weights, title: CNamer.commentText(layer.layer.name))))
    }
    return files
}

private func maskSVG(_ weights: QuantizedWeights, title: String) -> String {
    let (rows, columns) = (weights.rows, weights.fanIn)
    // Scale small layers up so a pixel is visible; a 2-pixel margin, 14 pixels of caption.
    let scale = max(1, min(8, 800 / max(columns, 1)))
    let width = max(columns * scale + 4, 240)  // room for the caption
    let height = rows * scale + 4 + 14
    let kept = weights.mask?.kept ?? Array(repeating: true, count: rows * columns)
    let keptCount = kept.filter { $0 }.count
    var svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\">\n"
    let structure = weights.mask.map { "\($0.k) of \($0.n)" } ?? "dense"
    svg += "<title>\(escaped(title)): \(rows) outputs x \(columns) inputs, \(structure), \(keptCount) kept</title>\n"
    svg += "<rect x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\" fill=\"#ffffff\"/>\n"
    svg += "<text x=\"2\" y=\"11\" font-family=\"monospace\" font-size=\"10\" fill=\"#000000\">\(escaped(title)) \(structure): \(keptCount)/\(rows * columns) kept</text>\n"
    if let mask = weights.mask, mask.n < columns {
        svg += "<g stroke=\"#c8c8ff\" stroke-width=\"1\">\n"
        var column = mask.n
        while column < columns {
            let x = 2 + column * scale
            svg += "<line x1=\"\(x)\" y1=\"16\" x2=\"\(x)\" y2=\"\(height - 2)\"/>\n"
            column += mask.n
        }
        svg += "</g>\n"
    }
    // One path per row: a horizontal stroke for each run of kept weights (the "kept" class counts cells).
    svg += "<g class=\"kept\" stroke=\"#000000\" stroke-width=\"\(scale)\" fill=\"none\">\n"
    for row in 0..<rows {
        var segments = ""
        var column = 0
        while column < columns {
            guard kept[row * columns + column] else {
                column += 1
                continue
            }
            let start = column
            while column < columns && kept[row * columns + column] { column += 1 }
            let y = 16 + row * scale + scale / 2
            segments += "M\(2 + start * scale) \(y)h\((column - start) * scale)"
        }
        if !segments.isEmpty { svg += "<path data-row=\"\(row)\" d=\"\(segments)\"/>\n" }
    }
    svg += "</g>\n</svg>\n"
    return svg
}

private func escaped(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        .replacingOccurrences(of: ">", with: "&gt;")
}

private func sanitizedFileName(_ name: String) -> String {
    String(name.unicodeScalars.map { scalar -> Character in
        let ok = (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || (scalar >= "0" && scalar <= "9")
            || scalar == "_" || scalar == "-"
        return ok ? Character(scalar) : "_"
    })
}

/// A whole number with at least three digits: 7 -> "007".
private func threeDigits(_ value: Int) -> String {
    let text = String(value)
    return String(repeating: "0", count: max(0, 3 - text.count)) + text
}
