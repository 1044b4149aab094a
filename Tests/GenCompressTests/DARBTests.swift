// GenCompressTests/DARBTests.swift - Block-max masking and density-adaptive block sizes.

import GenCompress
import GenModel
import GenSupport
import Testing

@Suite("DARB: one weight per block, block size adapted per row")
struct DARBTests {
    @Test("allowed block sizes are the powers of two dividing the fan-in")
    func allowed() {
        #expect(darbAllowedBlocks(fanIn: 64) == [1, 2, 4, 8, 16, 32, 64])
        #expect(darbAllowedBlocks(fanIn: 784) == [1, 2, 4, 8, 16])
        #expect(darbAllowedBlocks(fanIn: 9) == [1])
    }

    @Test("block-max masking keeps exactly the largest |w| of every block (ties to the lower index)")
    func blockMax() {
        let w: [Double] = [0.1, -0.9, 0.3, 0.2, /**/ 0.5, 0.5, -0.1, 0.0, /**/ 1, 2, 3, 4, 5, 6, 7, 8]
        let mask = blockMaxMask(w, rows: 2, fanIn: 8, blocks: [4, 8])
        #expect(mask.kept[0..<8] == [false, true, false, false, true, false, false, false])
        #expect(mask.kept[8..<16] == [false, false, false, false, false, false, false, true])
        #expect(mask.rowBlocks == [4, 8] && mask.k == 1 && mask.n == 8)
    }

