// GenDriver/fineTunePruned.swift - Fine-tuning of a magnitude k-of-n or DARB model with --data.

import GenCompress
import GenLearn
import GenModel

/// Fine-tunes `pruned` for `resolved.epochs`:
/// - k-of-n with its masks held fixed (`--schedule oneshot`), or with `gradual` by projected gradient
///   descent: after every optimizer step each group keeps its k largest weights by magnitude, k
///   shrinking from n to K over the first half (`gradualK`); a zeroed weight still gets gradients,
///   so one that a single step grows past a kept weight (one shrunk towards zero) takes its place;
/// - DARB by projected gradient descent: after every optimizer step each block keeps only its
///   largest weight, with block sizes that grow gradually from 1 to each row's own size over the
///   first half (the k-of-n schedule's cubic, `gradualBlock`), so kept positions may move.
/// Both projections run under SR-STE by default (`--sr-ste`, `StraightThroughProjection`): the
/// dropped weights live on behind the projection instead of being set to zero.
func fineTunePruned(
    _ pruned: Graph, resolved: ResolvedOptions, data: DataFile, progress: ProgressReporter?
) -> (graph: Graph, summary: TrainingSummary) {
    let options = resolved.trainingOptions
    let isDARB: Bool
    switch resolved.prune {
    case .darb: isDARB = true
    case .none, .kOfN, .sap, .dpp, .edp: isDARB = false
    }
    let projected = isDARB || resolved.gradualPruning
    let projection = MaskProjection(masksOf: pruned, rampEpochs: resolved.epochs / 2, blockMax: isDARB)
    let straightThrough = resolved.straightThroughDecay.map {
        StraightThroughProjection(decay: $0) { projection.project($0, &$1, epoch: $2) }
    }
    let unmasked = pruned.withMasksRemoved()
    let trained = train(
        !projected ? pruned : straightThrough?.start(from: unmasked) ?? unmasked, on: data.train, options: options,
        onEpoch: { epoch in
            progress?.update(
                "fine-tune", done: epoch.epoch, total: resolved.epochs,
                detail: "loss \(fixed(epoch.loss, 4)), train accuracy \(fixed(epoch.trainAccuracy * 100, 2))%")
        },
        afterStep: projected
            ? { layerIndex, weights, rate, epoch in
                guard projection.projects(layerIndex) else { return }
                if let straightThrough {
                    straightThrough.step(layerIndex: layerIndex, weights: &weights, rate: rate, epoch: epoch)
                } else {
                    projection.project(layerIndex, &weights, epoch: epoch)
                }
            } : nil)
    let graph = projected ? remaskByMagnitude(trained.graph, masksFrom: pruned) : trained.graph
    var summary = TrainingSummary(options: options, history: trained.history, data: data, before: pruned, after: graph)
    let dropped = resolved.straightThroughDecay.map(straightThroughDescription)
    if resolved.gradualPruning {
        summary.masks = "gradual, projected after every step: each group keeps its k largest weights by magnitude (\(dropped ?? "the others set to zero; one that a single step grows past a kept weight takes its place")), k going from n to K over the first half of the epochs (kept fraction K/n + (1 - K/n)(1 - t/T)^3, Zhu and Gupta 2017), then K; the 'before' accuracies are of the one-shot K-of-n model"
    }
    if isDARB {
        summary.masks = "projected after every step: each block keeps only its largest weight (\(dropped ?? "the others set to zero")), block sizes growing from 1 to each row's own over the first half of the epochs (kept fraction 1/s + (1 - 1/s)(1 - t/T)^3, as large a power of two as keeps at least that), so kept positions may move; the 'before' accuracies are of the data-free DARB model"
    }
    return (graph, summary)
}

/// The report's words for SR-STE with decay `decay`.
func straightThroughDescription(_ decay: Double) -> String {
    "the dropped weights trained on behind the projection by SR-STE (Zhou et al. 2021: the step moves dense weights whose projection the network runs on; a dropped weight decays by \(decay) x the learning rate a step), so one that the loss keeps pulling past a kept one takes its place"
}
