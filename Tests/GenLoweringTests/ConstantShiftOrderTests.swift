// GenLoweringTests/ConstantShiftOrderTests.swift - Which shifts the row-pair kernel writes as literals, and the row order that gives more.

import Testing

@testable import GenLowering

@Suite("Row order for constant shifts in the row-pair kernel")
struct ConstantShiftOrderTests {
    @Test("a position's shift is a constant where every block of the group has the same")
    func constantPositions() {
        // 12 rows: one group of two blocks of six.
        let shifts: [Int64] = [8, 8, 7, 9, 8, 8, 8, 7, 7, 9, 8, 3]
        let group = DSPRowPairGroup(pairs: 3, firstRow: 0, blocks: 2)
        #expect(constantShifts(of: group, shifts: shifts) == [8, nil, 7, 9, 8, nil])
        // A single block: every position is a constant.
        #expect(constantShifts(of: DSPRowPairGroup(pairs: 1, firstRow: 10, blocks: 1), shifts: shifts) == [8, 3])
        #expect(rowPairKernelReadsShiftTable(shifts))
        #expect(!rowPairKernelReadsShiftTable([8, 8, 7, 9, 8, 6, 8, 8, 7, 9, 8, 6, 1]))
    }

    @Test("a layer like the pruned digits MLP's fc1: 26 rows of shift 8, 4 of 7, 2 of 29 (by hand: 8 fills five positions, the sixth is mixed)")
    func digitsMLPFirstLayer() throws {
        let shifts: [Int64] = [8, 8, 8, 8, 8, 29, 8, 8, 8, 8, 8, 7, 8, 8, 8, 8, 8, 7, 8, 8, 8, 8, 8, 29, 8, 8, 8, 8, 8, 7, 7, 8]
        // Already as good as it gets: 8 fills five positions (25 of its 26 rows), nothing else has the five a position needs.
        #expect(rowOrderForConstantShifts(shifts) == nil)
        // The same shifts in another order are put into that one.
        let scrambled: [Int64] = [7, 29, 7, 8, 7, 8, 8, 8, 8, 8, 8, 8, 29, 8, 8, 8, 8, 8, 7, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8, 8]
        let order = try #require(rowOrderForConstantShifts(scrambled))
        #expect(order.sorted() == Array(0..<32))
        let reordered = order.map { scrambled[$0] }
        let group = DSPRowPairGroup(pairs: 3, firstRow: 0, blocks: 5)
        #expect(constantShifts(of: group, shifts: reordered).compactMap { $0 } == [8, 8, 8, 8, 8])
        // The positions of 8 take its first 25 rows, five a position; the rows left over (the last 8, the
        // 7s at 0, 2, 4, 18 and the 29s at 1, 12) fill the sixth position in row order, then the last pair.
        let eights = scrambled.indices.filter { scrambled[$0] == 8 }
        #expect((0..<5).map { order[$0 * 6] } == Array(eights[0..<5]))
        #expect((0..<5).map { order[$0 * 6 + 5] } == [0, 1, 2, 4, 12])
        #expect(Array(order[30...]) == [18, 31])
    }

    @Test("two shifts of six rows each over two blocks: every position constant", arguments: [0, 1, 2])
    func fillsEveryPosition(rotation: Int) throws {
        // 16 rows: two blocks of six (12 rows), then a block of two pairs. Shifts: six of 7, six of 8,
        // and four others (the single block after takes them).
        let shifts = rotated([7, 7, 7, 7, 7, 7, 8, 8, 8, 8, 8, 8, 0, 20, 23, 9], by: rotation * 5)
        let order = try #require(rowOrderForConstantShifts(shifts))
        let reordered = order.map { shifts[$0] }
        let groups = dspRowPairGroups(rows: 16)
        #expect(!rowPairKernelReadsShiftTable(reordered))
        // Equal counts: the smaller shift first.
        #expect(constantShifts(of: groups[0], shifts: reordered) == [7, 7, 7, 8, 8, 8])
        #expect(Set(reordered[12...]) == [0, 20, 23, 9])
    }

