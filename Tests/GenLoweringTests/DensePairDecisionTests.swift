// GenLoweringTests/DensePairDecisionTests.swift - A layer and its consumer lowered dense together where their constant outputs make that faster.

import Testing

@testable import GenLowering

@Suite("Does sparsity pay for a pair? Dense together where the constant outputs make it faster")
struct DensePairDecisionTests {
    /// The pair of `ConstantOutputTests.pair`: a producer of 10 rows over 8 inputs (rows `constant` proven
    /// constant), a consumer of 3 rows over its 10 outputs. The producer is lowered "sparse" (an index
    /// layout and an estimate of `sparseCost` instructions), the consumer dense.
    static func lowered(constant: Set<Int>, sparseCost: Double) -> (kinds: [(StepKind, Int)], dense: [StepKind]) {
        let dense = ConstantOutputTests.pair(rows: 10, constant: constant)
        var kinds = dense
        kinds[0].0.updateWeightedData { data in
            data.sparse = KofNLayout(
                k: 1, n: 1, fullGroups: 8, tail: 0, tailKept: 0, format: .byte,
                indices: ConstantTable(role: .indices, elementType: .uint8, shape: [10, 8], values: [Int64](repeating: 0, count: 80)))
            data.estimate = LayerCostEstimate(
                denseInstructions: 180, sparseInstructions: sparseCost, denseBytes: 80, sparseBytes: 40, chosen: .sparse,
                reason: "sparse: faster and smaller than dense")
        }
        return (kinds, dense.map(\.0))
    }

    /// By hand: a plain dense step costs rows × fan-in + 10 per row; a sparse one its estimate, in proportion
    /// to the rows it computes (as `WeightLoweringContext.instructions`).
    static func instructions(_ kind: StepKind) -> Double? {
        guard let data = kind.weightedData else { return nil }
        guard isPlainDenseTable(data) else {
            return data.estimate?.sparseInstructions.map { $0 * Double(data.rows) / Double(data.outputCount) }
        }
        return Double(data.rows * data.fanIn + 10 * data.rows)
    }

    /// The pass over `kinds` with `dense` as the layers' dense forms, `instructions` as the cost, every table on the row-pair kernel.
    static func decide(_ kinds: inout [(StepKind, Int)], dense: [StepKind]) {
        lowerDenseWhereConstantOutputsPay(
            &kinds, denseForm: { dense[$0] }, instructions: Self.instructions, activationRange: -128...127,
            rowPairs: { _ in true })
    }

    @Test("sparse at 300, 240 without rows 2 and 7, + the consumer over 8 columns 3×8 + 30 = 294; dense: 8×8 + 80 + 54 = 198: dense")
    func densePairIsFaster() throws {
        var (kinds, dense) = Self.lowered(constant: [2, 7], sparseCost: 300)
        var relowered: [Int] = []
        lowerDenseWhereConstantOutputsPay(
            &kinds, denseForm: { relowered.append($0); return dense[$0] }, instructions: Self.instructions,
            activationRange: -128...127, rowPairs: { _ in true })
        let producer = try #require(kinds[0].0.weightedData)
        let consumer = try #require(kinds[1].0.weightedData)
        #expect(isPlainDenseTable(producer) && producer.rows == 8)
        #expect(producer.constantOutputs.map(\.modelRow) == [2, 7])
        #expect(consumer.columnOrder == [0, 1, 3, 4, 5, 6, 8, 9] && consumer.foldedColumns == 2)
        // Only the sparse step was lowered again; the consumer was dense already.
        #expect(relowered == [0])
        let estimate = try #require(producer.estimate)
        #expect(estimate.chosen == .dense && estimate.denseInstructions == 144 && estimate.sparseInstructions == 300)
        #expect(estimate.denseBytes == 64)
        #expect(estimate.reason.contains("its 2 constant outputs are not computed") && estimate.reason.contains("198 against 294"))
        // The consumer had no estimate (unpruned): it gets none.
        #expect(consumer.estimate == nil)
    }

    @Test("sparse at 120: 96 without its constant rows + 54 = 150 against 198 dense, so both stay as they are")
    func sparseStillPays() throws {
        var (kinds, dense) = Self.lowered(constant: [2, 7], sparseCost: 120)
        Self.decide(&kinds, dense: dense)
        let producer = try #require(kinds[0].0.weightedData)
        #expect(producer.sparse != nil && producer.constantOutputs.isEmpty && producer.estimate?.chosen == .sparse)
        #expect(kinds[1].0.weightedData?.columnOrder == nil)
    }

    @Test("sparse at 200: 160 + 54 = 214; 198 dense is below but not by the 10 % margin (192.6): both stay")
    func withinTheMargin() throws {
        var (kinds, dense) = Self.lowered(constant: [2, 7], sparseCost: 200)
        Self.decide(&kinds, dense: dense)
        #expect(kinds[0].0.weightedData?.sparse != nil)
        // At 210: 168 + 54 = 222, and 198 < 199.8: dense.
        (kinds, dense) = Self.lowered(constant: [2, 7], sparseCost: 210)
        Self.decide(&kinds, dense: dense)
        #expect(kinds[0].0.weightedData?.sparse == nil)
    }

    @Test("no constant output: nothing to remove, so the pair is not tried (a sparse form at 250 stays)")
    func nothingConstant() throws {
        var (kinds, dense) = Self.lowered(constant: [], sparseCost: 250)
        Self.decide(&kinds, dense: dense)
        #expect(kinds[0].0.weightedData?.sparse != nil)
    }

    @Test("the consumer sparse is lowered again too, and named in its reason; both dense already: nothing to decide")
    func sparseConsumer() throws {
        var (kinds, dense) = Self.lowered(constant: [2, 7], sparseCost: 200)
        // A sparse consumer: the sparse producer keeps its constant rows (200 + 70 = 270 against 198).
        kinds[1].0.updateWeightedData { data in
            data.darb = DARBLayout(groups: [], rowLocation: [])
            data.estimate = LayerCostEstimate(
                denseInstructions: 60, sparseInstructions: 70, denseBytes: 30, sparseBytes: 20, chosen: .sparse, reason: "")
        }
        var relowered: [Int] = []
        lowerDenseWhereConstantOutputsPay(
            &kinds, denseForm: { relowered.append($0); return dense[$0] }, instructions: Self.instructions,
            activationRange: -128...127, rowPairs: { _ in true })
        #expect(relowered == [0, 1])
        let consumer = try #require(kinds[1].0.weightedData)
        #expect(consumer.darb == nil && consumer.columnOrder == [0, 1, 3, 4, 5, 6, 8, 9])
        #expect(consumer.estimate?.chosen == .dense && consumer.estimate?.denseInstructions == 54)
        #expect(consumer.estimate?.reason.contains("it reads 2 fewer inputs") == true)
        // Run again on the result: both plain dense, nothing is lowered again.
        relowered = []
        lowerDenseWhereConstantOutputsPay(
            &kinds, denseForm: { relowered.append($0); return dense[$0] }, instructions: Self.instructions,
            activationRange: -128...127, rowPairs: { _ in true })
        #expect(relowered.isEmpty)
    }
}
