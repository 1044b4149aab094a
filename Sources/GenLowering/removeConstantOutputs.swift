// GenLowering/removeConstantOutputs.swift - Hidden units whose output is one integer for every input: stored, not computed.

import GenSupport

/// One output of a dense layer that is the same integer whatever the layer's input (`constantOutput`).
package struct ConstantOutput: Sendable, Equatable {
    /// The row in the model's order.
    package var modelRow: Int
    package var value: Int64
}

extension WeightedStepData {
    /// Accumulator to output exactly as the generated C requantizes row `row` (the simulator's rule).
    package func requantize(_ acc: Int64, row: Int) -> Int64 {
        let shift = uniformShift ?? Int(shifts!.values[row])
        if roundingInBias {
            // The bias already added the rounding half (foldRoundingIntoBias): floor, then clamp.
            return min(max(FixedPoint.floorShiftRight(acc, by: shift), clamp.lowerBound), clamp.upperBound)
        }
        return FixedPoint.requantize(acc, shift: shift, low: clamp.lowerBound, high: clamp.upperBound)
    }
}

/// Row `row`'s output for every input in `inputs`, or nil when two inputs can give two outputs.
/// Why it is sound: the accumulator b + Σ w·x lies between b plus the sum of each product's smallest
/// value and b plus the sum of its largest over the input interval, and requantizing (a shift, a
/// clamp) never decreases as the accumulator grows; so equal outputs at both ends mean one output for
/// all. Rows whose weights are all zero, or so small beside their shift that no input moves the result
/// (trained units that died: weight scales of 2^-28 in the digits MLP), are such rows.
func constantOutput(of data: WeightedStepData, row: Int, inputs: ClosedRange<Int64>) -> Int64? {
    var low = data.bias.values[row]
    var high = low
    // Every input has the same range, so which column a weight reads does not matter: the row's stored
    // weights (all its columns when dense, its kept ones under k-of-n) are what the sum can take.
    let stride = data.weights.values.count / data.rows
    for column in 0..<stride {
        let weight = data.weights.values[row * stride + column]
        let ends = (weight * inputs.lowerBound, weight * inputs.upperBound)
        low += min(ends.0, ends.1)
        high += max(ends.0, ends.1)
    }
    let first = data.requantize(low, row: row)
    return first == data.requantize(high, row: row) ? first : nil
}

/// Stops computing, in each dense layer whose outputs only the next dense layer reads (that one with a
/// plain dense table), the rows that `constantOutput` proves constant: the layer's tables keep the other
/// rows, its kernel stores the constants after their outputs (`constantOutputs`), and the next layer's
/// columns follow that order, without the constant ones (their products join its bias:
/// `foldConstantColumns`). Same outputs, fewer MACs and weights in both layers. The layer runs the Arm DSP
/// row-pair kernel (`rowPairs`), is k-of-n with its own indices per row (only where the next layer runs the
/// row-pair kernel, which stands for an Arm DSP target: elsewhere nothing is removed), or has vector-wise
/// sets (each set keeps the rows it had, fewer; the next layer may have sets too, whose inputs then follow
/// the new order and still read the constants, `followColumns`). The
/// inputs of a layer are bounded by the clamp of the step before it where that is a weighted layer or a
/// clamp, else by the activation type's range (after a pool too: cautious). On the row-pair kernel at
/// least four rows stay computed (its least), and an even number of them (a lone row would leave the
/// kernel's pairs): the first constant rows so many; a k-of-n layer keeps at least one. Not where either
/// layer's new table would lose the row-pair kernel. Conv2d layers: `removeConstantChannels`. Step by
/// step, so a layer whose consumer is changed is then taken as a producer with its columns already reduced.
func removeConstantOutputs(
    _ kinds: inout [(StepKind, Int)], activationRange: ClosedRange<Int64>, rowPairs: (WeightedStepData) -> Bool
) {
    for position in kinds.indices {
        _ = removeConstantOutputs(at: position, &kinds, activationRange: activationRange, rowPairs: rowPairs)
            ?? removeConstantChannels(at: position, &kinds, activationRange: activationRange, rowPairs: rowPairs)
    }
}