    @Test("nothing to gain: uniform, a single block, or no shift with enough rows")
    func noReorder() {
        #expect(rowOrderForConstantShifts([Int64](repeating: 8, count: 14)) == nil)
        #expect(rowOrderForConstantShifts([1, 2, 3, 4, 5, 6, 7]) == nil)
        #expect(rowOrderForConstantShifts((0..<12).map { Int64($0) }) == nil)
    }

    private func rotated(_ values: [Int64], by count: Int) -> [Int64] {
        Array(values[(count % values.count)...] + values[..<(count % values.count)])
    }
}

@Suite("Lowering's pass that reorders hidden rows for the row-pair kernel")
struct RowOrderPassTests {
    /// A dense step of `rows × fanIn` int8 weights (a fixed pattern), biases 0..<rows, per-row `shifts` or one shift.
    static func dense(rows: Int, fanIn: Int, shifts: [Int64]?, salt: Int64 = 0, sparse: Bool = false) -> StepKind {
        let weights = (0..<(rows * fanIn)).map { Int64(($0 * 37 + Int(salt)) % 201) - 100 }
        var data = WeightedStepData(
            rows: rows, fanIn: fanIn,
            weights: ConstantTable(role: .weights, elementType: .int8, shape: [rows, fanIn], values: weights),
            sparse: nil, kernelSparse: nil, darb: nil,
            bias: ConstantTable(role: .bias, elementType: .int32, shape: [rows], values: (0..<rows).map { Int64($0) * 1000 + salt }),
            uniformShift: shifts == nil ? 8 : nil,
            shifts: shifts.map { ConstantTable(role: .shift, elementType: .int8, shape: [rows], values: $0) },
            accumulator: .int32, clamp: 0...127, estimate: nil)
        if sparse {
            let indices = ConstantTable(role: .indices, elementType: .uint8, shape: [rows, fanIn], values: [Int64](repeating: 0, count: rows * fanIn))
            data.sparse = KofNLayout(k: 1, n: 1, fullGroups: fanIn, tail: 0, tailKept: 0, format: .byte, indices: indices)
        }
        return .dense(DenseStep(data: data))
    }

    static func data(_ kind: StepKind) -> WeightedStepData? {
        if case .dense(let dense) = kind { return dense.data }
        return nil
    }

    /// 12 rows, two blocks of six whose positions all differ in shift; reordered, each position has one.
    static let mixedShifts: [Int64] = [7, 7, 7, 8, 8, 8, 8, 8, 8, 7, 7, 7]

