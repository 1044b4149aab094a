// GenLoweringTests/LanePairLayoutTests.swift - The lane-pair kernel's words, pairs and weight table.

import GenSupport
import Testing

@testable import GenLowering

@Suite("Lane-pair weight order for the Arm DSP kernel of small conv2d fan-ins")
struct LanePairLayoutTests {
    @Test("fan-in 9 (one input channel, 3x3): words at bytes 0, 4 and 5; five pairs, the last (-, 8)")
    func nineInputs() throws {
        let layout = try #require(lanePairLayout(fanIn: 9))
        #expect(layout.wordOffsets == [0, 4, 5])
        let pairs = layout.pairs.map { [$0.word, $0.odd ? 1 : 0, $0.low ?? -1, $0.high ?? -1] }
        // word 2 = bytes 5..8: its even bytes (5, 7) were both taken (no pair), its odd ones (6, 8) carry only 8.
        #expect(pairs == [[0, 0, 0, 2], [0, 1, 1, 3], [1, 0, 4, 6], [1, 1, 5, 7], [2, 1, -1, 8]])
    }

    @Test("outside 4..<12 inputs there is no layout", arguments: [0, 1, 2, 3, 12, 16, 72])
    func outside(fanIn: Int) {
        #expect(lanePairLayout(fanIn: fanIn) == nil)
    }

    @Test("every column element is carried by exactly one lane, and no word reads past the column", arguments: 4..<12)
    func coverage(fanIn: Int) throws {
        let layout = try #require(lanePairLayout(fanIn: fanIn))
        #expect(layout.wordOffsets.allSatisfy { $0 >= 0 && $0 + 4 <= fanIn })
        var carried: [Int] = []
        for pair in layout.pairs {
            #expect(pair.low != nil || pair.high != nil, "a pair with no weight")
            let first = layout.wordOffsets[pair.word] + (pair.odd ? 1 : 0)
            if let low = pair.low { #expect(low == first) }
            if let high = pair.high { #expect(high == first + 2) }
            carried += [pair.low, pair.high].compactMap { $0 }
        }
        #expect(carried.sorted() == Array(0..<fanIn))
        // Two pairs per whole word, and at most two more for the overlapping last word.
        #expect(layout.pairs.count == 2 * (fanIn / 4) + (fanIn % 4 == 0 ? 0 : fanIn % 4 == 1 ? 1 : 2))
    }

    @Test("the kernel's SMLAD arithmetic on the table gives every row's exact dot product")
    func kernelArithmeticIsExact() throws {
        var generator = SeededGenerator(seed: 11)
        func int8() -> Int64 { min(max(Int64(generator.uniform(-128, 128).rounded(.down)), -128), 127) }
        for fanIn in 4..<12 {
            let layout = try #require(lanePairLayout(fanIn: fanIn))
            for rows in [1, 4, 7] {
                var weights = (0..<(rows * fanIn)).map { _ in int8() }
                weights[0] = -128  // the extremes, which an int16 lane holds as they are
                weights[weights.count - 1] = 127
                let column = (0..<fanIn).map { _ in int8() }
                let table = lanePairWeights(weights, rows: rows, fanIn: fanIn, layout: layout)
                #expect(table.count == rows * layout.pairs.count)
                // What the C does: each word of the column split into its even or odd bytes as two int16
                // lanes (__sxtb16), and __smlad with the table's word, low lane times low lane plus high times high.
                func lanes(_ word: Int64) -> (Int64, Int64) {
                    (Int64(Int16(truncatingIfNeeded: word)), Int64(Int16(truncatingIfNeeded: word >> 16)))
                }
                for row in 0..<rows {
                    var sum: Int64 = 0
                    for (index, pair) in layout.pairs.enumerated() {
                        let start = layout.wordOffsets[pair.word] + (pair.odd ? 1 : 0)
                        let (wLow, wHigh) = lanes(table[row * layout.pairs.count + index])
                        sum += wLow * column[start] + wHigh * column[start + 2]
                    }
                    let expected = (0..<fanIn).reduce(Int64(0)) { $0 + weights[row * fanIn + $1] * column[$1] }
                    #expect(sum == expected, "fan-in \(fanIn), row \(row)")
                }
            }
        }
    }
}
