// EndToEndTests/StructureTests.swift - The k-of-n rule checked on gen's outputs: .pruned.json and the C tables.

import Foundation
import GenCompress
import GenLowering
import GenModel
import GenSupport
import Testing

@Suite("k-of-n structure of the generated files")
struct StructureTests {
    static let cases: [(model: String, k: Int, n: Int)] = [
        ("digits_cnn", 8, 16), ("digits_cnn", 3, 0), ("digits_mlp", 5, 7), ("digits_mlp", 2, 100), ("digits_cnn", 1, 4),
    ]

    @Test("pruned.json zeros exactly the dropped weights; index tables point at the kept ones", arguments: 0..<cases.count)
    func rule(_ index: Int) throws {
        let (name, k, n) = Self.cases[index]
        let text = try String(contentsOfFile: Paths.inRoot("Examples/\(name).json"), encoding: .utf8)
        // The original weights, batchnorm folded, as gen reads them.
        let original = try loadModel(file: "m.json", bytes: Array(text.utf8), diagnostics: DiagnosticEngine())
        let run = try Verification.prepare(modelText: text, label: "structure", vectorCount: 1) {
            $0.prune = "kofn"
            $0.k = k
            $0.n = n
        }
        var weighted = 0
        for layer in original.layers {
            // Standalone activations are fused away in the pruned graph: match layers by name.
            guard let layerIndex = run.prunedGraph.layers.firstIndex(where: { $0.name == layer.name }) else { continue }
            let weights: [Double], rows: Int, fanIn: Int
            switch layer.op {
            case .dense(let dense): (weights, rows, fanIn) = (dense.weights, dense.outputs, dense.inputs)
            case .conv2d(let conv): (weights, rows, fanIn) = (conv.weights, conv.outChannels, conv.fanIn)
            case .maxPool2d, .avgPool2d, .flatten, .activation, .softmax: continue
            }
            weighted += 1
            let prunedWeights: [Double]
            switch run.prunedGraph.layers[layerIndex].op {
            case .dense(let dense): prunedWeights = dense.weights
            case .conv2d(let conv): prunedWeights = conv.weights
            case .maxPool2d, .avgPool2d, .flatten, .activation, .softmax:
                Issue.record("layer \(layerIndex) changed kind")
                continue
            }
            let group = n == 0 ? fanIn : n
            // Kept positions according to the C tables (group-relative indices).
            var keptByTables = Set<Int>()
            if let step = run.result.program.steps.first(where: { $0.layerIndex == layerIndex }) {
                let data: WeightedStepData
                switch step.kind {
                case .dense(let dense): data = dense.data
                case .conv2d(let conv): data = conv.data
                case .maxPool2d, .avgPool2d, .clamp: continue
                }
                if let sparse = data.sparse {
                    for row in 0..<rows {
                        for j in 0..<sparse.keptPerRow {
                            let groupIndex = j < sparse.fullGroups * sparse.k ? j / sparse.k : sparse.fullGroups
                            keptByTables.insert(
                                row * fanIn + groupIndex * sparse.n + Int(sparse.indices.values[row * sparse.keptPerRow + j]))
                        }
                    }
                } else {
                    keptByTables = Set(0..<(rows * fanIn))
                }
            }
            for row in 0..<rows {
                var start = 0
                while start < fanIn {
                    let end = min(start + group, fanIn)
                    let positions = (start..<end).map { row * fanIn + $0 }
                    let kept = positions.filter { keptByTables.contains($0) }
                    let dropped = positions.filter { !keptByTables.contains($0) }
                    #expect(kept.count == min(k, end - start), "\(name) layer \(layerIndex) row \(row)")
                    for a in kept {
                        for b in dropped {
                            let (ma, mb) = (abs(weights[a]), abs(weights[b]))
                            #expect(ma > mb || (ma == mb && a < b), "kept \(a) over \(b)")
                        }
                    }
                    for b in dropped { #expect(prunedWeights[b] == 0, "pruned.json keeps dropped weight \(b)") }
                    for a in kept { #expect(prunedWeights[a] == weights[a], "pruned.json changed kept weight \(a)") }
                    start = end
                }
            }
        }
        #expect(weighted > 0)
    }

    @Test("kernel granularity keeps exactly min(k, r) whole kernels per group of channels, by L1 norm")
    func kernels() throws {
        let text = TestModels.cnn()
        let original = try loadModel(file: "m.json", bytes: Array(text.utf8), diagnostics: DiagnosticEngine())
        let (k, n) = (2, 4)
        let run = try Verification.prepare(modelText: text, label: "kernels", vectorCount: 1) {
            $0.prune = "kofn"
            $0.granularity = "kernel"
            $0.k = k
            $0.n = n
        }
        var checked = 0
        for layer in original.layers {
            guard case .conv2d(let conv) = layer.op,
                let index = run.prunedGraph.layers.firstIndex(where: { $0.name == layer.name }),
                case .conv2d(let pruned) = run.prunedGraph.layers[index].op
            else { continue }
            let area = conv.kernel.h * conv.kernel.w
            for oc in 0..<conv.outChannels {
                for start in stride(from: 0, to: conv.inChannels, by: n) {
                    let channels = Array(start..<min(start + n, conv.inChannels))
                    func norm(_ c: Int) -> Double { (0..<area).reduce(0) { $0 + abs(conv.weights[(oc * conv.inChannels + c) * area + $1]) } }
                    let kept = channels.filter { c in (0..<area).contains { pruned.weights[(oc * conv.inChannels + c) * area + $0] != 0 } }
                    let dropped = channels.filter { !kept.contains($0) }
                    #expect(kept.count == min(k, channels.count), "\(layer.name) oc \(oc) channels \(channels)")
                    for a in kept { for b in dropped { #expect(norm(a) > norm(b) || (norm(a) == norm(b) && a < b)) } }
                    // Kept kernels are whole: all kh×kw weights equal the original ones.
                    for c in kept {
                        for offset in 0..<area {
                            let w = (oc * conv.inChannels + c) * area + offset
                            #expect(pruned.weights[w] == conv.weights[w])
                        }
                    }
                }
            }
            checked += 1
        }
        #expect(checked == 3)
    }

    /// On mcu, conv2d k-of-n runs over its im2col column and reads indices as dense layers do.
    @Test("--index-format auto on mcu: nibbles for conv2d with a full group, bytes for a fan-in below n")
    func convNibbles() throws {
        let text = try String(contentsOfFile: Paths.inRoot("Examples/digits_cnn.json"), encoding: .utf8)
        let run = try Verification.prepare(modelText: text, label: "conv-nibbles", target: "mcu", vectorCount: 1) {
            $0.prune = "kofn"
            $0.k = 4
            $0.n = 16
            $0.sparseLowering = "always"
        }
        let formats = run.result.program.steps.compactMap { step -> String? in
            switch step.kind {
            case .conv2d(let conv): return "conv fan-in \(conv.data.fanIn) \(conv.data.sparse?.format == .nibble ? "nibble" : "byte")"
            case .dense(let dense): return "dense fan-in \(dense.data.fanIn) \(dense.data.sparse?.format == .nibble ? "nibble" : "byte")"
            case .maxPool2d, .avgPool2d, .clamp: return nil
            }
        }
        #expect(formats == ["conv fan-in 9 byte", "conv fan-in 72 nibble", "dense fan-in 16 nibble"])
    }
}

@Suite("Vector-wise k-of-n (--kofn-rows): shared index sets where the target has an arena, per-row tables elsewhere")
struct VectorKofNTests {
    @Test("host: one input list per set of rows, pointing at every row's kept weights; hls: the same masks as per-row tables")
    func sharedSets() throws {
        let text = TestModels.vectorKofN()
        var layouts: [String: [WeightedStepData]] = [:]
        for target in ["host", "hls"] {
            let run = try Verification.prepare(modelText: text, label: "vector_\(target)", target: target, vectorCount: 1) {
                $0.prune = "kofn"
                $0.k = 3
                $0.n = 8
                $0.kofnRows = 7
                $0.sparseLowering = "always"
            }
            layouts[target] = run.result.program.steps.compactMap { step in
                if case .dense(let dense) = step.kind { return dense.data }
                return nil
            }
        }
        let host = try #require(layouts["host"])
        let hls = try #require(layouts["hls"])
        #expect(host.count == 5 && hls.count == 5)
        // The host's sets leave out rows proven constant (stored after the others, `rowOrder`) and read
        // their inputs in the order the layer before stores them (`columnOrder`); hls computes every row.
        var constants = 0
        for (shared, perRow) in zip(host, hls) {
            let sets = try #require(shared.sharedSparse)
            let rows = try #require(perRow.sparse)
            #expect(sets.rowsPerSet == min(7, shared.outputCount) && shared.outputCount == perRow.rows)
            #expect(sets.setRows.reduce(0, +) == shared.rows && sets.sets == sets.setRows.count)
            constants += shared.constantOutputs.count
            for row in 0..<shared.rows {
                let modelRow = shared.rowOrder?[row] ?? row
                #expect(Array(shared.weights.values[(row * sets.keptPerRow)..<((row + 1) * sets.keptPerRow)])
                    == Array(perRow.weights.values[(modelRow * rows.keptPerRow)..<((modelRow + 1) * rows.keptPerRow)]),
                    "the same kept weights, row by row")
                // The hls table's group-relative indices, made absolute, are the row's set's input list.
                let absolute = (0..<rows.keptPerRow).map { j in
                    (j < rows.fullGroups * rows.k ? j / rows.k : rows.fullGroups) * rows.n
                        + Int(rows.indices.values[modelRow * rows.keptPerRow + j])
                }
                let set = sets.set(ofRow: row)
                let inputs = sets.inputs.values[(set * sets.keptPerRow)..<((set + 1) * sets.keptPerRow)].map { Int($0) }
                #expect(absolute == inputs.map { shared.columnOrder?[$0] ?? $0 })
            }
        }
        #expect(constants > 0, "the model's dead units should leave some set")
    }

    @Test("mcu, under auto: sets of fewer than 4 kept that lose to dense still get the per-row form's chance")
    func fewKeptFallsBackPerRow() throws {
        // fc2 has 4 inputs and keeps 1 of every 4. The shipped cost model prices the sets' row-pair kernel
        // (4 columns, 1 kept) below the per-row form everywhere, so this lowers the quantized model again
        // under a cost model where those sets lose to dense and the per-row form wins.
        var b = TestModels.Builder(seed: 41)
        b.dense("fc1", 24, 4, activation: "relu")
        b.dense("fc2", 4, 16, activation: "relu")
        b.dense("fc3", 16, 5)
        let run = try Verification.prepare(
            modelText: b.model(name: "few_kept", inputShape: [24], range: [-1, 1]), label: "few_kept", target: "mcu",
            vectorCount: 1
        ) {
            $0.prune = "kofn"
            $0.k = 1
            $0.n = 4
            $0.kofnRows = 4
        }
        var target = run.result.program.target
        var model = try #require(target.costModel)
        // fc2: dense 1.075 * 64 + 7.124 * 16 = 183; sets 1.247 * 64 + 20 * 16 + 4.362 * 4 = 417;
        // per row 1 * 16 + 0 + 1 * 16 = 32.
        (model.denseMAC, model.denseOutput) = (1.075, 7.124)
        (model.sharedKept, model.sharedOutput, model.sharedGather) = (1.247, 20, 4.362)
        (model.sparseKeptScalar, model.sparseGroup, model.sparseOutput) = (1, 0, 1)
        target.costModel = model
        let program = lowerProgram(run.result.program.quantized, name: "few_kept", target: target)
        let layers = program.steps.compactMap { step -> WeightedStepData? in
            if case .dense(let dense) = step.kind { return dense.data }
            return nil
        }
        let fc2 = try #require(layers.count == 3 ? layers[1] : nil)
        let estimate = try #require(fc2.estimate)
        #expect(fc2.sharedSparse == nil && fc2.sparse != nil, "fc2: \(estimate.reason)")
        // The report prices it as lowered: fc2 stores 3 of its 16 outputs as constants (fc3 reads it dense),
        // so 32 * 13 / 16.
        #expect(fc2.constantOutputs.count == 3 && fc2.rows == 13)
        #expect(estimate.chosen == .sparse && estimate.sparseInstructions == 26)
    }
}
