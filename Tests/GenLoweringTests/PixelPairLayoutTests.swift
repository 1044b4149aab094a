// GenLoweringTests/PixelPairLayoutTests.swift - The pixel-pair kernel's shapes and weight words.

import GenSupport
import Testing

@testable import GenLowering

@Suite("Pixel-pair weight order for the Arm DSP kernel of 3-wide conv2d layers")
struct PixelPairLayoutTests {
    @Test("one input channel, 3x3: five words per output channel, (w0, w2) of each row, then (w1, w4) and (w7, 0)")
    func threeRows() throws {
        let layout = try #require(
            pixelPairLayout(inChannels: 1, kernelHeight: 3, kernelWidth: 3, strideWidth: 1, outWidth: 8))
        #expect(layout.kernelRows == 3 && layout.wordsPerRow == 5)
        // Weights 1..9 and -1..-9: each word's low lane in bits 0-15, its high lane in bits 16-31.
        let weights: [Int64] = Array(1...9) + (1...9).map { -$0 }
        let words = pixelPairWeights(weights, rows: 2, layout: layout)
        func word(_ low: Int64, _ high: Int64) -> Int64 { Int64(Int32(truncatingIfNeeded: (high << 16) | (low & 0xFFFF))) }
        #expect(words == [
            word(1, 3), word(4, 6), word(7, 9), word(2, 5), word(8, 0),
            word(-1, -3), word(-4, -6), word(-7, -9), word(-2, -5), word(-8, 0),
        ])
    }

    @Test("the terms written per channel: kernel rows whose (w0, w2) is not zero, and those whose w1 is not")
    func terms() throws {
        let layout = PixelPairLayout(kernelRows: 3)
        let weights: [Int64] = [
            1, 0, 0, 0, 2, 0, 0, 0, 3,  // (w0, w2) of rows 0 and 2, w1 of row 1
            0, 0, 0, 0, 0, 0, 0, 0, 0,  // nothing
            1, 2, 3, 4, 5, 6, 7, 8, 9,  // everything
            0, 5, 0, 0, 5, 0, 0, 5, 0,  // middles only
        ]
        let terms = pixelPairTerms(weights, rows: 4, layout: layout)
        #expect(terms == [
            PixelPairTerms(outerRows: [0, 2], middleRows: [1]), PixelPairTerms(outerRows: [], middleRows: []),
            PixelPairTerms(outerRows: [0, 1, 2], middleRows: [0, 1, 2]), PixelPairTerms(outerRows: [], middleRows: [0, 1, 2]),
        ])
        #expect(terms.map(\.count) == [3, 0, 6, 3])
        // The stored table leaves out the zero words: channel 0 keeps (1, 0), (0, 3) and the middle word (0, 2);
        // channel 1 nothing; channel 2 all five; channel 3 its two middle words.
        let stored = storedPixelPairWords(weights, rows: 4, layout: layout)
        #expect(stored.positions == [[0, nil, 1, 2, nil], [nil, nil, nil, nil, nil], [3, 4, 5, 6, 7], [nil, nil, nil, 8, 9]])
        let all = pixelPairWeights(weights, rows: 4, layout: layout)
        #expect(stored.words == [all[0], all[2], all[3]] + Array(all[10..<15]) + [all[18], all[19]])
    }

    @Test("two kernel rows: three words, (w0, w2) twice and the two middle weights")
    func twoRows() throws {
        let layout = try #require(
            pixelPairLayout(inChannels: 2, kernelHeight: 1, kernelWidth: 3, strideWidth: 1, outWidth: 4))
        #expect(layout.kernelRows == 2 && layout.wordsPerRow == 3)
        let words = pixelPairWeights([-128, 5, 127, 6, -7, 8], rows: 1, layout: layout)
        #expect(words.map { [Int16(truncatingIfNeeded: $0), Int16(truncatingIfNeeded: $0 >> 16)] } == [[-128, 127], [6, 8], [5, -7]])
    }

    @Test("not 3 wide, not stride 1, an odd output width, or 1 or 4 kernel rows: no layout",
        arguments: [(1, 3, 2, 1, 8), (1, 3, 5, 1, 8), (1, 3, 3, 2, 4), (1, 3, 3, 1, 7), (1, 1, 3, 1, 8), (2, 2, 3, 1, 8), (4, 1, 3, 1, 8)])
    func outside(shape: (Int, Int, Int, Int, Int)) {
        #expect(pixelPairLayout(inChannels: shape.0, kernelHeight: shape.1, kernelWidth: shape.2, strideWidth: shape.3, outWidth: shape.4) == nil)
    }

    @Test("kernel rows 1 and 2 packed: their middle weights in the first middle word, row 0's in the second")
    func packedLayout() {
        let layout = PixelPairLayout(kernelRows: 3, packedMiddles: PackedMiddles(first: 1, second: 2))
        #expect(layout.middleGroups == [[1, 2], [0]] && layout.wordsPerRow == 5)
        #expect((0..<3).map { layout.middleSlot($0).word } == [1, 0, 0])
        #expect((0..<3).map { layout.middleSlot($0).high } == [false, false, true])
        #expect(PixelPairLayout(kernelRows: 3).middleGroups == [[0, 1], [2]])
        #expect(PixelPairLayout(kernelRows: 3, packedMiddles: PackedMiddles(first: 0, second: 2)).middleGroups == [[0, 2], [1]])
        func word(_ low: Int64, _ high: Int64) -> Int64 { Int64(Int32(truncatingIfNeeded: (high << 16) | (low & 0xFFFF))) }
        let weights: [Int64] = Array(1...9) + [0, 0, 0, 0, 5, 0, 0, 0, 0]
        #expect(pixelPairWeights(weights, rows: 2, layout: layout) == [
            word(1, 3), word(4, 6), word(7, 9), word(5, 8), word(2, 0),
            0, 0, 0, word(5, 0), 0,
        ])
        // A channel keeping both packed middle weights takes them in one term; one keeping one of them, alone.
        #expect(pixelPairTerms(weights, rows: 2, layout: layout) == [
            PixelPairTerms(outerRows: [0, 1, 2], middleRows: [0], packedMiddles: true),
            PixelPairTerms(outerRows: [], middleRows: [1]),
        ])
        #expect(pixelPairTerms(weights, rows: 2, layout: layout).map(\.count) == [5, 1])
    }

    /// Four channels of 3 kernel rows keeping the same four weights (as k-of-n sets do): (w0, w2) of row 0 and the
    /// middle weights of rows 1 and 2.
    static let sharedPattern: [Int64] = (1...4).flatMap { c in [c, 0, -c, 0, 2 * c, 0, 0, -3 * c, 0] }

    @Test("packing pays where its saving exceeds the packs and the price of the values it adds in registers")
    func packingChoice() {
        let three = PixelPairLayout(kernelRows: 3)
        // Shared pattern: with the pool, input rows 0 and 1 for row 0's outer word and 4 packs, against rows 0-3;
        // without it, row 0 and 2 packs against rows 0-2.
        let pooled = packingMiddles(three, weights: Self.sharedPattern, rows: 4, pooledKernelHeight: 3)
        #expect(pooled.packedMiddles == PackedMiddles(first: 1, second: 2))
        #expect(packingMiddles(three, weights: Self.sharedPattern, rows: 4, pooledKernelHeight: nil).packedMiddles
            == PackedMiddles(first: 1, second: 2))
        // Unpruned: every input row stays read for the outer weights, so the packs would be values on top.
        let dense: [Int64] = (1...36).map { (i: Int) -> Int64 in
            let v = Int64(i % 7 - 3)
            return v == 0 ? 5 : v
        }
        #expect(packingMiddles(three, weights: dense, rows: 4, pooledKernelHeight: 3).packedMiddles == nil)
        #expect(packingMiddles(three, weights: dense, rows: 4, pooledKernelHeight: nil).packedMiddles == nil)
        // One channel keeping both middle weights: its saving is the packs' cost.
        var one = Self.sharedPattern
        for c in 1..<4 { one[c * 9 + 7] = 0 }
        #expect(packingMiddles(three, weights: one, rows: 4, pooledKernelHeight: 3).packedMiddles == nil)
        // The wide CNN at 4/16 in sets of 24: the outer weights of rows 0 and 1 and the middles of rows 1 and 2. With
        // the pool, packing holds 2 more values (input rows 0-2 for the outer words and 4 packs, against rows 0-3):
        // 16 channels save 64 a window, less 4 packs, less 2 x 16 for the spills; 2 channels would not.
        let wide: (Int) -> [Int64] = { channels in (1...channels).flatMap { c in [Int64(c), 0, 1, 2, Int64(c), 3, 0, -4, 0] } }
        #expect(packingMiddles(three, weights: wide(16), rows: 16, pooledKernelHeight: 3).packedMiddles == PackedMiddles(first: 1, second: 2))
        #expect(packingMiddles(three, weights: wide(2), rows: 2, pooledKernelHeight: 3).packedMiddles == nil)
        // Two kernel rows of middle weights only: 2 packs against both rows' 4 lanes.
        let middles: [Int64] = [0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 0]
        #expect(packingMiddles(PixelPairLayout(kernelRows: 2), weights: middles, rows: 2, pooledKernelHeight: nil).packedMiddles
            == PackedMiddles(first: 0, second: 1))
    }

    /// What the C does for one output channel and a pixel pair: kernel row r's word a0..a3 split into even
    /// (a0, a2) and odd (a1, a3) int16 lanes; SMLAD of each with the row's word (w0, w2); then the middle
    /// weight of row r (in the lane `middleSlot` gives) times odd's low lane a1 (pixel ox, SMLABB/SMLABT) and
    /// times even's high lane a2 (pixel ox + 1, SMLATB/SMLATT). A packed pair's two middle weights, one word,
    /// multiply the same lanes packed (the kernels' gen_lanes and gen_lanes_high), so the same sums.
    static func kernelSums(words: ArraySlice<Int64>, rows: [[Int64]], layout: PixelPairLayout) -> (Int64, Int64) {
        let w = Array(words)
        func low(_ v: Int64) -> Int64 { Int64(Int16(truncatingIfNeeded: v)) }
        func high(_ v: Int64) -> Int64 { Int64(Int16(truncatingIfNeeded: v >> 16)) }
        var (a, b): (Int64, Int64) = (0, 0)
        for r in 0..<layout.kernelRows {
            let (a0, a1, a2, a3) = (rows[r][0], rows[r][1], rows[r][2], rows[r][3])
            a += a0 * low(w[r]) + a2 * high(w[r])
            b += a1 * low(w[r]) + a3 * high(w[r])
            let slot = layout.middleSlot(r)
            let middle = slot.high ? high(w[layout.kernelRows + slot.word]) : low(w[layout.kernelRows + slot.word])
            a += a1 * middle
            b += a2 * middle
        }
        return (a, b)
    }

    @Test("the kernel's arithmetic on the table gives both pixels' exact sums, with packed middle weights and without",
        arguments: [(2, nil), (3, nil), (2, [0, 1]), (3, [0, 1]), (3, [1, 2]), (3, [0, 2])] as [(Int, [Int]?)])
    func kernelArithmeticIsExact(kernelRows: Int, packed: [Int]?) throws {
        var layout = try #require(
            pixelPairLayout(inChannels: kernelRows, kernelHeight: 1, kernelWidth: 3, strideWidth: 1, outWidth: 6))
        layout.packedMiddles = packed.map { PackedMiddles(first: $0[0], second: $0[1]) }
        var generator = SeededGenerator(seed: UInt64(kernelRows))
        func int8() -> Int64 { min(max(Int64(generator.uniform(-128, 128).rounded(.down)), -128), 127) }
        let outputs = 5
        var weights = (0..<(outputs * kernelRows * 3)).map { _ in int8() }
        weights[0] = -128
        weights[weights.count - 1] = 127
        let table = pixelPairWeights(weights, rows: outputs, layout: layout)
        #expect(table.count == outputs * layout.wordsPerRow)
        for _ in 0..<20 {
            let rows = (0..<kernelRows).map { _ in (0..<4).map { _ in int8() } }
            for o in 0..<outputs {
                let words = table[(o * layout.wordsPerRow)..<((o + 1) * layout.wordsPerRow)]
                let (a, b) = Self.kernelSums(words: words, rows: rows, layout: layout)
                let w = { (r: Int, c: Int) in weights[(o * kernelRows + r) * 3 + c] }
                let pixel0 = (0..<kernelRows).reduce(Int64(0)) { s, r in s + (0..<3).reduce(0) { $0 + w(r, $1) * rows[r][$1] } }
                let pixel1 = (0..<kernelRows).reduce(Int64(0)) { s, r in s + (0..<3).reduce(0) { $0 + w(r, $1) * rows[r][$1 + 1] } }
                #expect(a == pixel0 && b == pixel1, "output \(o)")
            }
        }
    }
}
