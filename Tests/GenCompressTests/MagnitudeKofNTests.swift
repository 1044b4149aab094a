// GenCompressTests/MagnitudeKofNTests.swift - Every k-of-n group keeps exactly min(k, r) weights, the magnitude rule's.

import GenCompress
import GenModel
import GenSupport
import Testing

@Suite("Magnitude k-of-n structure")
struct MagnitudeKofNTests {
    /// Weights with many exact ties (values on a coarse grid) to exercise the tie rule.
    static func weights(rows: Int, fanIn: Int, seed: UInt64) -> [Double] {
        var generator = SeededGenerator(seed: seed)
        return (0..<rows * fanIn).map { _ in (generator.uniform(-4, 4)).rounded() / 4 }
    }

    static let shapes: [(k: Int, n: Int, fanIn: Int)] = [
        (1, 4, 16), (2, 4, 18), (3, 8, 21), (4, 16, 64), (2, 16, 70), (5, 16, 9), (1, 1, 7), (3, 0, 13), (16, 16, 40),
    ]

    @Test("each group keeps min(k, r), the largest magnitudes, ties to the lower index", arguments: 0..<shapes.count)
    func structure(_ index: Int) {
        let (k, n, fanIn) = Self.shapes[index]
        let rows = 6
        let w = Self.weights(rows: rows, fanIn: fanIn, seed: UInt64(100 + index))
        let mask = magnitudeMask(w, rows: rows, fanIn: fanIn, k: k, n: n)
        let group = n == 0 ? fanIn : n
        #expect(mask.n == group)
        for row in 0..<rows {
            var start = 0
            while start < fanIn {
                let end = min(start + group, fanIn)
                let positions = Array(start..<end)
                let kept = positions.filter { mask.kept[row * fanIn + $0] }
                let dropped = positions.filter { !mask.kept[row * fanIn + $0] }
                #expect(kept.count == min(k, end - start), "row \(row) group at \(start)")
                for a in kept {
                    for b in dropped {
                        let (ma, mb) = (abs(w[row * fanIn + a]), abs(w[row * fanIn + b]))
                        #expect(ma > mb || (ma == mb && a < b), "kept \(a) (|w|=\(ma)) but dropped \(b) (|w|=\(mb))")
                    }
                }
                start = end
            }
        }
        #expect(mask.kept.filter { $0 }.count == rows * KeepMask.keptPerRow(fanIn: fanIn, k: k, n: n))
    }

    @Test("a hand-checked row")
    func handChecked() {
        // Groups of 4: [0.1, -0.5, 0.5, 0.2] keeps indices 1 and 2 (tie: both kept as k = 2),
        // [0.3, 0.3, 0.3, -0.9] keeps 3 and then the lowest-index 0.3 (index 4).
        let w = [0.1, -0.5, 0.5, 0.2, 0.3, 0.3, 0.3, -0.9, 0.7]
        let mask = magnitudeMask(w, rows: 1, fanIn: 9, k: 2, n: 4)
        #expect(mask.kept == [false, true, true, false, true, false, false, true, true])
    }