/// `removeConstantOutputs` for the dense layer at `position` alone: the position of its consumer whose
/// columns followed, or nil when nothing changed.
func removeConstantOutputs(
    at position: Int, _ kinds: inout [(StepKind, Int)], activationRange: ClosedRange<Int64>,
    rowPairs: (WeightedStepData) -> Bool
) -> Int? {
    guard position + 1 < kinds.count, case .dense(var producer) = kinds[position].0,
        case .dense(var consumer) = kinds[position + 1].0,
        isPlainDenseTable(consumer.data) || isSharedSets(consumer.data), producer.data.constantOutputs.isEmpty
    else { return nil }
    let pairs = isPlainDenseTable(producer.data) && rowPairs(producer.data)
    let sets = isSharedSets(producer.data)
    guard pairs || sets || isRowKofN(producer.data),
        let (reduced, stored) = withoutConstantRows(
            producer.data, inputs: inputRange(before: position, in: kinds, activationRange: activationRange), pairs: pairs)
    else { return nil }
    var following = consumer.data
    if isPlainDenseTable(following) {
        following.keepColumns(stored)
        let values = reduced.constantOutputs.map(\.value)
        following.foldConstantColumns(Array(values.suffix(foldableRuns(values.count, run: 1, fanIn: following.fanIn))))
    } else {
        following.followColumns(stored)
    }
    // The consumer's column tail (fanIn % 4 columns) may now hold other weights: its kernel is checked again.
    guard !pairs || rowPairs(reduced), rowPairs(following) || !rowPairs(consumer.data) else { return nil }
    // A per-row k-of-n producer only where the consumer runs the row-pair kernel: an Arm DSP target (see
    // above). Sets store their constants on every target.
    guard pairs || sets || rowPairs(following) else { return nil }
    producer.data = reduced
    consumer.data = following
    kinds[position].0 = .dense(producer)
    kinds[position + 1].0 = .dense(consumer)
    return position + 1
}

/// The same for a dense conv2d whose table takes the Arm DSP row-pair order (not the lane-pair kernel of
/// few inputs), or a conv2d with vector-wise sets: output channels proven constant are filled with their value after the computed ones, and
/// the first dense layer after it (plain, or with sets: `followColumns`), across pools and clamps (which keep
/// channels apart) and a flatten, reads its columns in that channel order (each channel a run of the pooled pixels; its fan-in must be
/// the channels times that run), and not those of channels of zeros. Where a field overhangs
/// the input its taps read 0, so 0 joins the input's range. For the conv2d at `position` alone: the
/// position of its consumer whose columns followed, or nil when nothing changed.
func removeConstantChannels(
    at position: Int, _ kinds: inout [(StepKind, Int)], activationRange: ClosedRange<Int64>,
    rowPairs: (WeightedStepData) -> Bool
) -> Int? {
    guard case .conv2d(var producer) = kinds[position].0, producer.data.constantOutputs.isEmpty else { return nil }
    let sets = isSharedSets(producer.data)
    guard sets
        || (isPlainDenseTable(producer.data) && lanePairLayout(fanIn: producer.data.fanIn) == nil && rowPairs(producer.data))
    else { return nil }
    guard let (next, block) = channelConsumer(after: position, in: kinds),
        case .dense(var consumer) = kinds[next].0, isPlainDenseTable(consumer.data) || isSharedSets(consumer.data),
        consumer.data.fanIn == producer.data.rows * block
    else { return nil }
    var inputs = inputRange(before: position, in: kinds, activationRange: activationRange)
    if producer.padded { inputs = min(inputs.lowerBound, 0)...max(inputs.upperBound, 0) }
    guard let (reduced, stored) = withoutConstantRows(producer.data, inputs: inputs, pairs: !sets) else { return nil }
    var following = consumer.data
    let columns = stored.flatMap { channel in (0..<block).map { channel * block + $0 } }
    if isPlainDenseTable(following) {
        following.keepColumns(columns)
        // A channel of zeros stays zeros through max and average pools and a clamp that holds 0: the consumer
        // can leave its columns out. Other values could change on the way (an average's rounding): kept.
        let zeros = reduced.constantOutputs.allSatisfy { $0.value == 0 }
            && kinds[(position + 1)..<next].allSatisfy { step in
                if case .clamp(let clamp) = step.0 { return clamp.clamp.contains(0) }
                return true
            }
        if zeros {
            let channels = foldableRuns(reduced.constantOutputs.count, run: block, fanIn: following.fanIn)
            following.foldConstantColumns([Int64](repeating: 0, count: channels * block))
        }
    } else {
        // Sets read the constant channels where the producer stores them (after the computed ones).
        following.followColumns(columns)
    }
    guard sets || rowPairs(reduced), rowPairs(following) || !rowPairs(consumer.data) else { return nil }
    producer.data = reduced
    consumer.data = following
    kinds[position].0 = .conv2d(producer)
    kinds[next].0 = .dense(consumer)
    return next
}