    @Test("rows and bias and shifts move together, the next layer's columns follow: the layers' product is unchanged")
    func reordersAndKeepsTheFunction() throws {
        var kinds: [(StepKind, Int)] = [
            (Self.dense(rows: 12, fanIn: 8, shifts: Self.mixedShifts), 0),
            (Self.dense(rows: 5, fanIn: 12, shifts: nil, salt: 3), 1),
        ]
        let before = kinds.map { Self.data($0.0)! }
        orderRowsForConstantShifts(&kinds) { _ in true }
        let (first, second) = (Self.data(kinds[0].0)!, Self.data(kinds[1].0)!)
        let order = try #require(first.rowOrder)
        #expect(second.columnOrder == order)
        #expect(first.shifts!.values == order.map { Self.mixedShifts[$0] })
        #expect(!rowPairKernelReadsShiftTable(first.shifts!.values))
        #expect(first.bias.values == order.map { before[0].bias.values[$0] })
        // W2 · W1 and W2 · b1, over the hidden dimension, are the same in either order.
        func product(_ w2: [Int64], _ w1: [Int64], _ b1: [Int64]) -> [Int64] {
            var out: [Int64] = []
            for r in 0..<5 {
                for c in 0..<9 {
                    var sum: Int64 = 0
                    for hidden in 0..<12 {
                        let right: Int64 = c < 8 ? w1[hidden * 8 + c] : b1[hidden]
                        sum += w2[r * 12 + hidden] * right
                    }
                    out.append(sum)
                }
            }
            return out
        }
        #expect(product(second.weights.values, first.weights.values, first.bias.values)
            == product(before[1].weights.values, before[0].weights.values, before[0].bias.values))
        #expect(first.weights.values != before[0].weights.values)
    }

    @Test("not reordered: a step between, an index table in either layer, one shift, or the last layer")
    func leftAlone() {
        let cases: [[(StepKind, Int)]] = [
            [(Self.dense(rows: 12, fanIn: 8, shifts: Self.mixedShifts), 0), (.clamp(ClampStep(count: 12, clamp: 0...127)), 1),
             (Self.dense(rows: 5, fanIn: 12, shifts: nil), 2)],
            [(Self.dense(rows: 12, fanIn: 8, shifts: Self.mixedShifts), 0), (Self.dense(rows: 5, fanIn: 12, shifts: nil, sparse: true), 1)],
            [(Self.dense(rows: 12, fanIn: 8, shifts: Self.mixedShifts, sparse: true), 0), (Self.dense(rows: 5, fanIn: 12, shifts: nil), 1)],
            [(Self.dense(rows: 12, fanIn: 8, shifts: nil), 0), (Self.dense(rows: 5, fanIn: 12, shifts: nil), 1)],
            [(Self.dense(rows: 5, fanIn: 12, shifts: nil), 0), (Self.dense(rows: 12, fanIn: 5, shifts: Self.mixedShifts), 1)],
        ]
        for (index, steps) in cases.enumerated() {
            var kinds = steps
            orderRowsForConstantShifts(&kinds) { _ in true }
            let unchanged = zip(kinds, steps).allSatisfy { after, before in
                Self.data(after.0).map(\.weights.values) == Self.data(before.0).map(\.weights.values)
                    && Self.data(after.0)?.rowOrder == nil && Self.data(after.0)?.columnOrder == nil
            }
            #expect(unchanged, "case \(index)")
        }
    }

    @Test("not reordered where either layer's reordered table would lose the row-pair kernel")
    func keepsTheKernel() {
        for loser in [0, 1] {
            var kinds: [(StepKind, Int)] = [
                (Self.dense(rows: 12, fanIn: 8, shifts: Self.mixedShifts), 0),
                (Self.dense(rows: 5, fanIn: 12, shifts: nil, salt: 3), 1),
            ]
            let original = kinds.map { Self.data($0.0)!.weights.values }
            // The kernel takes each layer's table only as it is now (as a -128 under a negative weight would refuse another order).
            orderRowsForConstantShifts(&kinds) { data in
                data.rows == 12 ? (loser != 0 || data.weights.values == original[0]) : (loser != 1 || data.weights.values == original[1])
            }
            #expect(Self.data(kinds[0].0)!.rowOrder == nil && Self.data(kinds[1].0)!.weights.values == original[1], "layer \(loser)")
        }
    }
}

@Suite("Outputs proven constant: stored, not computed")
struct ConstantOutputTests {
    /// One dense layer of 8 inputs, relu clamp 0...127, rounding in the bias (a floor shift): rows by hand.
    static func layer(_ rows: [(weights: [Int64], bias: Int64, shift: Int64)]) -> WeightedStepData {
        WeightedStepData(
            rows: rows.count, fanIn: 8,
            weights: ConstantTable(role: .weights, elementType: .int8, shape: [rows.count, 8], values: rows.flatMap(\.weights)),
            sparse: nil, kernelSparse: nil, darb: nil,
            bias: ConstantTable(role: .bias, elementType: .int32, shape: [rows.count], values: rows.map(\.bias)),
            roundingInBias: true, uniformShift: nil,
            shifts: ConstantTable(role: .shift, elementType: .int8, shape: [rows.count], values: rows.map(\.shift)),
            accumulator: .int32, clamp: 0...127, estimate: nil)
    }

