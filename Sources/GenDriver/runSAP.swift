// GenDriver/runSAP.swift - `--prune sap`: the PQ index decides each layer's k; magnitude picks which.

import GenCompress
import GenLearn
import GenModel
import GenSupport

/// What SAP did, for the report and the trajectory files.
package struct SAPSummary: Sendable {
    package var options: SAPOptions
    package var n: Int
    /// Names of the pruned layers, in order, and the k each got.
    package var layerNames: [String]
    package var layerK: [Int]
    /// The fraction SAP kept per layer (before rounding to k of n).
    package var layerKeptFraction: [Double]
    package var trajectory: [SAPIterate]
    /// True for Algorithm 1 (rewind, retrain, prune) with --data; false for the data-free form.
    package var dataDriven: Bool
    /// Pruning steps that removed weights.
    package var pruneSteps: Int

    /// `iteration,kept_fraction,pqi_global,pqi_<layer>...`, one row per iteration.
    package var csv: String {
        var out = "iteration,kept_fraction,pqi_global" + layerNames.map { ",pqi_\(csvField($0))" }.joined() + "\n"
        for row in trajectory {
            out += "\(row.iteration),\(decimal(row.keptFraction)),\(decimal(row.globalPQIndex))"
            out += row.layerPQIndex.map { "," + decimal($0) }.joined() + "\n"
        }
        return out
    }

    /// The global PQ index (and the kept fraction) against the iteration, as an SVG line chart.
    package var svg: String {
        let width = 480.0, height = 260.0, left = 52.0, right = 16.0, top = 28.0, bottom = 40.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let last = Double(max(trajectory.last?.iteration ?? 1, 1))
        let highest = max(trajectory.map(\.globalPQIndex).max() ?? 0, 1e-6)
        func x(_ iteration: Int) -> Double { left + Double(iteration) / last * plotWidth }
        func y(_ value: Double, _ scale: Double) -> Double { top + plotHeight - value / scale * plotHeight }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        out += "<text x=\"\(Int(width / 2))\" y=\"16\" text-anchor=\"middle\">SAP (\(dataDriven ? "rewind and retrain" : "data-free"), \(options.scope.rawValue) scope): PQ index I(\(decimal(options.p)), \(decimal(options.q))) of the surviving weights</text>\n"
        out += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(plotWidth)\" height=\"\(plotHeight)\" fill=\"none\" stroke=\"#888\"/>\n"
        for tick in 0...4 {
            let value = highest * Double(tick) / 4
            out += "<text x=\"\(left - 4)\" y=\"\(decimal(y(value, highest) + 4))\" text-anchor=\"end\">\(decimal(value))</text>\n"
        }
        out += "<text x=\"\(left)\" y=\"\(Int(height - 22))\" text-anchor=\"middle\">0</text>\n"
        out += "<text x=\"\(left + plotWidth)\" y=\"\(Int(height - 22))\" text-anchor=\"middle\">\(Int(last))</text>\n"
        out += "<text x=\"\(Int(width / 2))\" y=\"\(Int(height - 8))\" text-anchor=\"middle\">iteration (dashed: kept fraction, 0 to 1)</text>\n"
        let pqi = trajectory.map { "\(decimal(x($0.iteration))),\(decimal(y($0.globalPQIndex, highest)))" }.joined(separator: " ")
        let kept = trajectory.map { "\(decimal(x($0.iteration))),\(decimal(y($0.keptFraction, 1)))" }.joined(separator: " ")
        out += "<polyline points=\"\(pqi)\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\"/>\n"
        out += "<polyline points=\"\(kept)\" fill=\"none\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>\n"
        out += "</svg>\n"
        return out
    }
}