/// The first weighted step after the conv2d at `position`, across pools and clamps (which keep channels
/// apart), and each channel's run of pixels after the pools: what that step reads of it, channel after
/// channel. Nil when no weighted step follows.
func channelConsumer(after position: Int, in kinds: [(StepKind, Int)]) -> (position: Int, block: Int)? {
    guard case .conv2d(let producer) = kinds[position].0 else { return nil }
    var next = position + 1
    var block = producer.outHeight * producer.outWidth
    while next < kinds.count {
        switch kinds[next].0 {
        case .maxPool2d(let pool), .avgPool2d(let pool):
            block = pool.outHeight * pool.outWidth
            next += 1
        case .clamp: next += 1
        case .dense, .conv2d: return (next, block)
        }
    }
    return nil
}

/// How many of the last `count` runs of `run` constant columns a consumer of `fanIn` columns leaves out: the
/// most that do not give the row-pair kernel a column tail it did not have (it reads four columns at a
/// time, then the last fanIn % 4 one by one). Measured on Cortex-M4: the dense digits MLP with fc2 and fc3
/// reading 30 of 32 and 14 of 16 columns took 3,111 instructions against 3,055 reading all, for 48 fewer
/// MACs (eight- and four-column steps and the tail, where sixteen-column passes had been).
private func foldableRuns(_ count: Int, run: Int, fanIn: Int) -> Int {
    (0...count).reversed().first { runs in (runs * run) % 4 == 0 || (fanIn - runs * run) % 4 == 0 } ?? 0
}

/// What the step at `position` reads is bounded by: the clamp of the step before where that is a weighted
/// layer or a clamp, else (the program's input, or after a pool: cautious) the activation type's range.
private func inputRange(
    before position: Int, in kinds: [(StepKind, Int)], activationRange: ClosedRange<Int64>
) -> ClosedRange<Int64> {
    guard position > 0 else { return activationRange }
    switch kinds[position - 1].0 {
    case .dense(let previous): return previous.data.clamp
    case .conv2d(let previous): return previous.data.clamp
    case .clamp(let previous): return previous.clamp
    case .maxPool2d, .avgPool2d: return activationRange
    }
}

/// `data` without the rows `constantOutput` proves constant over `inputs` (with `pairs`, the row-pair
/// kernel's, the first so many that leave an even number of at least four rows; else all but one at
/// most), which become its `constantOutputs`, and the stored order of all its outputs (computed rows, then
/// the constant ones); nil when no row goes.
private func withoutConstantRows(_ data: WeightedStepData, inputs: ClosedRange<Int64>, pairs: Bool) -> (WeightedStepData, [Int])? {
    var constants = (0..<data.rows).compactMap { row in
        constantOutput(of: data, row: row, inputs: inputs).map { (row: row, value: $0) }
    }
    constants = Array(constants.prefix(max(0, data.rows - (pairs ? 4 : 1))))
    if pairs, (data.rows - constants.count) % 2 == 1, !constants.isEmpty { constants.removeLast() }
    if let shared = data.sharedSparse { constants = constantsForSets(constants, shared: shared) }
    guard !constants.isEmpty else { return nil }
    let removed = Set(constants.map(\.row))
    var computed = (0..<data.rows).filter { !removed.contains($0) }
    if let shared = data.sharedSparse {
        // Sets with more rows first (stable): sets of one count then run as one loop, one copy of its code.
        let count = Dictionary(grouping: computed, by: shared.set(ofRow:)).mapValues(\.count)
        computed = computed.enumerated().sorted { a, b in
            let (left, right) = (count[shared.set(ofRow: a.element)]!, count[shared.set(ofRow: b.element)]!)
            return left != right ? left > right : a.offset < b.offset
        }.map(\.element)
    }
    var reduced = data
    reduced.keepRows(computed, then: constants.map(\.row))
    reduced.constantOutputs = constants.map { ConstantOutput(modelRow: data.rowOrder?[$0.row] ?? $0.row, value: $0.value) }
    return (reduced, computed + constants.map(\.row))
}