    @Test("by hand, inputs in -128...127: zero weights, a dead relu, weights too small for their shift, and rows that are not")
    func proofs() {
        let data = Self.layer([
            ([0, 0, 0, 0, 0, 0, 0, 0], 300, 2),  // 300 >> 2 = 75 for every input
            ([1, -1, 2, 0, 0, 0, 0, 3], -2000, 0),  // sums within -2000 ± 7 * 128: always below 0, relu 0
            ([5, 5, 5, 5, 5, 5, 5, 5], 3 << 20, 14),  // (3 * 2^20 + [-5120, 5080]) >> 14 = 192: clamped 127
            ([5, 5, 5, 5, 5, 5, 5, 5], 3_130_000, 15),  // (3,130,000 + [-5120, 5080]) >> 15: 95 at both ends
            ([5, 5, 5, 5, 5, 5, 5, 5], 3 << 15, 15),  // 98,304 - 5,120 >> 15 = 2, + 5,080 >> 15 = 3: not constant
            ([1, 0, 0, 0, 0, 0, 0, 0], 0, 0),  // x itself: not constant
        ])
        let inputs: ClosedRange<Int64> = -128...127
        #expect((0..<6).map { constantOutput(of: data, row: $0, inputs: inputs) } == [75, 0, 127, 95, nil, nil])
        // Over 0...127 (the inputs after a relu) the fourth row's low end moves up: still 95.
        #expect(constantOutput(of: data, row: 3, inputs: 0...127) == 95)
    }

    @Test("without the rounding in the bias the requantization rounds: 302 >> 2 is 76")
    func roundingRequantization() {
        var data = Self.layer([([0, 0, 0, 0, 0, 0, 0, 0], 302, 2), ([0, 0, 0, 0, 0, 0, 0, 0], 302, -1)])
        #expect(constantOutput(of: data, row: 0, inputs: -128...127) == 75)
        data.roundingInBias = false
        #expect(constantOutput(of: data, row: 0, inputs: -128...127) == 76)
        // A left shift saturates: 302 * 2 passes 127.
        #expect(constantOutput(of: data, row: 1, inputs: -128...127) == 127)
    }

    @Test("a layer after a relu layer is proven over 0...127: a row that negative inputs would move is constant there")
    func rangeOfThePreviousStep() {
        // Rows 0 and 1 of the middle layer: weights -8 on input 0, bias 0, shift 0: over 0...127 the sum is
        // -1016...0, relu 0; over -128...127 it reaches 1024 (127). Rows 2-9 depend on x.
        let rows = 10
        let middle = Self.layer((0..<rows).map { row in
            row < 2 ? ([-8, 0, 0, 0, 0, 0, 0, 0], 0, 0) : ((0..<8).map { Int64(($0 + row) % 5) - 2 }, 10, 2)
        })
        let first = Self.layer((0..<8).map { row in ((0..<8).map { Int64(($0 * row) % 7) - 3 }, 5, 3) })
        let last = Self.pair(rows: rows, constant: [])[1].0
        var afterRelu: [(StepKind, Int)] = [(.dense(DenseStep(data: first)), 0), (.dense(DenseStep(data: middle)), 1), (last, 2)]
        removeConstantOutputs(&afterRelu, activationRange: -128...127) { _ in true }
        #expect(Self.data(afterRelu[1].0).constantOutputs == [ConstantOutput(modelRow: 0, value: 0), ConstantOutput(modelRow: 1, value: 0)])
        // First in the program, its inputs span the type's range: nothing is constant.
        var first2: [(StepKind, Int)] = [(.dense(DenseStep(data: middle)), 0), (last, 1)]
        removeConstantOutputs(&first2, activationRange: -128...127) { _ in true }
        #expect(Self.data(first2[0].0).constantOutputs.isEmpty)
    }