/// Runs SAP on `graph` and returns the k-of-n pruned (and, with data, fine-tuned) graph.
///
/// Data-free (no data or --epochs 0): SAP's rule on the fixed weights until it prunes nothing
/// (algorithms.md §1.5). With data, the paper's Algorithm 1 with one difference, said in the report:
/// the weights are rewound to the given (trained) model's, not to a random initialization, since
/// gen starts from a trained model; each iteration retrains --epochs under the mask.
/// Either way the target needs static structure, so SAP's result becomes per-layer k-of-n:
/// k = ⌈n · the fraction SAP kept⌉, the k largest per group kept, then fine-tuned with data. With
/// `straightThroughDecay` (`--sr-ste`, the default) that fine-tuning projects onto those k-of-n after
/// every step by magnitude, under SR-STE (`StraightThroughProjection`), so magnitude keeps choosing
/// which weights while the loss moves them; without, the masks stay fixed.
func runSAP(
    _ graph: Graph, options: SAPOptions, n: Int, keepingWhole whole: Set<Int> = [], data: DataFile?,
    training trainingOptions: TrainingOptions, straightThroughDecay: Double?, progress: ProgressReporter?
) -> (graph: Graph, training: TrainingSummary?, summary: SAPSummary) {
    var state: SAPState
    var trajectory: [SAPIterate]
    var source = graph
    var pruneSteps = 0
    let epochs = trainingOptions.epochs
    let dataDriven = data != nil && epochs > 0
    if let data, dataDriven {
        state = SAPState(graph, keepingWhole: whole)
        trajectory = []
        for iteration in 0..<options.iterations {
            let rewound = state.masked(graph)
            let trained = train(rewound, on: data.train, options: trainingOptions) { epoch in
                progress?.update(
                    "sap", done: iteration * epochs + epoch.epoch, total: options.iterations * epochs,
                    detail: "iteration \(iteration + 1), train accuracy \(fixedText(epoch.trainAccuracy * 100))%")
            }
            source = trained.graph
            // The trajectory row is the retrained model before this iteration's pruning.
            trajectory.append(state.iterate(source, iteration: iteration, options: options))
            if state.prune(source, options: options) == 0 { break }
            pruneSteps += 1
        }
    } else {
        (state, trajectory) = sapDataFree(graph, options: options, keepingWhole: whole)
        pruneSteps = trajectory.count - 1
    }
    let perLayerK = state.perLayerK(n: n, graph: graph)
    var perLayer = perLayerK.mapValues { LayerKofN.kOfN(k: $0, n: n) }
    for index in whole { perLayer[index] = .unpruned }
    var pruned = pruneMagnitudeKofN(source.withMasksRemoved(), k: 1, n: n, perLayer: perLayer)
    var training: TrainingSummary?
    if let data, dataDriven {
        let before = pruned
        // Under SR-STE each step ends in the projection onto the k-of-n (k fixed: SAP has chosen it);
        // the masks are then taken from the trained weights.
        let projection = MaskProjection(masksOf: pruned, rampEpochs: 0, blockMax: false)
        let straightThrough = straightThroughDecay.map {
            StraightThroughProjection(decay: $0) { projection.project($0, &$1, epoch: $2) }
        }
        // The dense weights start at SAP's retrained ones, the network at their projection.
        let trained = train(
            straightThrough?.start(from: pruned.withMasksRemoved()) ?? pruned, on: data.train, options: trainingOptions,
            onEpoch: { epoch in
                progress?.update(
                    "fine-tune", done: epoch.epoch, total: epochs, detail: "train accuracy \(fixedText(epoch.trainAccuracy * 100))%")
            },
            afterStep: straightThrough.map { straightThrough in
                { layerIndex, weights, rate, epoch in
                    guard projection.projects(layerIndex) else { return }
                    straightThrough.step(layerIndex: layerIndex, weights: &weights, rate: rate, epoch: epoch)
                }
            })
        pruned = straightThrough == nil ? trained.graph : remaskByMagnitude(trained.graph, masksFrom: pruned)
        training = TrainingSummary(options: trainingOptions, history: trained.history, data: data, before: before, after: pruned)
        if let straightThroughDecay {
            training?.masks = "projected after every step onto SAP's per-layer k-of-n by magnitude, \(straightThroughDescription(straightThroughDecay))"
        }
    }
    let summary = SAPSummary(
        options: options, n: n, layerNames: state.layers.map { graph.layers[$0].name },
        layerK: state.layers.map { perLayerK[$0] ?? 1 },
        layerKeptFraction: state.kept.map { Double($0.filter { $0 }.count) / Double(max($0.count, 1)) },
        trajectory: trajectory, dataDriven: dataDriven, pruneSteps: pruneSteps)
    return (pruned, training, summary)
}

private func decimal(_ value: Double) -> String { JSONWriter.number((value * 1e6).rounded() / 1e6) }
private func fixedText(_ value: Double) -> String { decimal((value * 100).rounded() / 100) }
private func csvField(_ text: String) -> String {
    String(text.map { $0 == "," || $0 == "\n" || $0 == "\"" ? "_" : $0 })
}