    @Test("vector-wise: a set of rows keeps the positions of the largest summed magnitudes; a last short set its own")
    func vectorWiseHandChecked() {
        // Rows 0 and 1 form a set: sums [5, 0, 5, 3] keep 0 and 2 (a tie, both kept as k = 2), although
        // row 1 alone would keep 0 and 3. Row 2 is a set of its own: [0, 2, 0, 1] keeps 1 and 3.
        let w: [Double] = [1, 0, 5, 0, 4, 0, 0, 3, 0, 2, 0, -1]
        let mask = magnitudeMask(w, rows: 3, fanIn: 4, k: 2, n: 4, rowsPerSet: 2)
        #expect(mask.rowsPerSet == 2 && mask.k == 2 && mask.n == 4)
        #expect(mask.kept == [true, false, true, false, true, false, true, false, false, true, false, true])
        #expect(magnitudeMask(w, rows: 3, fanIn: 4, k: 2, n: 4).kept[4..<8] == [true, false, false, true])
        // A tie at the cut: sums [5, 3, 3, 0] keep 0 and the lower-index 3 (position 1), although row 0
        // alone would keep 0 and 2.
        let tie: [Double] = [2, 1, 2, 0, 3, 2, -1, 0]
        #expect(magnitudeMask(tie, rows: 2, fanIn: 4, k: 2, n: 4, rowsPerSet: 2).kept == [true, true, false, false, true, true, false, false])
        #expect(magnitudeMask(tie, rows: 2, fanIn: 4, k: 2, n: 4).kept[0..<4] == [true, false, true, false])
        // A set larger than the layer (any R, however large) is the whole layer.
        #expect(magnitudeMask(tie, rows: 2, fanIn: 4, k: 2, n: 4, rowsPerSet: .max).kept == magnitudeMask(tie, rows: 2, fanIn: 4, k: 2, n: 4, rowsPerSet: 2).kept)
    }

    @Test("vector-wise: every row of a set keeps the same positions, min(k, r) of each group", arguments: [1, 2, 3, 5, 7])
    func vectorWiseStructure(_ rowsPerSet: Int) {
        let (rows, fanIn, k, n) = (7, 21, 3, 8)
        let w = Self.weights(rows: rows, fanIn: fanIn, seed: 300 + UInt64(rowsPerSet))
        let mask = magnitudeMask(w, rows: rows, fanIn: fanIn, k: k, n: n, rowsPerSet: rowsPerSet)
        for row in 0..<rows {
            let kept = (0..<fanIn).filter { mask.kept[row * fanIn + $0] }
            let first = row / rowsPerSet * rowsPerSet
            #expect(kept == (0..<fanIn).filter { mask.kept[first * fanIn + $0] }, "row \(row) differs from its set's first row")
            for start in stride(from: 0, to: fanIn, by: n) {
                #expect(kept.filter { $0 >= start && $0 < start + n }.count == min(k, fanIn - start))
            }
        }
    }
}

@Suite("Gradual k-of-n schedule")
struct GradualKofNTests {
    @Test("k goes from n (a dense first epoch) down to K along the cubic, then stays at K")
    func schedule() {
        let ks = (1...12).map { gradualK(epoch: $0, rampEpochs: 8, k: 2, n: 16) }
        #expect(ks.first == 16)
        #expect(zip(ks, ks.dropFirst()).allSatisfy { $0 >= $1 })
        #expect(ks[8...].allSatisfy { $0 == 2 })
        // Epoch 5: t/T = 4/8, (1 - 0.5)^3 = 0.125, 2 + 14 * 0.125 = 3.75 -> 4.
        #expect(ks[4] == 4)
        #expect(gradualK(epoch: 1, rampEpochs: 0, k: 3, n: 8) == 3)
    }
}

@Suite("k-of-n as a projection, and the masks after it")
struct ProjectedKofNTests {
    @Test("the projection keeps the magnitude rule's weights, partial last groups included, and zeroes the rest")
    func projection() {
        var generator = SeededGenerator(seed: 21)
        let (rows, fanIn, k, n) = (3, 13, 2, 5)  // groups of 5, 5 and a last one of 3
        let weights = (0..<(rows * fanIn)).map { _ in generator.uniform(-1, 1) }
        var projected = weights
        projectMagnitudeKofN(&projected, rows: rows, fanIn: fanIn, k: k, n: n, unit: 1)
        let mask = magnitudeMask(weights, rows: rows, fanIn: fanIn, k: k, n: n)
        for index in weights.indices {
            #expect(projected[index] == (mask.kept[index] ? weights[index] : 0))
        }
        #expect(projected.filter { $0 != 0 }.count == rows * (2 + 2 + 2))
    }