    /// A producer of `rows` rows on 8 inputs where the rows in `constant` have zero weights and bias 300
    /// (output 75 at shift 2), the others x-dependent; then a consumer of 3 rows over them.
    static func pair(rows: Int, constant: Set<Int>) -> [(StepKind, Int)] {
        let producer = Self.layer((0..<rows).map { row in
            constant.contains(row) ? ([Int64](repeating: 0, count: 8), 300, 2) : ((0..<8).map { Int64(($0 + row) % 5) - 2 }, 10, 2)
        })
        let consumer = WeightedStepData(
            rows: 3, fanIn: rows,
            weights: ConstantTable(role: .weights, elementType: .int8, shape: [3, rows], values: (0..<(3 * rows)).map { Int64($0 % 7) - 3 }),
            sparse: nil, kernelSparse: nil, darb: nil,
            bias: ConstantTable(role: .bias, elementType: .int32, shape: [3], values: [1, 2, 3]),
            uniformShift: 4, shifts: nil, accumulator: .int32, clamp: -128...127, estimate: nil)
        return [(.dense(DenseStep(data: producer)), 0), (.dense(DenseStep(data: consumer)), 1)]
    }

    static func data(_ kind: StepKind) -> WeightedStepData {
        guard case .dense(let dense) = kind else { preconditionFailure("a dense step") }
        return dense.data
    }

    @Test("the constant rows leave the tables and are stored after the others; the next layer's columns follow")
    func removesAndReorders() throws {
        var kinds = Self.pair(rows: 10, constant: [2, 7])
        let before = kinds.map { Self.data($0.0) }
        removeConstantOutputs(&kinds, activationRange: -128...127) { _ in true }
        let (producer, consumer) = (Self.data(kinds[0].0), Self.data(kinds[1].0))
        #expect(producer.rows == 8 && producer.outputCount == 10)
        #expect(producer.constantOutputs == [ConstantOutput(modelRow: 2, value: 75), ConstantOutput(modelRow: 7, value: 75)])
        let order = [0, 1, 3, 4, 5, 6, 8, 9, 2, 7]
        #expect(producer.rowOrder == order && consumer.columnOrder == Array(order.prefix(8)))
        #expect(producer.weights.values == order.prefix(8).flatMap { before[0].weights.values[($0 * 8)..<($0 * 8 + 8)] })
        // Every shift left is 2: one uniform shift.
        #expect(producer.uniformShift == 2 && producer.shifts == nil)
        // The consumer reads the 8 computed outputs; the two constants (75) are in its bias. Its weights are
        // (i % 7) - 3 at i = 10 row + column: columns 2 and 7 hold -1, -3 (row 0), 2, 0 (row 1), -2, 3 (row 2).
        #expect(consumer.weights.values == (0..<3).flatMap { row in order.prefix(8).map { before[1].weights.values[row * 10 + $0] } })
        #expect(consumer.fanIn == 8 && consumer.foldedColumns == 2)
        let folded: [Int64] = [1 - 75 * 4, 2 + 75 * 2, 3 + 75 * 1]
        #expect(consumer.bias.values == folded)
    }

    @Test("a k-of-n producer (its own indices per row): its constant rows leave the weights and the indices, any count")
    func kofnProducer() throws {
        var kinds = Self.pair(rows: 10, constant: [2, 7, 9])
        // Keep the first 4 of each row's 8 weights, as 4 of 8 with byte indices (positions 0, 2, 4, 6: any
        // valid layout; the proof and the slicing do not read them).
        kinds[0].0.updateWeightedData { data in
            data.weights = ConstantTable(
                role: .weights, elementType: .int8, shape: [10, 4],
                values: (0..<10).flatMap { row in data.weights.values[(row * 8)..<(row * 8 + 4)] })
            data.sparse = KofNLayout(
                k: 4, n: 8, fullGroups: 1, tail: 0, tailKept: 0, format: .byte,
                indices: ConstantTable(role: .indices, elementType: .uint8, shape: [10, 4], values: (0..<40).map { (index: Int) -> Int64 in Int64(index % 4 * 2 + index / 4 % 2) }))
        }
        let before = Self.data(kinds[0].0)
        // No row-pair kernel in the producer: the three constant rows go (no even-count rule).
        removeConstantOutputs(&kinds, activationRange: -128...127) { $0.sparse == nil }
        let producer = Self.data(kinds[0].0)
        let kept = [0, 1, 3, 4, 5, 6, 8]
        #expect(producer.sparse != nil && producer.rows == 7 && producer.constantOutputs.map(\.modelRow) == [2, 7, 9])
        #expect(producer.weights.values == kept.flatMap { before.weights.values[($0 * 4)..<($0 * 4 + 4)] })
        #expect(producer.sparse?.indices.values == kept.flatMap { before.sparse!.indices.values[($0 * 4)..<($0 * 4 + 4)] })
        #expect(producer.sparse?.indices.shape == [7, 4] && producer.weights.shape == [7, 4])
        // The consumer reads 8 of the 10 columns (7 computed and the first constant; 2 folded: no new tail).
        #expect(Self.data(kinds[1].0).fanIn == 8 && Self.data(kinds[1].0).foldedColumns == 2)
        // Not where the consumer has no row-pair kernel either.
        var plain = Self.pair(rows: 10, constant: [2, 7, 9])
        plain[0].0 = kinds[0].0
        plain[0].0.updateWeightedData { $0 = before }
        removeConstantOutputs(&plain, activationRange: -128...127) { _ in false }
        #expect(Self.data(plain[0].0).constantOutputs.isEmpty)
    }

