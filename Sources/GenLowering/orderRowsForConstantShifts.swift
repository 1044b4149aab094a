// GenLowering/orderRowsForConstantShifts.swift - Hidden rows in an order that gives the row-pair kernel constant shifts.

/// The shift of each row position of a row-pair group (`2 × pairs` values) where every block of the
/// group has the same one, nil where they differ. A constant shift is a literal in the C, so requantizing
/// (with the rounding in the bias: a floor shift and a clamp) is one `USAT` or `SSAT` with its immediate
/// shift (and the pair's high row folds the division by 256 into it), where a shift read from the table
/// costs a load and a register shift more per row.
package func constantShifts(of group: DSPRowPairGroup, shifts: [Int64]) -> [Int64?] {
    (0..<(2 * group.pairs)).map { position in
        let values = Set((0..<group.blocks).map { shifts[group.firstRow + $0 * 2 * group.pairs + position] })
        return values.count == 1 ? values.first : nil
    }
}

/// Whether the row-pair kernel of a layer with these per-row shifts reads any of them from the shift
/// table: where some position of a group's blocks has no one shift (a lone row's is always a literal).
package func rowPairKernelReadsShiftTable(_ shifts: [Int64]) -> Bool {
    dspRowPairGroups(rows: shifts.count).contains { constantShifts(of: $0, shifts: shifts).contains(nil) }
}

/// A new order of a layer's rows (`order[i]` is the row that goes to position i), or nil when the
/// given one is as good: where every position of the row-pair kernel's blocks of six rows has one shift
/// in all blocks (`constantShifts`). Rows of equal shift fill the positions of the blocks, most frequent
/// shift first, `blocks` rows a position; positions that no shift fills take the rows left over in
/// their own order (those read the shift table), and the rest of them go to the single blocks after,
/// whose shifts are constants anyway.
package func rowOrderForConstantShifts(_ shifts: [Int64]) -> [Int]? {
    guard let group = dspRowPairGroups(rows: shifts.count).first, group.blocks > 1,
        constantShifts(of: group, shifts: shifts).contains(nil)
    else { return nil }
    let positions = 2 * group.pairs
    var rowsByShift: [Int64: [Int]] = [:]
    for (row, shift) in shifts.enumerated() { rowsByShift[shift, default: []].append(row) }
    let byFrequency = rowsByShift.keys.sorted { a, b in
        let (countA, countB) = (rowsByShift[a]!.count, rowsByShift[b]!.count)
        return countA != countB ? countA > countB : a < b
    }
    var columns: [[Int]] = []
    for shift in byFrequency {
        while columns.count < positions, let rows = rowsByShift[shift], rows.count >= group.blocks {
            columns.append(Array(rows.prefix(group.blocks)))
            rowsByShift[shift] = Array(rows.dropFirst(group.blocks))
        }
    }
    var leftOver = rowsByShift.values.flatMap { $0 }.sorted()
    while columns.count < positions {
        columns.append(Array(leftOver.prefix(group.blocks)))
        leftOver.removeFirst(group.blocks)
    }
    let order = (0..<group.blocks).flatMap { block in columns.map { $0[block] } } + leftOver
    func constants(_ shifts: [Int64]) -> Int { constantShifts(of: group, shifts: shifts).compactMap { $0 }.count }
    return constants(order.map { shifts[$0] }) > constants(shifts) ? order : nil
}

/// Reorders the rows of each dense layer that runs the row-pair kernel with per-row shifts and whose
/// output only the next dense layer reads, by `rowOrderForConstantShifts`, and that next layer's
/// columns with them: the program computes the same outputs, its hidden vector is only stored in another
/// order. `rowPairs(data)` tells whether a layer's table takes the row-pair order (checked again on the
/// reordered tables: a reordering that would lose the kernel, for either layer, is not made). Layers with index tables keep
/// their order (their columns are grouped), and so does the last layer (its rows are the outputs).
func orderRowsForConstantShifts(_ kinds: inout [(StepKind, Int)], rowPairs: (WeightedStepData) -> Bool) {
    for position in kinds.indices.dropLast() {
        guard case .dense(var producer) = kinds[position].0, case .dense(var consumer) = kinds[position + 1].0,
            isPlainDenseTable(producer.data), isPlainDenseTable(consumer.data), let shifts = producer.data.shifts,
            rowPairs(producer.data), let order = rowOrderForConstantShifts(shifts.values)
        else { continue }
        var reordered = producer.data
        let fanIn = reordered.fanIn
        reordered.weights.values = order.flatMap { producer.data.weights.values[($0 * fanIn)..<(($0 + 1) * fanIn)] }
        reordered.bias.values = order.map { producer.data.bias.values[$0] }
        reordered.shifts?.values = order.map { shifts.values[$0] }
        // The constant outputs stay after the computed rows (`removeConstantOutputs`); the consumer reads
        // them or (folded into its bias) not.
        let stored = order + Array(order.count..<producer.data.outputCount)
        reordered.rowOrder = stored.map { producer.data.rowOrder?[$0] ?? $0 }
        var following = consumer.data
        let columns = following.fanIn
        following.weights.values = (0..<following.rows).flatMap { row in
            stored.prefix(columns).map { consumer.data.weights.values[row * columns + $0] }
        }
        following.columnOrder = stored.prefix(columns).map { consumer.data.columnOrder?[$0] ?? $0 }
        // The consumer's column tail (fanIn % 4 columns) now holds other weights, so its bound is checked again.
        guard rowPairs(reordered), rowPairs(following) || !rowPairs(consumer.data) else { continue }
        producer.data = reordered
        consumer.data = following
        kinds[position].0 = .dense(producer)
        kinds[position + 1].0 = .dense(consumer)
    }
}
