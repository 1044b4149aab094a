// GenLearnTests/StraightThroughProjectionTests.swift - SR-STE's bookkeeping on hand-computed steps.

import GenModel
import GenSupport
import Testing

@testable import GenLearn

@Suite("SR-STE projection")
struct StraightThroughProjectionTests {
    /// Keeps the larger in magnitude of each pair (1 of 2), zero for the other.
    static func keepLargerOfPair(_ layerIndex: Int, _ weights: inout [Double], _ epoch: Int) {
        for pair in stride(from: 0, to: weights.count, by: 2) {
            if abs(weights[pair + 1]) > abs(weights[pair]) { weights[pair] = 0 } else { weights[pair + 1] = 0 }
        }
    }

    @Test("a dropped weight keeps its value behind the projection, gathers the steps' moves and decays; it comes back once larger")
    func droppedWeightAccumulates() {
        let projection = StraightThroughProjection(decay: 1, project: Self.keepLargerOfPair)
        // Step 1 (the network ran on the weights as given): dense [0.5, 0.4], shown [0.5, 0].
        var weights = [0.5, 0.4]
        projection.step(layerIndex: 3, weights: &weights, rate: 0.1, epoch: 1)
        #expect(weights == [0.5, 0])
        // Step 2: the optimizer moved the shown weights to [0.45, 0.2] (the dropped one by +0.2).
        // Dense: 0.5 - 0.05 = 0.45 and (0.4 + 0.2) x (1 - 0.1 x 1) = 0.54, so the second is kept now.
        // Plain projection would have kept 0.45 (0.2 < 0.45).
        weights = [0.45, 0.2]
        projection.step(layerIndex: 3, weights: &weights, rate: 0.1, epoch: 1)
        #expect(abs(weights[0]) == 0 && abs(weights[1] - 0.54) < 1e-12, "\(weights)")
        // Step 3, no move: only the dropped one decays, 0.45 x 0.9 = 0.405; still below 0.54.
        projection.step(layerIndex: 3, weights: &weights, rate: 0.1, epoch: 1)
        #expect(weights[0] == 0 && abs(weights[1] - 0.54) < 1e-12, "\(weights)")
        // Step 4: the kept weight shrinks to 0.3 (a move of -0.24): 0.405 x 0.9 = 0.3645 is now the larger.
        weights = [0, 0.3]
        projection.step(layerIndex: 3, weights: &weights, rate: 0.1, epoch: 1)
        #expect(abs(weights[0] - 0.3645) < 1e-12 && weights[1] == 0, "\(weights)")
    }

    @Test("layers keep separate dense weights; with decay 0 a dropped weight only gathers moves")
    func layersAreSeparate() {
        let projection = StraightThroughProjection(decay: 0, project: Self.keepLargerOfPair)
        var first = [0.3, -0.2]
        var second = [0.1, 0.6]
        projection.step(layerIndex: 0, weights: &first, rate: 0.5, epoch: 1)
        projection.step(layerIndex: 1, weights: &second, rate: 0.5, epoch: 1)
        #expect(first == [0.3, 0] && second == [0, 0.6])
        // -0.2 moved by -0.15 to -0.35 (no decay): larger than 0.3 in magnitude.
        first = [0.3, -0.15]
        projection.step(layerIndex: 0, weights: &first, rate: 0.5, epoch: 1)
        #expect(first[0] == 0 && abs(first[1] + 0.35) < 1e-12, "\(first)")
        // Layer 1 untouched by layer 0's steps: 0.1 stays behind 0.6.
        projection.step(layerIndex: 1, weights: &second, rate: 0.5, epoch: 1)
        #expect(second == [0, 0.6])
    }

    @Test("a decay times learning rate above 1 drops a weight to zero, never past it")
    func decayIsClamped() {
        let projection = StraightThroughProjection(decay: 100, project: Self.keepLargerOfPair)
        var weights = [0.5, 0.4]
        projection.step(layerIndex: 0, weights: &weights, rate: 0.5, epoch: 1)
        #expect(weights == [0.5, 0])
        // 0.4 x (1 - 50) would be -19.6 and win the pair; clamped, it is 0.
        projection.step(layerIndex: 0, weights: &weights, rate: 0.5, epoch: 1)
        #expect(weights == [0.5, 0])
        // The kept 0.5 shrinks to 0.1 by a step of -0.4: the dropped one, now 0, stays dropped.
        weights = [0.1, 0]
        projection.step(layerIndex: 0, weights: &weights, rate: 0.5, epoch: 1)
        #expect(abs(weights[0] - 0.1) < 1e-12 && weights[1] == 0, "\(weights)")
    }

    @Test("start: a layer the projection changes at epoch 1 starts on its projection, its dense weights as given")
    func startProjectsChangedLayers() throws {
        // fc1 (layer 0) is kept 1 of 2 at epoch 1; fc2 (layer 1) is left alone, as a gradual ramp's first epoch is.
        let text = """
            {"version": 1, "name": "t", "input": {"shape": [2]}, "layers": [
              {"type": "dense", "name": "fc1", "weights": {"shape": [2, 2], "data": [0.5, 0.4, -0.1, 0.3]}, "bias": {"shape": [2], "data": [0, 0]}},
              {"type": "dense", "name": "fc2", "weights": {"shape": [1, 2], "data": [0.2, 0.7]}, "bias": {"shape": [1], "data": [0]}}]}
            """
        let graph = try loadModel(file: "t.json", bytes: Array(text.utf8), diagnostics: DiagnosticEngine())
        let projection = StraightThroughProjection(decay: 0) { layerIndex, weights, epoch in
            if layerIndex == 0 { Self.keepLargerOfPair(layerIndex, &weights, epoch) }
        }
        let start = projection.start(from: graph)
        func weights(_ graph: Graph, _ index: Int) -> [Double] {
            guard case .dense(let dense) = graph.layers[index].op else { return [] }
            return dense.weights
        }
        #expect(weights(start, 0) == [0.5, 0, 0, 0.3])
        #expect(weights(start, 1) == [0.2, 0.7])
        // The first step carries the move from the projection it started on: the dropped 0.4 moved by
        // +0.2 is 0.6 behind it, past the kept 0.5 (which did not move).
        var first = [0.5, 0.2, 0, 0.3]
        projection.step(layerIndex: 0, weights: &first, rate: 0.1, epoch: 1)
        #expect(first.count == 4 && first[0] == 0 && abs(first[1] - 0.6) < 1e-12 && first[2] == 0 && first[3] == 0.3, "\(first)")
    }
}