    @Test("the consumer leaves out only as many constant columns as give its kernel no new column tail")
    func foldsWithoutTail() {
        // 12 rows, 2 constant: reading 10 of 12 columns would leave a tail of 2 (12 has none): all are read.
        var two = Self.pair(rows: 12, constant: [3, 8])
        removeConstantOutputs(&two, activationRange: -128...127) { _ in true }
        #expect(Self.data(two[0].0).constantOutputs.count == 2 && Self.data(two[1].0).fanIn == 12)
        // 14 rows (a tail of 2), 4 constant: 10 left keeps the same tail, 4 columns fewer.
        var four = Self.pair(rows: 14, constant: [0, 3, 8, 9])
        removeConstantOutputs(&four, activationRange: -128...127) { _ in true }
        #expect(Self.data(four[1].0).fanIn == 10 && Self.data(four[1].0).foldedColumns == 4)
        // 14 rows, 2 constant: 12 left has no tail at all.
        var tail = Self.pair(rows: 14, constant: [5, 6])
        removeConstantOutputs(&tail, activationRange: -128...127) { _ in true }
        #expect(Self.data(tail[1].0).fanIn == 12)
        // 14 rows, 3 constant (two go, for the even rule): 12 left.
        var three = Self.pair(rows: 14, constant: [1, 2, 4])
        removeConstantOutputs(&three, activationRange: -128...127) { _ in true }
        #expect(Self.data(three[0].0).constantOutputs.count == 2 && Self.data(three[1].0).fanIn == 12)
    }

    @Test("an even number of rows stays computed, at least four; not where a table would lose the row-pair kernel")
    func evenAndAtLeastFour() {
        var odd = Self.pair(rows: 10, constant: [1, 4, 6])
        removeConstantOutputs(&odd, activationRange: -128...127) { _ in true }
        #expect(Self.data(odd[0].0).constantOutputs.map(\.modelRow) == [1, 4])
        var few = Self.pair(rows: 6, constant: [0, 1, 2, 3])
        removeConstantOutputs(&few, activationRange: -128...127) { _ in true }
        #expect(Self.data(few[0].0).constantOutputs.map(\.modelRow) == [0, 1])
        // 5 rows, 2 constant: one goes, four (even) stay.
        var five = Self.pair(rows: 5, constant: [0, 1])
        removeConstantOutputs(&five, activationRange: -128...127) { _ in true }
        #expect(Self.data(five[0].0).constantOutputs.map(\.modelRow) == [0])
        // 4 rows: none can go.
        var four = Self.pair(rows: 4, constant: [0, 1])
        removeConstantOutputs(&four, activationRange: -128...127) { _ in true }
        #expect(Self.data(four[0].0).constantOutputs.isEmpty)
        // Nor where the row-pair kernel would not take the reduced table, or the consumer's reordered one.
        var noKernel = Self.pair(rows: 10, constant: [2, 7])
        removeConstantOutputs(&noKernel, activationRange: -128...127) { $0.rows == 10 }
        #expect(Self.data(noKernel[0].0).constantOutputs.isEmpty && Self.data(noKernel[0].0).rows == 10)
        var consumerLoses = Self.pair(rows: 10, constant: [2, 7])
        removeConstantOutputs(&consumerLoses, activationRange: -128...127) { $0.rows != 3 || $0.columnOrder == nil }
        #expect(Self.data(consumerLoses[0].0).constantOutputs.isEmpty && Self.data(consumerLoses[1].0).columnOrder == nil)
    }
}