/// Of `constants`, the rows vector-wise sets leave out without more code: the generated C writes one copy of
/// the row-pair kernel per run of sets with one row count, so every full set drops the same number of rows (the
/// fewest any of them could), a set whose rows are all constant goes whole, and the last, shorter set drops
/// what it can. Each set keeps an even number where it had one (a lone row runs alone, which measured slower
/// than the pair it saves: the digits MLP at 4/16 in sets of 12 took 1,553 instructions with sets of 11 rows
/// against 1,449 with 12). Measured before this rule, sets dropping whatever they could made the wide MLP's
/// code 1.2 to 3.0 KB larger for 5 to 9 % fewer instructions.
private func constantsForSets(_ constants: [(row: Int, value: Int64)], shared: SharedKofNLayout) -> [(row: Int, value: Int64)] {
    let bySet = Dictionary(grouping: constants) { shared.set(ofRow: $0.row) }
    // A set of `rows` rows with `count` constant ones: how many it drops, leaving an even number where it can.
    func evenDrop(_ count: Int, of rows: Int) -> Int { count > 0 && count < rows && (rows - count) % 2 == 1 ? count - 1 : count }
    // The full sets that keep some row, and what each could drop.
    var full: [Int: Int] = [:]
    for (set, rows) in shared.setRows.enumerated() where rows == shared.rowsPerSet {
        let count = bySet[set]?.count ?? 0
        if count < rows { full[set] = evenDrop(count, of: rows) }
    }
    let common = full.values.min() ?? 0
    var kept: [(row: Int, value: Int64)] = []
    for (set, rows) in shared.setRows.enumerated() {
        let list = bySet[set] ?? []
        let drop = full[set] != nil ? common : list.count == rows ? rows : evenDrop(list.count, of: rows)
        kept += list.prefix(drop)
    }
    return kept.sorted { $0.row < $1.row }
}

extension WeightedStepData {
    /// Keeps the rows `rows` (in that order) of a plain dense or row-by-row k-of-n table, with their bias,
    /// shifts and indices; the rows `after` are no longer computed but their outputs stored after them
    /// (`constantOutputs`). `rowOrder` maps every stored output back to the model's rows. One shift left for
    /// all rows becomes the uniform shift.
    mutating func keepRows(_ rows: [Int], then after: [Int]) {
        let modelRows = (rows + after).map { rowOrder?[$0] ?? $0 }
        let stride = weights.values.count / self.rows
        weights.values = rows.flatMap { weights.values[($0 * stride)..<(($0 + 1) * stride)] }
        weights.shape = [rows.count, stride]
        if var layout = sparse {
            layout.indices = layout.indices.keepingRows(rows)
            sparse = layout
        }
        if var shared = sharedSparse {
            // Each set keeps the rows it had, together (the sets in the order `rows` gives them); a set left
            // with none goes with its inputs.
            var keptSets: [Int] = []
            var counts: [Int] = []
            for row in rows {
                let set = shared.set(ofRow: row)
                if keptSets.last == set {
                    counts[counts.count - 1] += 1
                } else {
                    precondition(!keptSets.contains(set), "the rows of a vector-wise set stay together")
                    keptSets.append(set)
                    counts.append(1)
                }
            }
            shared.setRows = counts
            shared.inputs = shared.inputs.keepingRows(keptSets)
            shared.windowOffsets = shared.windowOffsets?.keepingRows(keptSets)
            sharedSparse = shared
        }
        bias.values = rows.map { bias.values[$0] }
        bias.shape = [rows.count]
        if let table = shifts {
            let kept = rows.map { table.values[$0] }
            if Set(kept).count == 1 {
                uniformShift = Int(kept[0])
                shifts = nil
            } else {
                shifts = ConstantTable(role: .shift, elementType: table.elementType, shape: [rows.count], values: kept)
            }
        }
        self.rows = rows.count
        rowOrder = modelRows == Array(modelRows.indices) ? nil : modelRows
    }

