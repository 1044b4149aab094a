// GenLoweringTests/MemoryPlanTests.swift - The static arena: neighbouring tensors and per-step scratch never overlap.

import GenSupport
import GenTarget
import Testing

@testable import GenLowering

@Suite("Memory plan: tensors and im2col scratch in one arena")
struct MemoryPlanTests {
    @Test("the digits CNN's columns fit in the gaps: the arena stays the largest live pair")
    func columnsInGaps() {
        // conv1 64 -> 512 (column 9), pool1 -> 128, conv2 -> 64 (column 72), pool2 -> 16, fc -> 10
        let plan = planMemory(tensorSizes: [64, 512, 128, 64, 16, 10], scratch: [9, 0, 72, 0, 0], layout: .arena)
        #expect(plan.arena == 640)
        #expect(plan.scratchOffsets == [512, nil, 64, nil, nil])
    }

    @Test("a column larger than the gap grows the arena to live pair + column")
    func columnGrowsArena() {
        let plan = planMemory(tensorSizes: [10, 100, 100, 10], scratch: [0, 50, 0], layout: .arena)
        #expect(plan.arena == 250)
        #expect(plan.locations[1] == .arena(offset: 0))
        #expect(plan.locations[2] == .arena(offset: 150))
        #expect(plan.scratchOffsets == [nil, 100, nil])
    }

    @Test("random chains: every step's live tensors and scratch are disjoint and inside the arena")
    func randomChainsNeverOverlap() {
        var generator = SeededGenerator(seed: 11)
        for _ in 0..<500 {
            let count = 2 + Int(generator.next() % 7)
            let sizes = (0..<count).map { _ in 1 + Int(generator.next() % 300) }
            let scratch = (0..<(count - 1)).map { _ in generator.next() % 3 == 0 ? 1 + Int(generator.next() % 200) : 0 }
            let plan = planMemory(tensorSizes: sizes, scratch: scratch, layout: .arena)
            var largest = 0
            for step in 0..<(count - 1) {
                var intervals: [Range<Int>] = []
                for tensor in [step, step + 1] {
                    if case .arena(let offset) = plan.locations[tensor] { intervals.append(offset..<(offset + sizes[tensor])) }
                }
                if scratch[step] > 0, let offset = plan.scratchOffsets[step] { intervals.append(offset..<(offset + scratch[step])) }
                #expect((scratch[step] > 0) == (plan.scratchOffsets[step] != nil))
                for interval in intervals { #expect(interval.lowerBound >= 0 && interval.upperBound <= plan.arena) }
                for (i, a) in intervals.enumerated() {
                    for b in intervals[(i + 1)...] { #expect(!a.overlaps(b), "sizes \(sizes), scratch \(scratch), step \(step)") }
                }
                largest = max(largest, intervals.reduce(0) { $0 + $1.count })
            }
            // Exactly as large as the most any step needs at once.
            #expect(plan.arena == largest)
        }
    }
}