@Suite("Output channels proven constant: filled, not computed")
struct ConstantChannelTests {
    /// conv2d 2 input channels 4x4, 3x3 kernel, no padding: 8 channels of 2x2 (fan-in 18); channels in
    /// `constant` have zero weights and bias `constantBias` (300: 75 at shift 2). Then a 2x2 max pool and a
    /// dense layer of 3 rows over the 8 pooled channels.
    static func chain(constant: Set<Int>, constantBias: Int64 = 300) -> [(StepKind, Int)] {
        let rows = 8
        var conv = ConstantOutputTests.layer([])
        conv.rows = rows
        conv.fanIn = 18
        conv.weights = ConstantTable(role: .weights, elementType: .int8, shape: [rows, 18], values: (0..<(rows * 18)).map { index in
            constant.contains(index / 18) ? 0 : Int64(index % 7) - 3
        })
        conv.bias = ConstantTable(role: .bias, elementType: .int32, shape: [rows], values: (0..<rows).map { constant.contains($0) ? constantBias : 10 })
        conv.shifts = nil
        conv.uniformShift = 2
        let step = ConvStep(
            data: conv, inChannels: 2, inHeight: 4, inWidth: 4, outHeight: 2, outWidth: 2, kernelHeight: 3, kernelWidth: 3,
            strideHeight: 1, strideWidth: 1, padTop: 0, padLeft: 0)
        let pool = PoolStep(channels: rows, inHeight: 2, inWidth: 2, outHeight: 1, outWidth: 1, sizeHeight: 2, sizeWidth: 2,
            strideHeight: 2, strideWidth: 2)
        let dense = ConstantOutputTests.pair(rows: rows, constant: [])[1].0
        return [(.conv2d(step), 0), (.maxPool2d(pool), 1), (dense, 2)]
    }

    @Test("channels 1 and 5 are filled after the others; the dense layer after the pool reads its columns so")
    func fillsAndReorders() throws {
        var kinds = Self.chain(constant: [1, 5])
        let before = ConstantOutputTests.data(kinds[2].0)
        removeConstantOutputs(&kinds, activationRange: -128...127) { _ in true }
        guard case .conv2d(let conv) = kinds[0].0 else { preconditionFailure("conv2d") }
        #expect(conv.data.rows == 6 && conv.data.outputCount == 8)
        #expect(conv.data.constantOutputs == [ConstantOutput(modelRow: 1, value: 75), ConstantOutput(modelRow: 5, value: 75)])
        let order = [0, 2, 3, 4, 6, 7, 1, 5]
        #expect(conv.data.rowOrder == order)
        let dense = ConstantOutputTests.data(kinds[2].0)
        #expect(dense.columnOrder == order)
        #expect(dense.weights.values == (0..<3).flatMap { row in order.map { before.weights.values[row * 8 + $0] } })
    }

