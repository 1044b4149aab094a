// GenDriver/readRecipe.swift - `--recipe FILE.json`: per-layer exceptions to the uniform pruning flags.
//
// The CLI contract prunes every dense and conv2d layer with the same --k/--n, "per-layer exceptions
// come only from an explicit recipe file". The file (documented in README):
//
//     {"version": 1, "layers": {"fc3": {"prune": false}, "conv1": {"k": 4, "n": 9}}}
//
// Each named layer either stays whole (`"prune": false`) or gets its own `k` and/or `n` (the one
// not given comes from --k/--n). Names are the model's layer names; only dense and conv2d layers
// can be named. With `--prune sap`, which chooses each layer's k itself, a recipe may only keep
// layers whole; with `--prune darb`, whose block sizes follow a sparsity, a layer gets its own
// `{"sparsity": S}` instead of k and n.

import GenModel
import GenSupport

/// What a recipe's entries may say, by pruning method.
enum RecipeForm {
    /// k-of-n and DPP: `{"prune": false}` or `k` and/or `n` (the other from these defaults).
    case kOfN(k: Int, n: Int)
    /// SAP, which chooses each layer's k: only `{"prune": false}`.
    case wholeOnly
    /// DARB: `{"prune": false}` or `{"sparsity": S}`, the layer's own fraction of weights removed.
    case sparsity
}

/// One recipe entry, as read.
enum LayerRecipe: Equatable {
    case unpruned
    case kOfN(k: Int, n: Int)
    case sparsity(Double)

    /// The entry as k-of-n pruning takes it (nil for a DARB sparsity, which `.kOfN` forms never read).
    var kOfN: LayerKofN? {
        switch self {
        case .unpruned: .unpruned
        case .kOfN(let k, let n): .kOfN(k: k, n: n)
        case .sparsity: nil
        }
    }

    /// The layer's own DARB sparsity, if the entry gives one.
    var sparsity: Double? {
        switch self {
        case .sparsity(let fraction): fraction
        case .unpruned, .kOfN: nil
        }
    }
}

/// The exceptions of a recipe file, by index in `graph.layers`, checked against `graph`.
/// - Throws: `GenFailure` with every problem, each located in the file.
func readRecipe(
    file: String, bytes: [UInt8], graph: Graph, form: RecipeForm, diagnostics: DiagnosticEngine
) throws(GenFailure) -> [Int: LayerRecipe] {
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
    var exceptions: [Int: LayerRecipe] = [:]
    let entryForms: String
    switch form {
    case .kOfN: entryForms = "{\"prune\": false} or {\"k\": K, \"n\": N}"
    case .wholeOnly: entryForms = "{\"prune\": false}"
    case .sparsity: entryForms = "{\"prune\": false} or {\"sparsity\": S}"
    }
    if let layersValue = top.required("layers", "an object from layer name to \(entryForms)"),
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
            switch form {
            case .kOfN, .wholeOnly: entry.rejectUnknownKeys(allowed: ["prune", "k", "n"])
            case .sparsity: entry.rejectUnknownKeys(allowed: ["prune", "k", "n", "sparsity"])
            }
            let prune = entry.optionalBool("prune") ?? true
            let k = entry.member("k").flatMap {
                entry.integer($0, pointer: entry.pointer(of: "k"), range: 1...Int(Int32.max), what: "K,")
            }
            let n = entry.member("n").flatMap {
                entry.integer($0, pointer: entry.pointer(of: "n"), range: 0...Int(Int32.max), what: "N (0: the whole fan-in),")
            }
            let sparsity = entry.member("sparsity").flatMap { value -> Double? in
                guard case .sparsity = form else { return nil }  // refused as an unknown key above
                guard let number = entry.number(value, pointer: entry.pointer(of: "sparsity")) else { return nil }
                guard number > 0 && number < 1 else {
                    diagnostics.error(
                        "expected a fraction of weights removed, greater than 0 and less than 1, found \(JSONWriter.number(number))",
                        at: SourceLocation(file: file, value: value, pointer: entry.pointer(of: "sparsity")))
                    return nil
                }
                return number
            }
            if !prune {
                if entry.has("k") || entry.has("n") || sparsity != nil {
                    let keys: String
                    switch form {
                    case .kOfN, .wholeOnly: keys = "'k' and 'n'"
                    case .sparsity: keys = "'k', 'n' and 'sparsity'"
                    }
                    diagnostics.error("'prune': false keeps every weight; remove \(keys)", at: entry.location)
                }
                exceptions[index] = .unpruned
                continue
            }
            switch form {
            case .wholeOnly:
                diagnostics.error(
                    "--prune sap chooses each layer's k itself (one --n for all); a recipe for it may only keep layers whole ({\"prune\": false}), not give k or n",
                    at: entry.location)
            case .sparsity:
                if entry.has("k") || entry.has("n") {
                    diagnostics.error(
                        "--prune darb adapts each row's block size to a sparsity; expected {\"sparsity\": S} or {\"prune\": false}, not k or n",
                        at: entry.location)
                } else if !entry.has("sparsity") {
                    diagnostics.error("expected {\"prune\": false} or {\"sparsity\": S}", at: entry.location)
                } else if let sparsity {
                    exceptions[index] = .sparsity(sparsity)
                }
            case .kOfN(let defaultK, let defaultN):
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
    }
    if case .wholeOnly = form, !names.isEmpty, exceptions.count == names.count {  // here every entry is .unpruned
        diagnostics.error(
            "every dense and conv2d layer is kept whole, so --prune sap has nothing to prune; expected at least one layer left to SAP (or --prune none)",
            at: top.location(of: "layers"))
    }
    try diagnostics.checkpoint()
    return exceptions
}
