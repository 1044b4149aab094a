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

    @Test("the digits MLP's fc1: 26 rows of shift 8, 4 of 7, 2 of 29 (by hand: 8 fills five positions, the sixth is mixed)")
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