    @Test("channels of zeros: the dense layer leaves their columns out (0 through the pool) where no column tail appears; a clamp without 0 between: read")
    func zeroChannelsNotRead() throws {
        var kinds = Self.chain(constant: [1, 3, 5, 6], constantBias: 0)
        let before = ConstantOutputTests.data(kinds[2].0)
        removeConstantOutputs(&kinds, activationRange: -128...127) { _ in true }
        let dense = ConstantOutputTests.data(kinds[2].0)
        #expect(dense.fanIn == 4 && dense.foldedColumns == 4 && dense.columnOrder == [0, 2, 4, 7])
        #expect(dense.weights.values == (0..<3).flatMap { row in [0, 2, 4, 7].map { before.weights.values[row * 8 + $0] } })
        #expect(dense.bias.values == before.bias.values)
        // Two of 8: reading 6 columns would add a tail of 2 to the kernel's steps of four, so all 8 are read.
        var two = Self.chain(constant: [1, 5], constantBias: 0)
        removeConstantOutputs(&two, activationRange: -128...127) { _ in true }
        #expect(ConstantOutputTests.data(two[2].0).fanIn == 8 && ConstantOutputTests.data(two[2].0).foldedColumns == 0)
        // Nonzero constants are not passed through the steps between (an average of equal values is that value,
        // but this is not used yet): those columns are read.
        var nonzero = Self.chain(constant: [1, 3, 5, 6])
        removeConstantOutputs(&nonzero, activationRange: -128...127) { _ in true }
        #expect(ConstantOutputTests.data(nonzero[2].0).fanIn == 8)
        // A clamp to 1...127 after the pool turns the zeros into ones: read.
        var clamped = Self.chain(constant: [1, 3, 5, 6], constantBias: 0)
        clamped.insert((.clamp(ClampStep(count: 8, clamp: 1...127)), 2), at: 2)
        removeConstantOutputs(&clamped, activationRange: -128...127) { _ in true }
        guard case .conv2d(let conv) = clamped[0].0 else { preconditionFailure("conv2d") }
        #expect(conv.data.constantOutputs.count == 4 && ConstantOutputTests.data(clamped[3].0).fanIn == 8)
    }

    @Test("without the pool each channel is a run of 4 columns of the dense layer; a fan-in that is not channels x run: nothing")
    func runsOfPixels() throws {
        var kinds = Self.chain(constant: [1, 5])
        let wide = ConstantOutputTests.pair(rows: 32, constant: [])[1].0
        kinds = [kinds[0], (wide, 1)]
        let before = ConstantOutputTests.data(wide)
        removeConstantOutputs(&kinds, activationRange: -128...127) { _ in true }
        let channels = [0, 2, 3, 4, 6, 7, 1, 5]
        let columns = channels.flatMap { channel in (0..<4).map { channel * 4 + $0 } }
        let dense = ConstantOutputTests.data(kinds[1].0)
        #expect(dense.columnOrder == columns)
        #expect(dense.weights.values == (0..<3).flatMap { row in columns.map { before.weights.values[row * 32 + $0] } })
        // After the pool to 1x1 the dense layer must read 8 columns; 16 is not this conv2d's output.
        var mismatched = Self.chain(constant: [1, 5])
        mismatched[2].0 = ConstantOutputTests.pair(rows: 16, constant: [])[1].0
        removeConstantOutputs(&mismatched, activationRange: -128...127) { _ in true }
        guard case .conv2d(let conv) = mismatched[0].0 else { preconditionFailure("conv2d") }
        #expect(conv.data.constantOutputs.isEmpty)
    }

    @Test("nothing where the next weighted step is a conv2d, or the conv2d has the lane-pair kernel's few inputs")
    func leftAlone() {
        var toConv = Self.chain(constant: [1, 5])
        toConv[2] = toConv[0]
        removeConstantOutputs(&toConv, activationRange: -128...127) { _ in true }
        guard case .conv2d(let first) = toConv[0].0 else { preconditionFailure("conv2d") }
        #expect(first.data.constantOutputs.isEmpty)
        var lanes = Self.chain(constant: [1, 5])
        guard case .conv2d(var narrow) = lanes[0].0 else { preconditionFailure("conv2d") }
        narrow.data.fanIn = 9
        narrow.data.weights.values = Array(narrow.data.weights.values.prefix(8 * 9))
        lanes[0].0 = .conv2d(narrow)
        removeConstantOutputs(&lanes, activationRange: -128...127) { _ in true }
        guard case .conv2d(let after) = lanes[0].0 else { preconditionFailure("conv2d") }
        #expect(after.data.constantOutputs.isEmpty)
    }
}
