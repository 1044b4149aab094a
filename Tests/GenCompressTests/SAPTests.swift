// GenCompressTests/SAPTests.swift - SAP's rule on algorithms.md §1.3's worked vector, and its scopes.

import GenCompress
import GenModel
import GenSupport
import Testing

@Suite("SAP: the PQ index decides how much to prune")
struct SAPTests {
    static let w = [0.5, -0.1, 0.05, 2.0, -0.3, 0.0, 0.8, -1.2]

    @Test("the worked vector: (p, q) = (0.5, 1) gives I 0.31750, r 5.4600, c 2; (1, 2) gives 0.30997, 3.8092, 4")
    func workedVector() {
        var options = SAPOptions()
        let half = sapStep(Self.w, options: options)
        #expect(abs(half.pqIndex - 0.31750) < 5e-6)
        #expect(abs(half.retainBound - 5.4600) < 5e-5)
        #expect(half.pruneCount == 2)
        options.p = 1
        options.q = 2
        let one = sapStep(Self.w, options: options)
        #expect(abs(one.pqIndex - 0.30997) < 5e-6)
        #expect(abs(one.retainBound - 3.8092) < 5e-5)
        #expect(one.pruneCount == 4)
    }

    @Test("edge cases: equal weights prune nothing; [1, 0, 0, 0] keeps 1 and prunes 3; beta caps; gamma and eta prune more")
    func edges() {
        let options = SAPOptions()
        let equal = sapStep([1, 1, 1, 1], options: options)
        #expect(equal.pqIndex == 0 && equal.retainBound == 4 && equal.pruneCount == 0)
        let sparse = sapStep([1, 0, 0, 0], options: options)
        #expect(abs(sparse.pqIndex - 0.75) < 1e-12 && abs(sparse.retainBound - 1) < 1e-12 && sparse.pruneCount == 3)
        var capped = options
        capped.beta = 0.5
        #expect(sapStep([1, 0, 0, 0], options: capped).pruneCount == 2)
        var harder = options
        harder.gamma = 2
        #expect(sapStep(Self.w, options: harder).pruneCount == 4)  // floor(8 * min(2 * 0.25, 0.9))
        var eta = options
        eta.eta = 1  // r scaled by (1 + 1)^(-2) = 1/4: ceil(1.365) = 2 kept, 6 pruned
        #expect(sapStep(Self.w, options: eta).pruneCount == 6)
        #expect(sapStep([], options: options).pruneCount == 0)
    }

    static func graph() throws -> Graph {
        let text = """
            {"version": 1, "name": "s", "input": {"shape": [8]}, "layers": [
              {"type": "dense", "weights": {"shape": [2, 8], "data": [0.5, -0.1, 0.05, 2.0, -0.3, 0.0, 0.8, -1.2,
                                                                      1, 1, 1, 1, 1, 1, 1, 1]}},
              {"type": "dense", "weights": {"shape": [1, 2], "data": [1, 0.001]}}]}
            """
        return try loadModel(file: "s.json", bytes: Array(text.utf8), diagnostics: DiagnosticEngine())
    }

    @Test("neuron scope prunes each row by its own index; the smallest magnitudes go first")
    func neuronScope() throws {
        let graph = try Self.graph()
        var options = SAPOptions()
        options.scope = .neuron
        var state = SAPState(graph)
        // Row 0 is the worked vector (2 pruned: 0.0 and 0.05); row 1 is uniform (none); layer 2 has
        // one row [1, 0.001]: I = 1 - (mean sqrt)^2 / mean = 0.4367..., r = 1.127, c = floor(2 * 0) = 0.
        #expect(state.prune(graph, options: options) == 2)
        #expect(state.kept[0] == [true, true, false, true, true, false, true, true] + [Bool](repeating: true, count: 8))
        #expect(state.kept[1] == [true, true])
    }

    @Test("layer scope shares one index per layer; the data-free run records a trajectory and per-layer k")
    func layerScopeAndTrajectory() throws {
        let graph = try Self.graph()
        let (state, trajectory) = sapDataFree(graph, options: SAPOptions())
        #expect(trajectory.first?.iteration == 0 && trajectory.first?.keptFraction == 1)
        #expect(trajectory.count >= 2)
        for (a, b) in zip(trajectory, trajectory.dropFirst()) { #expect(b.keptFraction < a.keptFraction) }
        // The per-layer k keeps at least SAP's fraction of every group, and at least one weight.
        let k = state.perLayerK(n: 4, graph: graph)
        for (l, index) in state.layers.enumerated() {
            let fraction = Double(state.kept[l].filter { $0 }.count) / Double(state.kept[l].count)
            let group = min(4, state.kept[l].count / state.rows[l])
            let chosen = try #require(k[index])
            #expect(chosen >= 1 && chosen <= group && Double(chosen) >= fraction * Double(group) - 1e-9)
            #expect(Double(chosen - 1) < fraction * Double(group))
        }
    }

    @Test("global scope uses one threshold over all layers")
    func globalScope() throws {
        let graph = try Self.graph()
        var options = SAPOptions()
        options.scope = .global
        var state = SAPState(graph)
        // 18 weights; the smallest magnitudes overall are 0.0, 0.001, 0.05, 0.1 ...
        let pruned = state.prune(graph, options: options)
        #expect(pruned > 0)
        let all = state.kept[0] + state.kept[1]
        let values = [0.5, 0.1, 0.05, 2.0, 0.3, 0.0, 0.8, 1.2] + [Double](repeating: 1, count: 8) + [1, 0.001]
        let threshold = zip(values, all).filter { !$0.1 }.map(\.0).max() ?? 0
        #expect(zip(values, all).filter { $0.1 }.allSatisfy { $0.0 >= threshold })
        #expect(!state.kept[1][1])  // 0.001 in the second layer goes before 0.05 in the first
    }

    @Test("a layer kept whole is outside SAP: not pruned, not in the global index, no k")
    func keepingWhole() throws {
        let graph = try Self.graph()
        var options = SAPOptions()
        options.scope = .global
        let last = try #require(graph.layers.indices.last { graph.layers[$0].op.weightMatrix != nil })
        var state = SAPState(graph, keepingWhole: [last])
        #expect(!state.layers.contains(last))
        _ = state.prune(graph, options: options)
        // With the second layer outside the scope, its 0.001 cannot be pruned; the first layer's
        // smallest (0.0) still goes.
        #expect(state.kept.count == state.layers.count)
        #expect(!state.kept[0][5])
        #expect(state.perLayerK(n: 4, graph: graph)[last] == nil)
        let (dataFree, _) = sapDataFree(graph, options: options, keepingWhole: [last])
        #expect(dataFree.layers == state.layers)
    }
}
