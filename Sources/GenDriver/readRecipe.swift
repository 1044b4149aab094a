// GenDriver/readRecipe.swift - `--recipe FILE.json`: per-layer exceptions to the uniform k-of-n.
//
// The CLI contract prunes every dense and conv2d layer with the same --k/--n, "per-layer exceptions
// come only from an explicit recipe file". The file (documented in README):
//
//     {"version": 1, "layers": {"fc3": {"prune": false}, "conv1": {"k": 4, "n": 9}}}
//
// Each named layer either stays whole (`"prune": false`) or gets its own `k` and/or `n` (the one
// not given comes from --k/--n). Names are the model's layer names; only dense and conv2d layers
// can be named. With `--prune sap`, which chooses each layer's k itself, a recipe may only keep
// layers whole.

import GenModel
import GenSupport

/// The exceptions of a recipe file, by index in `graph.layers`, checked against `graph`.
/// - Throws: `GenFailure` with every problem, each located in the file.
func readRecipe(
    file: String, bytes: [UInt8], graph: Graph, k defaultK: Int, n defaultN: Int, wholeOnly: Bool = false,
    diagnostics: DiagnosticEngine
) throws(GenFailure) -> [Int: LayerKofN] {
    guard let root = parseJSONDocument(file: file, bytes: bytes, diagnostics: diagnostics),
        let top = JSONObjectReader(root, pointer: "", file: file, diagnostics: diagnostics, what: "a recipe object")
    else { throw GenFailure(diagnostics: diagnostics.diagnostics) }
    top.rejectUnknownKeys(allowed: ["version", "layers", "description"])
    if let version = top.required("version", "the integer 1") {
        if case .number(1) = version.kind {} else {
            diagnostics.error("unsupported version; expected 1", at: top.location(of: "version"))
        }
    }
    _ = top.optionalString("description")
    var prunable: [String: Int] = [:]
    for (index, layer) in graph.layers.enumerated() {
        switch layer.op {
        case .dense, .conv2d: prunable[layer.name] = index
        case .maxPool2d, .avgPool2d, .flatten, .activation, .softmax: break
        }
    }
    let names = graph.layers.indices.filter { prunable[graph.layers[$0].name] == $0 }.map { graph.layers[$0].name }
    var exceptions: [Int: LayerKofN] = [:]
    if let layersValue = top.required("layers", "an object from layer name to {\"prune\": false} or {\"k\": K, \"n\": N}"),
        let layers = JSONObjectReader(layersValue, pointer: top.pointer(of: "layers"), file: file, diagnostics: diagnostics)
    {
        for (name, value) in layers.members {
            guard let index = prunable[name] else {
                diagnostics.error(
                    "no dense or conv2d layer named '\(name)' in the model; expected one of \(names.map { "'\($0)'" }.joined(separator: ", "))",
                    at: SourceLocation(file: file, value: value, pointer: layers.pointer(of: name)))
                continue
            }
            guard let entry = JSONObjectReader(value, pointer: layers.pointer(of: name), file: file, diagnostics: diagnostics)
            else { continue }
            entry.rejectUnknownKeys(allowed: ["prune", "k", "n"])
            let prune = entry.optionalBool("prune") ?? true
            let k = entry.member("k").flatMap {
                entry.integer($0, pointer: entry.pointer(of: "k"), range: 1...Int(Int32.max), what: "K,")
            }
            let n = entry.member("n").flatMap {
                entry.integer($0, pointer: entry.pointer(of: "n"), range: 0...Int(Int32.max), what: "N (0: the whole fan-in),")
            }
            if !prune {
                if entry.has("k") || entry.has("n") {
                    diagnostics.error("'prune': false keeps every weight; remove 'k' and 'n'", at: entry.location)
                }
                exceptions[index] = .unpruned
                continue
            }
            if wholeOnly {
                diagnostics.error(
                    "--prune sap chooses each layer's k itself (one --n for all); a recipe for it may only keep layers whole ({\"prune\": false}), not give k or n",
                    at: entry.location)
                continue
            }
            guard entry.has("k") || entry.has("n") else {
                diagnostics.error("expected {\"prune\": false} or 'k' and/or 'n'", at: entry.location)
                continue
            }
            let (layerK, layerN) = (k ?? defaultK, n ?? defaultN)
            if layerN > 0 && layerK > layerN {
                diagnostics.error("expected K <= N, found K = \(layerK) > N = \(layerN)", at: entry.location)
                continue
            }
            exceptions[index] = .kOfN(k: layerK, n: layerN)
        }
    }
    if wholeOnly, !names.isEmpty, exceptions.count == names.count {  // with wholeOnly every entry is .unpruned
        diagnostics.error(
            "every dense and conv2d layer is kept whole, so --prune sap has nothing to prune; expected at least one layer left to SAP (or --prune none)",
            at: top.location(of: "layers"))
    }
    try diagnostics.checkpoint()
    return exceptions
}
