// GenModel/Reader/loadModel.swift - Stage 1-2 entry point: model.json bytes -> Graph.

import GenSupport

/// Reads a model.json v1 document and builds the graph (shapes inferred, batchnorm folded).
///
/// Every problem in the file is reported with its line, column and JSON pointer before stopping.
/// - Throws: `GenFailure` when any error was found.
package func loadModel(file: String, bytes: [UInt8], diagnostics: DiagnosticEngine) throws(GenFailure) -> Graph {
    guard let root = parseJSONDocument(file: file, bytes: bytes, diagnostics: diagnostics),
        let top = JSONObjectReader(root, pointer: "", file: file, diagnostics: diagnostics, what: "a model object")
    else { throw GenFailure(diagnostics: diagnostics.diagnostics) }

    top.rejectUnknownKeys(allowed: ["version", "name", "input", "layers", "labels", "metadata"])
    if let version = top.required("version", "the integer 1") {
        if case .number(1) = version.kind {} else {
            diagnostics.error("unsupported version; expected 1", at: top.location(of: "version"))
        }
    }
    let name = top.requiredString("name").flatMap { checkedModelName($0, at: top.location(of: "name"), diagnostics: diagnostics) }
    let input = readInput(top)
    var rawLayers: [RawLayer] = []
    var layersOK = false
    if let layersValue = top.required("layers", "an array of layers") {
        if case .array(let elements) = layersValue.kind {
            if elements.isEmpty {
                diagnostics.error("expected at least one layer", at: top.location(of: "layers"))
            }
            layersOK = !elements.isEmpty
            for (index, element) in elements.enumerated() {
                if let layer = readLayer(element, index: index, file: file, diagnostics: diagnostics) {
                    rawLayers.append(layer)
                } else {
                    layersOK = false
                }
            }
        } else {
            diagnostics.error(
                "expected an array of layers, found \(layersValue.typeDescription)", at: top.location(of: "layers"))
        }
    }
    // Free-form, but an object (model-json.md), carried untouched: its numbers keep their text.
    var metadata: JSONValue?
    if let value = top.member("metadata") {
        if case .object = value.kind {
            metadata = keepingNumberText(value, in: bytes)
        } else {
            diagnostics.error("expected an object of free-form metadata, found \(value.typeDescription)", at: top.location(of: "metadata"))
        }
    }
    var labels: [String]?
    if top.has("labels") {
        labels = top.optionalStringArray("labels")
    }
    try diagnostics.checkpoint()
    guard let name, let input, layersOK else { throw GenFailure(diagnostics: diagnostics.diagnostics) }

    let graph = buildGraph(
        name: name, inputShape: input.shape, inputRange: input.range, rawLayers: rawLayers, labels: labels,
        labelsLocation: top.location(of: "labels"), metadata: metadata, origin: top.location,
        diagnostics: diagnostics)
    try diagnostics.checkpoint()
    guard let graph else { throw GenFailure(diagnostics: diagnostics.diagnostics) }
    return graph
}

/// Checks the model name: `[A-Za-z_][A-Za-z0-9_]*` after lower-casing; returns the lower-cased name.
package func checkedModelName(_ name: String, at location: SourceLocation?, diagnostics: DiagnosticEngine? = nil)
    -> String?
{
    let lowered = name.lowercased()
    if isCIdentifier(lowered) { return lowered }
    diagnostics?.error(
        "name '\(name)' is not a valid C identifier prefix; expected [A-Za-z_][A-Za-z0-9_]*", at: location)
    return nil
}

/// True for `[A-Za-z_][A-Za-z0-9_]*` in ASCII.
package func isCIdentifier(_ text: String) -> Bool {
    guard let first = text.unicodeScalars.first else { return false }
    func isLetter(_ c: Unicode.Scalar) -> Bool { (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c == "_" }
    return isLetter(first) && text.unicodeScalars.allSatisfy { isLetter($0) || ($0 >= "0" && $0 <= "9") }
}

private func readInput(_ top: JSONObjectReader) -> (shape: [Int], range: (low: Double, high: Double))? {
    guard let value = top.required("input", "an object {\"shape\": [...]}") else { return nil }
    guard let input = JSONObjectReader(value, pointer: top.pointer(of: "input"), file: top.file,
        diagnostics: top.diagnostics)
    else { return nil }
    input.rejectUnknownKeys(allowed: ["shape", "range"])
    var shape: [Int]?
    if input.required("shape", "[N] or [C, H, W]") != nil {
        shape = input.integerArray("shape", count: nil, range: 1...Int(Int32.max), what: "[N] or [C, H, W]")
        if let given = shape, given.count != 1 && given.count != 3 {
            top.diagnostics.error(
                "expected [N] for vectors or [C, H, W] for images, found \(given.count) dimensions",
                at: input.location(of: "shape"))
            shape = nil
        }
    }
    var range = (low: -1.0, high: 1.0)
    if let rangeValue = input.member("range") {
        guard case .array(let bounds) = rangeValue.kind, bounds.count == 2 else {
            top.diagnostics.error("expected [lo, hi] with 2 numbers", at: input.location(of: "range"))
            return nil
        }
        guard let low = input.number(bounds[0], pointer: input.pointer(of: "range") + "/0"),
            let high = input.number(bounds[1], pointer: input.pointer(of: "range") + "/1")
        else { return nil }
        guard low < high else {
            top.diagnostics.error("expected lo < hi, found [\(low), \(high)]", at: input.location(of: "range"))
            return nil
        }
        range = (low, high)
    }
    guard let shape else { return nil }
    return (shape, range)
}