    @Test("vector-wise projection zeroes the same positions in every row of a set, and remasking keeps the sets")
    func vectorWiseProjection() throws {
        var generator = SeededGenerator(seed: 24)
        let weights = (0..<(5 * 12)).map { _ in generator.uniform(-1, 1) }
        var projected = weights
        projectMagnitudeKofN(&projected, rows: 5, fanIn: 12, k: 1, n: 4, unit: 1, rowsPerSet: 2)
        let mask = magnitudeMask(weights, rows: 5, fanIn: 12, k: 1, n: 4, rowsPerSet: 2)
        for index in weights.indices { #expect(projected[index] == (mask.kept[index] ? weights[index] : 0)) }
        let text = """
            {"version": 1, "name": "p", "input": {"shape": [12]}, "layers": [{"type": "dense", "name": "fc",
             "weights": {"shape": [5, 12], "data": [\(projected.map { String($0) }.joined(separator: ", "))]},
             "bias": {"shape": [5], "data": [0, 0, 0, 0, 0]}}]}
            """
        let graph = try loadModel(file: "p.json", bytes: Array(text.utf8), diagnostics: DiagnosticEngine())
        let remasked = remaskByMagnitude(graph, masksFrom: pruneMagnitudeKofN(graph, k: 1, n: 4, rowsPerSet: 2))
        guard case .dense(let dense) = remasked.layers[0].op, let again = dense.mask else {
            Issue.record("the dense layer lost its mask")
            return
        }
        #expect(again.rowsPerSet == 2)
        #expect(again.kept == mask.kept)
    }

    @Test("kernel granularity: whole kernels kept or zeroed, k of every n per output channel")
    func kernelProjection() {
        var generator = SeededGenerator(seed: 22)
        let (rows, channels, area) = (4, 6, 9)
        var weights = (0..<(rows * channels * area)).map { _ in generator.uniform(-1, 1) }
        projectMagnitudeKofN(&weights, rows: rows, fanIn: channels * area, k: 2, n: 3, unit: area)
        for row in 0..<rows {
            for group in stride(from: 0, to: channels, by: 3) {
                let live = (group..<(group + 3)).filter { channel in
                    let start = (row * channels + channel) * area
                    return weights[start..<(start + area)].contains { $0 != 0 }
                }
                #expect(live.count == 2)
            }
        }
    }

    @Test("remasking projected weights gives k of every n, covering every non-zero weight")
    func remaskAfterProjection() throws {
        var generator = SeededGenerator(seed: 23)
        let weights = (0..<(4 * 10)).map { _ in generator.uniform(-1, 1) }
        let text = """
            {"version": 1, "name": "p", "input": {"shape": [10]}, "layers": [{"type": "dense", "name": "fc",
             "weights": {"shape": [4, 10], "data": [\(weights.map { String($0) }.joined(separator: ", "))]},
             "bias": {"shape": [4], "data": [0, 0, 0, 0]}}]}
            """
        var graph = try loadModel(file: "p.json", bytes: Array(text.utf8), diagnostics: DiagnosticEngine())
        let pruned = pruneMagnitudeKofN(graph, k: 1, n: 4)
        // Weights that moved: project with a different ranking (as fine-tuning would), then remask.
        var moved = weights.map { -$0 * $0 * $0 + 0.3 * $0 }
        projectMagnitudeKofN(&moved, rows: 4, fanIn: 10, k: 1, n: 4, unit: 1)
        if case .dense(var dense) = graph.layers[0].op {
            dense.weights = moved
            graph.layers[0].op = .dense(dense)
        }
        let remasked = remaskByMagnitude(graph, masksFrom: pruned)
        guard case .dense(let dense) = remasked.layers[0].op, let mask = dense.mask else {
            Issue.record("the dense layer lost its mask")
            return
        }
        #expect(mask.k == 1 && mask.n == 4)
        #expect(mask.kept.filter { $0 }.count == 4 * 3)  // groups of 4, 4 and 2: one each
        for index in moved.indices where moved[index] != 0 { #expect(mask.kept[index]) }
    }
}