    /// Reads the columns in the order `columns` (a permutation of 0..<fanIn) of a plain dense table;
    /// `columnOrder` maps them back to the previous layer's rows in the model.
    mutating func keepColumns(_ columns: [Int]) {
        let modelColumns = columns.map { columnOrder?[$0] ?? $0 }
        weights.values = (0..<rows).flatMap { row in columns.map { weights.values[row * fanIn + $0] } }
        columnOrder = modelColumns == Array(modelColumns.indices) ? nil : modelColumns
    }

    /// A vector-wise k-of-n table whose previous layer now stores its outputs in the order `columns` (its old
    /// positions, in the new order): each set's inputs are looked up there. Nothing is left out.
    mutating func followColumns(_ columns: [Int]) {
        guard var shared = sharedSparse else { return }
        var moved = [Int](repeating: 0, count: columns.count)
        for (new, old) in columns.enumerated() { moved[old] = new }
        shared.inputs.values = shared.inputs.values.map { Int64(moved[Int($0)]) }
        sharedSparse = shared
        let modelColumns = columns.map { columnOrder?[$0] ?? $0 }
        columnOrder = modelColumns == Array(modelColumns.indices) ? nil : modelColumns
    }

    /// Stops reading its last `values.count` columns, whose inputs are always `values`: each row's bias takes
    /// their products instead, so the accumulator ends where it did. Every partial sum is then b plus some
    /// of the products over inputs in the layer's input interval (which holds the constants and 0), so it
    /// stays inside the accumulator range quantization proved, as with `foldRoundingIntoBias`; the int32
    /// check below only guards that argument.
    mutating func foldConstantColumns(_ values: [Int64]) {
        let kept = fanIn - values.count
        guard !values.isEmpty, kept > 0 else { return }
        let folded = (0..<rows).map { row in
            bias.values[row] + zip(values.indices, values).reduce(0) { sum, entry in
                sum + weights.values[row * fanIn + kept + entry.0] * entry.1
            }
        }
        guard folded.allSatisfy({ Int64(Int32.min)...Int64(Int32.max) ~= $0 }) else { return }
        bias.values = folded
        weights.values = (0..<rows).flatMap { row in weights.values[(row * fanIn)..<(row * fanIn + kept)] }
        weights.shape = [rows, kept]
        columnOrder = columnOrder.map { Array($0.prefix(kept)) }
        fanIn = kept
        foldedColumns += values.count
    }

    /// Outputs the layer writes: its computed rows and the constants stored after them.
    package var outputCount: Int { rows + constantOutputs.count }
}

/// A k-of-n table with its own indices per row (no shared sets, whole weights): its rows are independent.
func isRowKofN(_ data: WeightedStepData) -> Bool {
    data.sparse != nil && data.sharedSparse == nil && data.kernelSparse == nil && data.darb == nil
}

/// Vector-wise k-of-n (`--kofn-rows`) and no other index structure.
func isSharedSets(_ data: WeightedStepData) -> Bool {
    data.sharedSparse != nil && data.sparse == nil && data.kernelSparse == nil && data.darb == nil
}

extension ConstantTable {
    /// The rows `rows` (in that order) of a 2-D table.
    func keepingRows(_ rows: [Int]) -> ConstantTable {
        let width = shape.count == 2 ? shape[1] : 1
        var table = self
        table.values = rows.flatMap { values[($0 * width)..<(($0 + 1) * width)] }
        table.shape = shape.count == 2 ? [rows.count, width] : [rows.count]
        return table
    }
}

/// A weight table with no index structure: one weight per row and column.
func isPlainDenseTable(_ data: WeightedStepData) -> Bool {
    data.sparse == nil && data.sharedSparse == nil && data.kernelSparse == nil && data.darb == nil
        && data.weights.values.count == data.rows * data.fanIn
}
