// GenLowering/lowerDenseWhereConstantOutputsPay.swift - "Does sparsity pay?" for a layer and the one that reads it.

/// The least fraction of the estimated instructions a dense pair must save (see below).
let denseMargin = 0.1

/// Lowers a weighted layer and its consumer dense together where that is estimated faster than the forms
/// chosen layer by layer, because dense they leave out the layer's constant outputs.
///
/// The per-layer choice (`estimateLayerCost`) prices a dense form with every row. But a dense layer whose
/// consumer is dense too stops computing the outputs proven constant (`removeConstantOutputs`,
/// `removeConstantChannels`), and the consumer reads fewer columns: trained units that never pass their
/// relu are such outputs (the wide digits CNN's conv2 has 16 of 32). Of the sparse forms a dense k-of-n
/// layer with its own indices per row before a dense consumer, and a dense or conv2d layer with vector-wise
/// sets before a dense consumer (plain or with sets), save their constant rows too (`constantsForSets`).
///
/// So for each producer and consumer of which at least one is not plain dense, the pair is tried dense
/// with the removal done, and kept where the cost model (`instructions`) prices the two steps at least
/// `denseMargin` below their present forms as they will be lowered. The margin is there because dense
/// tables cost flash (2 to 3 times the sparse ones in the digits CNNs at 2/16) and the cost model errs:
/// on the layers it was fitted to up to 4.7 % dense, 6.3 % conv2d, 4.9 % conv2d k-of-n, 10.4 % and 15 %
/// dense k-of-n (Benchmarks/mcu-calibration.md), more outside them (14 % on a conv2d at 1 of 16); a gain
/// inside that error is not worth the flash, and the margin is a compromise, not a bound.
///
/// Left to right, so a consumer made dense is the next pair's producer with its columns already reduced.
/// `denseForm` lowers a layer (its index) dense; only steps that are not plain dense are re-lowered, so
/// the columns an earlier pair removed stay removed.
func lowerDenseWhereConstantOutputsPay(
    _ kinds: inout [(StepKind, Int)], denseForm: (Int) -> StepKind, instructions: (StepKind) -> Double?,
    activationRange: ClosedRange<Int64>, rowPairs: (WeightedStepData) -> Bool
) {
    for producer in kinds.indices {
        // The step that would read its outputs in their new order: the next one for a dense layer, the first
        // weighted one across pools and clamps for a conv2d; it must be dense.
        let next: Int?
        switch kinds[producer].0 {
        case .dense: next = producer + 1 < kinds.count ? producer + 1 : nil
        case .conv2d: next = channelConsumer(after: producer, in: kinds)?.position
        case .maxPool2d, .avgPool2d, .clamp: next = nil
        }
        guard let consumer = next, case .dense = kinds[consumer].0 else { continue }
        guard let producerData = kinds[producer].0.weightedData, let consumerData = kinds[consumer].0.weightedData,
            !(isPlainDenseTable(producerData) && isPlainDenseTable(consumerData))
        else { continue }
        // The present forms as they will be lowered: a k-of-n or sets producer before a dense consumer leaves
        // its constant outputs out too.
        var present = kinds
        _ = removeConstantOutputs(at: producer, &present, activationRange: activationRange, rowPairs: rowPairs)
            ?? removeConstantChannels(at: producer, &present, activationRange: activationRange, rowPairs: rowPairs)
        guard let producerNow = instructions(present[producer].0), let consumerNow = instructions(present[consumer].0)
        else { continue }
        let before = producerNow + consumerNow
        var trial = kinds
        for position in [producer, consumer] where !isPlainDenseTable(trial[position].0.weightedData!) {
            trial[position].0 = denseForm(trial[position].1)
        }
        let removed =
            removeConstantOutputs(at: producer, &trial, activationRange: activationRange, rowPairs: rowPairs)
            ?? removeConstantChannels(at: producer, &trial, activationRange: activationRange, rowPairs: rowPairs)
        guard removed != nil, let producerDense = instructions(trial[producer].0),
            let consumerDense = instructions(trial[consumer].0), producerDense + consumerDense < before * (1 - denseMargin)
        else { continue }
        let constants = trial[producer].0.weightedData!.constantOutputs.count
        let folded = trial[consumer].0.weightedData!.foldedColumns
        let pair = "\(Int((producerDense + consumerDense).rounded())) against \(Int(before.rounded())) instructions for the two"
        for (position, dense, role) in [
            (producer, producerDense, "with the layer that reads it dense, its \(constants) constant outputs are not computed"),
            (
                consumer, consumerDense,
                "with the layer before dense, whose \(constants) constant outputs are not computed"
                    + (folded > 0 ? ", it reads \(folded) fewer inputs" : "")
            ),
        ] {
            // The estimate as the layer was lowered alone (none for a layer not pruned), with its new choice.
            let old = kinds[position].0.weightedData?.estimate
            trial[position].0.updateWeightedData { data in
                guard let old else {
                    data.estimate = nil
                    return
                }
                data.estimate = LayerCostEstimate(
                    denseInstructions: dense, sparseInstructions: old.sparseInstructions,
                    denseBytes: data.weights.values.count * data.weights.elementType.byteCount, sparseBytes: old.sparseBytes,
                    chosen: .dense, reason: "dense: \(role); the pair is faster dense (\(pair))")
            }
        }
        kinds[producer] = trial[producer]
        kinds[consumer] = trial[consumer]
    }
}