    @Test("denser rows get smaller blocks, and the layer lands near the target sparsity")
    func adaptive() {
        var g = SeededGenerator(seed: 5)
        // 8 rows of 64: row r has 8 * (r + 1) large weights among small ones.
        var w: [Double] = []
        for row in 0..<8 {
            for column in 0..<64 { w.append(column < 8 * (row + 1) ? g.uniform(1, 2) : g.uniform(-0.01, 0.01)) }
        }
        let blocks = darbBlockSizes(w, rows: 8, fanIn: 64, sparsity: 0.75)
        for (a, b) in zip(blocks, blocks.dropFirst()) { #expect(a >= b) }
        #expect(blocks.allSatisfy { darbAllowedBlocks(fanIn: 64).contains($0) })
        let kept = blocks.reduce(0) { $0 + 64 / $1 }
        #expect(abs(Double(kept) / 512 - 0.25) < 0.1, "kept \(kept) of 512")
        let mask = blockMaxMask(w, rows: 8, fanIn: 64, blocks: blocks)
        for row in 0..<8 { #expect(mask.kept[(row * 64)..<((row + 1) * 64)].filter { $0 }.count == 64 / blocks[row]) }
    }

    @Test("gradual block sizes: 1 in the first epoch, powers of two that only grow, the row's own after the ramp")
    func gradualBlocks() {
        for block in [1, 2, 8, 16, 64] {
            let sizes = (1...14).map { gradualBlock(epoch: $0, rampEpochs: 10, block: block) }
            #expect(sizes.first == 1)
            #expect(zip(sizes, sizes.dropFirst()).allSatisfy { $0 <= $1 }, "\(sizes)")
            #expect(sizes.allSatisfy { block % $0 == 0 && $0 & ($0 - 1) == 0 }, "\(sizes)")
            #expect(sizes.suffix(4).allSatisfy { $0 == block }, "\(sizes)")
        }
        // Each size keeps at least the schedule's fraction: epoch 6 of 10 has (1 - 5/10)^3 = 1/8 of
        // the way left, so 1/8 + (7/8)(1/8) = 0.234 of 8 kept: a block of 4 keeps 0.25.
        #expect(gradualBlock(epoch: 6, rampEpochs: 10, block: 8) == 4)
        #expect(gradualBlock(epoch: 3, rampEpochs: 0, block: 8) == 8)
    }

    @Test("remasking by magnitude keeps DARB's structure: per-row blocks on dense and conv2d layers alike")
    func remaskKeepsStructure() throws {
        let graph = try EDPTests.graph()  // two conv2d and two dense layers
        let pruned = pruneDARB(graph, sparsity: 0.75)
        // Weights unchanged: the same masks come back, layer by layer.
        let again = remaskByMagnitude(pruned.withMasksRemoved(), masksFrom: pruned)
        var compared = (dense: 0, conv: 0)
        for (before, after) in zip(pruned.layers, again.layers) {
            switch (before.op, after.op) {
            case (.dense(let a), .dense(let b)):
                #expect(a.mask?.kept == b.mask?.kept && a.mask?.rowBlocks == b.mask?.rowBlocks && a.mask?.n == b.mask?.n)
                compared.dense += 1
            case (.conv2d(let a), .conv2d(let b)):
                #expect(a.mask?.kept == b.mask?.kept && a.mask?.rowBlocks == b.mask?.rowBlocks && a.mask?.n == b.mask?.n)
                compared.conv += 1
            default:
                continue
            }
        }
        #expect(compared == (2, 2))
        #expect(pruned.layers.contains { if case .dense(let d) = $0.op { return d.mask?.rowBlocks != nil }; return false })
    }

    @Test("a conv2d's output channels get their own block sizes: denser channels smaller blocks, one weight per block")
    func convPerChannel() throws {
        var g = SeededGenerator(seed: 9)
        // 4 output channels over 2 input channels of 3x3 (fan-in 18, blocks 1 or 2): channels 0 and 1 have
        // every weight large, channels 2 and 3 one large weight in each pair of positions.
        var weights: [Double] = []
        for channel in 0..<4 {
            for position in 0..<18 {
                weights.append(channel < 2 || position % 2 == 0 ? g.uniform(1, 2) : g.uniform(-0.01, 0.01))
            }
        }
        let conv = Conv2DLayer(
            inChannels: 2, outChannels: 4, kernel: (3, 3), stride: (1, 1), padding: (1, 1, 1, 1), weights: weights,
            bias: [0, 0, 0, 0], activation: .none, mask: nil)
        var graph = try EDPTests.graph()
        let index = try #require(graph.layers.firstIndex { if case .conv2d = $0.op { return true }; return false })
        graph.layers[index].op = .conv2d(conv)
        let pruned = pruneDARB(graph, sparsity: 0.25)
        guard case .conv2d(let result) = pruned.layers[index].op, let mask = result.mask else {
            Issue.record("the conv2d has no mask")
            return
        }
        #expect(mask.rowBlocks == [1, 1, 2, 2] && mask.k == 1 && mask.n == 2)
        for channel in 0..<4 {
            let kept = (0..<18).filter { mask.kept[channel * 18 + $0] }
            #expect(kept == (channel < 2 ? Array(0..<18) : Array(stride(from: 0, to: 18, by: 2))), "channel \(channel)")
        }
        // One block size for every channel stays plain 1-of-s k-of-n (no row blocks).
        var uniform = graph
        uniform.layers[index].op = .conv2d(Conv2DLayer(
            inChannels: 2, outChannels: 4, kernel: (3, 3), stride: (1, 1), padding: (1, 1, 1, 1),
            weights: (0..<72).map { Double($0 % 7) - 3 }, bias: [0, 0, 0, 0], activation: .none, mask: nil))
        guard case .conv2d(let plain) = pruneDARB(uniform, sparsity: 0.5).layers[index].op else { return }
        #expect(plain.mask?.rowBlocks == nil && plain.mask?.k == 1 && plain.mask?.n == 2)
    }

    @Test("a recipe's sparsity applies to its own layer only, and a layer kept whole gets no mask")
    func perLayerSparsity() throws {
        let graph = try EDPTests.graph()  // two conv2d and two dense layers
        let weighted = graph.layers.indices.filter {
            switch graph.layers[$0].op {
            case .dense, .conv2d: true
            case .maxPool2d, .avgPool2d, .flatten, .activation, .softmax: false
            }
        }
        let (whole, own) = (weighted[0], weighted[2])
        func keptFraction(_ g: Graph, _ index: Int) -> Double? {
            switch g.layers[index].op {
            case .dense(let d): d.mask.map { Double($0.kept.filter { $0 }.count) / Double($0.kept.count) }
            case .conv2d(let c): c.mask.map { Double($0.kept.filter { $0 }.count) / Double($0.kept.count) }
            case .maxPool2d, .avgPool2d, .flatten, .activation, .softmax: nil
            }
        }
        let uniform = pruneDARB(graph, sparsity: 0.75)
        let recipe = pruneDARB(graph, sparsity: 0.75, perLayer: [own: 0.25], keepingWhole: [whole])
        #expect(keptFraction(recipe, whole) == nil, "the layer kept whole has a mask")
        let ownKept = try #require(keptFraction(recipe, own))
        let uniformKept = try #require(keptFraction(uniform, own))
        #expect(abs(ownKept - 0.75) < 0.15 && abs(uniformKept - 0.25) < 0.15, "\(ownKept) and \(uniformKept)")
        // The others are pruned as without the recipe.
        for index in weighted where index != whole && index != own {
            #expect(keptFraction(recipe, index) == keptFraction(uniform, index))
        }
    }
}
