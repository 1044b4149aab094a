// EndToEndTests/FineTuningTests.swift - gen --data fine-tunes the pruned model; figures and round trip.

import Foundation
import GenSupport
import GenDriver
import Testing

@Suite("Fine-tuning with --data")
struct FineTuningTests {
    static let data = Paths.inRoot("Tests/Fixtures/digits/digits_test.npz")

    func report(_ path: String) throws -> [String: Any] {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        return try #require(json?["fineTuning"] as? [String: Any])
    }

    @Test("8-of-16 on the digits MLP: fine-tuning recovers accuracy, the fixed point keeps it, the C is bit-exact")
    func recovers() throws {
        let text = try String(contentsOfFile: Paths.inRoot("Examples/digits_mlp.json"), encoding: .utf8)
        let test = try DigitsAccuracyTests.testSplit()
        let run = try Verification.prepare(modelText: text, label: "finetune", inputs: Array(test.inputs.prefix(64))) {
            $0.dataPath = Self.data
        }
        let figures = try report(run.directory + "/digits_mlp.report.json")
        let before = try #require(figures["floatTestAccuracyBefore"] as? Double)
        let after = try #require(figures["floatTestAccuracy"] as? Double)
        let fixed = try #require(figures["fixedPointTestAccuracy"] as? Double)
        print("measured fine-tuning digits_mlp 8/16, 30 epochs: float test \(before)% -> \(after)%, fixed point \(fixed)%")
        #expect(after > before + 4, "fine-tuning did not help: \(before)% -> \(after)%")
        #expect(abs(after - fixed) <= 1.0, "fixed point \(fixed)% far from float \(after)%")
        #expect(figures["epochs"] as? Int == 30)
        try Verification.writeHarness(run)
        let (output, shell) = try CHarness.runOnHost(directory: run.directory)
        #expect(shell.status == 0, "\(shell.stderr)")
        #expect(output.quantized == run.simulated)
    }

    @Test("a fine-tuned model round-trips through .pruned.json: regenerating from it gives the same C")
    func roundTrip() throws {
        let directory = Paths.temporaryDirectory("roundtrip")
        let calib = Paths.inRoot("Tests/Fixtures/digits/digits_calib.npz")
        let first = try Shell.run(
            [Paths.genExecutable, Paths.inRoot("Examples/digits_cnn.json"), "--target", "mcu", "--k", "4", "--n", "16",
             "--data", Self.data, "--epochs", "3", "--calib", calib, "-o", directory + "/a", "--quiet"])
        #expect(first.status == 0, "\(first.stderr)")
        let second = try Shell.run(
            [Paths.genExecutable, directory + "/a/digits_cnn.pruned.json", "--target", "mcu", "--k", "4", "--n", "16",
             "--calib", calib, "-o", directory + "/b", "--quiet"])
        #expect(second.status == 0, "\(second.stderr)")
        func body(_ path: String) throws -> String {
            // Everything but the source file's name and the names of folded layers (a .pruned.json
            // holds the folded model, not the names of what was folded).
            try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
                .filter { !$0.contains("Source model:") }.joined(separator: "\n")
                .replacingOccurrences(of: #" \(folded: [^)]*\)"#, with: "", options: .regularExpression)
        }
        #expect(try body(directory + "/a/digits_cnn.c") == body(directory + "/b/digits_cnn.c"))
    }

    @Test("same seed, same bytes; --epochs 0 leaves the weights as pruned")
    func deterministic() throws {
        let directory = Paths.temporaryDirectory("seed")
        for out in ["a", "b"] {
            let result = try Shell.run(
                [Paths.genExecutable, Paths.inRoot("Examples/digits_mlp.json"), "--target", "host", "--data", Self.data,
                 "--epochs", "5", "--seed", "7", "-o", directory + "/" + out, "--quiet"])
            #expect(result.status == 0, "\(result.stderr)")
        }
        for file in ["digits_mlp.c", "digits_mlp.pruned.json", "digits_mlp.report.json"] {
            #expect(
                FileManager.default.contents(atPath: directory + "/a/" + file)
                    == FileManager.default.contents(atPath: directory + "/b/" + file), "\(file) differs")
        }
        let none = try Shell.run(
            [Paths.genExecutable, Paths.inRoot("Examples/digits_mlp.json"), "--target", "host", "--data", Self.data,
             "--epochs", "0", "-o", directory + "/c", "--quiet"])
        #expect(none.status == 0)
        let json = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: directory + "/c/digits_mlp.report.json"))) as? [String: Any]
        #expect(json?["fineTuning"] is NSNull)
    }

    @Test("--prune dpp learns k-of-n masks that lower to the same tables; the C is bit-exact")
    func dpp() throws {
        let (_, json) = try Self.bitExactDigitsMLP(label: "dpp") {
            $0.prune = "dpp"
            $0.k = 4
            $0.n = 16
            $0.epochs = 4
        }
        let pruning = try #require(json?["pruning"] as? [String: Any])
        #expect(pruning["method"] as? String == "dpp")
        #expect((pruning["maskMetrics"] as? [[String: Any]])?.count == 3)
        let layers = try #require(json?["layers"] as? [[String: Any]])
        #expect(layers.first?["keptWeights"] as? Int == 32 * 16)  // 4 of every 16 of 64 inputs, 32 outputs
    }

    @Test("--prune sap with --data: rewind, retrain and prune; per-layer k; the PQ index trajectory as CSV and SVG; bit-exact C")
    func sapWithData() throws {
        let (run, json) = try Self.bitExactDigitsMLP(label: "sap") {
            $0.prune = "sap"
            $0.epochs = 2
            $0.sapIterations = 3
        }
        let pruning = try #require(json?["pruning"] as? [String: Any])
        #expect(pruning["method"] as? String == "sap")
        #expect((pruning["form"] as? String)?.hasPrefix("Algorithm 1") == true)
        let trajectory = try #require(pruning["trajectory"] as? [[String: Any]])
        #expect((1...3).contains(trajectory.count))
        let layers = try #require(pruning["layers"] as? [[String: Any]])
        #expect(layers.count == 3)
        // Each layer's k of 16 covers the fraction SAP kept, rounded up.
        let reportLayers = try #require(json?["layers"] as? [[String: Any]])
        for (sap, layer) in zip(layers, reportLayers) {
            let k = try #require(sap["k"] as? Int)
            let fraction = try #require(sap["keptFraction"] as? Double)
            #expect(Double(k) >= fraction * 16 - 1e-6 && Double(k - 1) < fraction * 16)
            #expect(layer["k"] as? Int == k && layer["method"] as? String == "sap")
        }
        let csv = try String(contentsOfFile: run.directory + "/digits_mlp.pqi.csv", encoding: .utf8)
        let lines = csv.split(separator: "\n")
        #expect(lines.first == "iteration,kept_fraction,pqi_global,pqi_fc1,pqi_fc2,pqi_fc3")
        #expect(lines.count == trajectory.count + 1)
        let svg = try String(contentsOfFile: run.directory + "/digits_mlp.pqi.svg", encoding: .utf8)
        #expect(svg.hasPrefix("<svg") && svg.contains("<polyline") && svg.hasSuffix("</svg>\n"))
        let fineTuning = try #require(json?["fineTuning"] as? [String: Any])
        #expect(fineTuning["fixedPointTestAccuracy"] != nil)
        // The last fine-tuning projects onto each layer's k of 16 under SR-STE (the default), so kept
        // positions move (with --sr-ste off the masks stay as magnitude chose them from SAP's weights),
        // and ends there: every group of 16 keeps at most that layer's k.
        let (fixedMasks, fixedJSON) = try Self.bitExactDigitsMLP(label: "sap_fixed") {
            $0.prune = "sap"
            $0.epochs = 2
            $0.sapIterations = 3
            $0.srSTE = "off"
        }
        let fixedTuning = try #require(fixedJSON?["fineTuning"] as? [String: Any])
        #expect((fixedTuning["masks"] as? String)?.hasPrefix("held fixed") == true)
        let moved = zip(try Self.weights(of: run), try Self.weights(of: fixedMasks)).filter { ($0 == 0) != ($1 == 0) }.count
        #expect(moved > 0, "no kept position moved under SR-STE")
        #expect((fineTuning["masks"] as? String)?.hasPrefix("projected after every step onto SAP's per-layer k-of-n") == true)
        let model = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: run.directory + "/digits_mlp.pruned.json"))) as? [String: Any]
        let modelLayers = try #require(model?["layers"] as? [[String: Any]]).filter { $0["weights"] != nil }
        for (sap, layer) in zip(layers, modelLayers) {
            let k = try #require(sap["k"] as? Int)
            let weights = try #require((layer["weights"] as? [String: Any])?["data"] as? [Double])
            let shape = try #require((layer["weights"] as? [String: Any])?["shape"] as? [Int])
            for row in 0..<shape[0] {
                for group in stride(from: 0, to: shape[1], by: 16) {
                    let start = row * shape[1] + group
                    #expect(weights[start..<min(start + 16, (row + 1) * shape[1])].filter { $0 != 0 }.count <= k)
                }
            }
        }
    }

    @Test("gradual k-of-n with --data: projected after every step, k shrinking; ends at exactly K of every N, kept positions moved; bit-exact C")
    func gradual() throws {
        let (run, json) = try Self.bitExactDigitsMLP(label: "gradual") {
            $0.k = 4
            $0.n = 16
            $0.epochs = 4
        }
        let fineTuning = try #require(json?["fineTuning"] as? [String: Any])
        #expect((fineTuning["masks"] as? String)?.hasPrefix("gradual") == true)
        let layers = try #require(json?["layers"] as? [[String: Any]])
        #expect(layers.first?["keptWeights"] as? Int == 32 * 4 * 4)
        let model = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: run.directory + "/digits_mlp.pruned.json"))) as? [String: Any]
        let modelLayers = try #require(model?["layers"] as? [[String: Any]])
        let weights = try #require((modelLayers[0]["weights"] as? [String: Any])?["data"] as? [Double])
        for group in stride(from: 0, to: weights.count, by: 16) {
            #expect(weights[group..<(group + 16)].filter { $0 != 0 }.count <= 4)
        }
        // --schedule oneshot gives different weights from the same masks' start.
        let (oneShot, _) = try Self.bitExactDigitsMLP(label: "oneshot") {
            $0.k = 4
            $0.n = 16
            $0.epochs = 4
            $0.schedule = "oneshot"
        }
        let other = try String(contentsOfFile: oneShot.directory + "/digits_mlp.pruned.json", encoding: .utf8)
        #expect(other != (try String(contentsOfFile: run.directory + "/digits_mlp.pruned.json", encoding: .utf8)))
        // Pruned weights can grow back: the kept positions are not those of the data-free magnitude masks.
        let (dataFree, _) = try Self.bitExactDigitsMLP(label: "kofn_fixed") {
            $0.k = 4
            $0.n = 16
            $0.epochs = 0
        }
        let freeModel = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: dataFree.directory + "/digits_mlp.pruned.json"))) as? [String: Any]
        let freeLayers = try #require(freeModel?["layers"] as? [[String: Any]])
        let freeWeights = try #require((freeLayers[0]["weights"] as? [String: Any])?["data"] as? [Double])
        #expect(zip(weights, freeWeights).contains { ($0 == 0) != ($1 == 0) }, "no kept position moved")
    }

    @Test("--prune dpp --kofn-rows 8: one learned mask per set of rows, lowered as shared index sets; bit-exact C")
    func dppVectorWise() throws {
        let (run, json) = try Self.bitExactDigitsMLP(label: "dpp_rows") {
            $0.prune = "dpp"
            $0.k = 4
            $0.n = 16
            $0.epochs = 2
            $0.kofnRows = 8
        }
        let pruning = try #require(json?["pruning"] as? [String: Any])
        #expect(pruning["method"] as? String == "dpp" && pruning["rowsPerIndexSet"] as? Int == 8)
        // Every dense layer is lowered with one input list per set of 8 rows (host has an arena).
        let sets = run.result.program.steps.compactMap { step -> Int? in
            guard case .dense(let dense) = step.kind else { return nil }
            return dense.data.sharedSparse?.rowsPerSet
        }
        #expect(sets == [8, 8, 8])
    }

    @Test("vector-wise gradual k-of-n with --data: after fine-tuning every set of rows still keeps the same positions; bit-exact C")
    func vectorWiseFineTuning() throws {
        let (run, json) = try Self.bitExactDigitsMLP(label: "vector_gradual") {
            $0.k = 4
            $0.n = 16
            $0.epochs = 2
            $0.kofnRows = 8
        }
        let pruning = try #require(json?["pruning"] as? [String: Any])
        #expect(pruning["rowsPerIndexSet"] as? Int == 8)
        let model = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: run.directory + "/digits_mlp.pruned.json"))) as? [String: Any]
        let layers = try #require(model?["layers"] as? [[String: Any]])
        var checked = 0
        for layer in layers {
            guard let weights = layer["weights"] as? [String: Any], let shape = weights["shape"] as? [Int],
                let data = weights["data"] as? [Double]
            else { continue }
            let (rows, fanIn) = (shape[0], shape[1])
            // The set's rows together use at most 4 positions of each group of 16 (a kept weight may
            // be exactly 0: a dead unit's row gets no gradient, so a position it gained stays at 0).
            for first in stride(from: 0, to: rows, by: 8) {
                for group in stride(from: 0, to: fanIn, by: 16) {
                    let used = (group..<min(group + 16, fanIn)).filter { position in
                        (first..<min(first + 8, rows)).contains { data[$0 * fanIn + position] != 0 }
                    }
                    #expect(used.count <= 4, "\(layer["name"] ?? "?") rows \(first)..., group \(group): \(used)")
                }
            }
            checked += 1
        }
        #expect(checked == 3)
    }

    @Test("vector-wise: the per-step projection keeps a set's positions in every row, so a row trains a weight its own ranking would drop")
    func vectorWiseProjectionTrainsSharedPosition() throws {
        // Row 0 is 0.5 on x0, row 1 is 0.3 on x1 and 0 on x0; 1 of 4 kept, both rows one set: the
        // set's sums [0.5, 0.3, 0, 0] keep x0 in both rows. The class depends on x0, so row 1's weight on
        // x0 gets gradients and leaves 0 only if the projection after each step is the set's; a per-row
        // projection would keep x1 in row 1 and zero x0 at every step (the final remask cannot undo that).
        let data = try Self.labelledCSV(samples: 2000, seed: 32, label: "sets_data") { $0[0] > 0 ? 0 : 1 }
        let w = try Self.fineTunedWeights(
            Self.fourInputModel(name: "sets", weights: [0.5, 0, 0, 0, 0, 0.3, 0, 0]), label: "sets_projection"
        ) {
            $0.prune = "kofn"
            $0.k = 1
            $0.n = 4
            $0.kofnRows = 2
            $0.epochs = 1
            $0.dataPath = data
        }
        #expect(w[0] != 0 && w[4] != 0, "both rows keep x0: \(w)")
        #expect(w[1] == 0 && w[2] == 0 && w[3] == 0 && w[5] == 0 && w[6] == 0 && w[7] == 0, "\(w)")
    }

    @Test("gradual k-of-n with one epoch (no ramp), plain projection: a weight the projection zeroed grows back past the kept one")
    func prunedWeightGrowsBack() throws {
        // Each row: w0 = 0.2 on an input that is noise, w3 = 0.01 on the input that decides the class.
        // 1 of 4 kept: magnitude keeps w0 at the start. Fixed masks (oneshot, and the old per-epoch
        // schedule, whose single epoch here has no ramp) never use x3. With the projection after every
        // step, zeroed w3 gets one step's growth each step; once the noise weight w0 has shrunk below
        // that, w3 takes its place (188 steps of 32: robust across data seeds and rates 0.03-0.05).
        let fixed = try Self.growthModelWeights(noiseWeight: 0.2, learningRate: 0.03, schedule: "oneshot", srSTE: nil)
        #expect(fixed[3] == 0 && fixed[7] == 0 && fixed[0] != 0 && fixed[4] != 0, "oneshot: \(fixed)")
        let grown = try Self.growthModelWeights(noiseWeight: 0.2, learningRate: 0.03, schedule: "gradual", srSTE: "off")
        #expect(grown[3] != 0 && grown[7] != 0 && grown[0] == 0 && grown[4] == 0, "gradual: \(grown)")
    }

    @Test("SR-STE (the default) lets a dropped weight gather its steps; plain projection (--sr-ste off) zeroes it each step")
    func straightThroughGathersSteps() throws {
        // As above, but the noise weight is 0.1 and the learning rate 0.003: one step grows the zeroed
        // w3 by about 0.003 at most, never past 0.1, so plain projection keeps w0. Under SR-STE w3's
        // dense weight gathers the steps (188 of them, about 0.28 in all) and passes 0.1.
        let plain = try Self.growthModelWeights(noiseWeight: 0.1, learningRate: 0.003, schedule: "gradual", srSTE: "off")
        #expect(plain[3] == 0 && plain[7] == 0 && plain[0] != 0 && plain[4] != 0, "--sr-ste off: \(plain)")
        let straightThrough = try Self.growthModelWeights(noiseWeight: 0.1, learningRate: 0.003, schedule: "gradual", srSTE: nil)
        #expect(
            straightThrough[3] != 0 && straightThrough[7] != 0 && straightThrough[0] == 0 && straightThrough[4] == 0,
            "SR-STE: \(straightThrough)")
    }

    /// The two-class model whose rows start with `noiseWeight` on x0 (noise) and 0.01 on x3 (which
    /// decides the class), fine-tuned one epoch at 1 of 4 kept with the given flags; its weights.
    static func growthModelWeights(noiseWeight: Double, learningRate: Double, schedule: String, srSTE: String?) throws
        -> [Double]
    {
        let model = fourInputModel(name: "grow", weights: [noiseWeight, 0, 0, -0.01, -noiseWeight, 0, 0, 0.01])
        let data = try labelledCSV(samples: 6000, seed: 31, label: "grow_data") { $0[3] > 0 ? 1 : 0 }
        return try fineTunedWeights(model, label: "grow_\(noiseWeight)_\(schedule)_\(srSTE ?? "default")") {
            $0.prune = "kofn"
            $0.k = 1
            $0.n = 4
            $0.epochs = 1
            $0.learningRate = learningRate
            $0.schedule = schedule
            $0.srSTE = srSTE
            $0.dataPath = data
        }
    }

    @Test("gradual pruning at kernel granularity ends at K of every N kernels per filter; bit-exact C")
    func gradualKernels() throws {
        let text = try String(contentsOfFile: Paths.inRoot("Examples/digits_cnn.json"), encoding: .utf8)
        let test = try DigitsAccuracyTests.testSplit()
        let run = try Verification.prepare(modelText: text, label: "gradual_kernel", inputs: Array(test.inputs.prefix(16))) {
            $0.dataPath = Self.data
            $0.granularity = "kernel"
            $0.k = 2
            $0.n = 4
            $0.epochs = 2
        }
        try Verification.writeHarness(run)
        let (output, shell) = try CHarness.runOnHost(directory: run.directory)
        #expect(shell.status == 0, "\(shell.stderr)")
        #expect(output.quantized == run.simulated)
        let model = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: run.directory + "/digits_cnn.pruned.json"))) as? [String: Any]
        let layers = try #require(model?["layers"] as? [[String: Any]])
        let conv2 = try #require(layers.first { $0["name"] as? String == "conv2" }?["weights"] as? [String: Any])
        let shape = try #require(conv2["shape"] as? [Int])
        let weights = try #require(conv2["data"] as? [Double])
        let area = shape[2] * shape[3]
        for filter in 0..<shape[0] {
            for group in stride(from: 0, to: shape[1], by: 4) {
                let live = (group..<min(group + 4, shape[1])).filter { channel in
                    let start = (filter * shape[1] + channel) * area
                    return weights[start..<(start + area)].contains { $0 != 0 }
                }
                #expect(live.count <= 2, "filter \(filter) keeps \(live.count) kernels of a group of 4")
            }
        }
    }

    @Test("--prune darb with --data: projected after every step with growing blocks, so kept positions move; bit-exact C")
    func darbProjected() throws {
        let (tuned, json) = try Self.bitExactDigitsMLP(label: "darb_data") {
            $0.prune = "darb"
            $0.epochs = 3
        }
        let (fixed, _) = try Self.bitExactDigitsMLP(label: "darb_fixed") {
            $0.prune = "darb"
            $0.epochs = 0
        }
        let fineTuning = try #require(json?["fineTuning"] as? [String: Any])
        #expect((fineTuning["masks"] as? String)?.hasPrefix("projected after every step") == true)
        func zeros(_ run: VerificationRun) throws -> [Bool] { try Self.weights(of: run).map { $0 == 0 } }
        let moved = zip(try zeros(tuned), try zeros(fixed)).filter { $0 != $1 }.count
        #expect(moved > 0, "no kept position moved during projected fine-tuning")
        // Still one weight per block: the same count as the data-free masks, row by row.
        #expect(try zeros(tuned).filter { !$0 }.count == (try zeros(fixed)).filter { !$0 }.count)
        // SR-STE (the default) trains other weights than plain projection.
        #expect((fineTuning["masks"] as? String)?.contains("SR-STE") == true)
        let (plain, plainJSON) = try Self.bitExactDigitsMLP(label: "darb_plain") {
            $0.prune = "darb"
            $0.epochs = 3
            $0.srSTE = "off"
        }
        let plainMasks = (plainJSON?["fineTuning"] as? [String: Any])?["masks"] as? String
        #expect(plainMasks?.contains("SR-STE") == false)
        #expect(try Self.weights(of: plain) != (try Self.weights(of: tuned)), "--sr-ste off trained the same weights")
    }

    /// All weights of the model the run implements (`.pruned.json`), layer after layer.
    static func weights(of run: VerificationRun) throws -> [Double] {
        let model = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: run.directory + "/\(run.prefix).pruned.json"))) as? [String: Any]
        let layers = try #require(model?["layers"] as? [[String: Any]])
        return layers.compactMap { ($0["weights"] as? [String: Any])?["data"] as? [Double] }.flatMap { $0 }
    }

    @Test("--prune edp with --data: group lasso, pruning and merging, fine-tuning; the factors are in .pruned.json; bit-exact C")
    func edpWithData() throws {
        let (run, json) = try Self.bitExactDigitsMLP(label: "edp") {
            $0.prune = "edp"
            $0.epochs = 3
            $0.edpEnergy = 0.8
        }
        let pruning = try #require(json?["pruning"] as? [String: Any])
        #expect((pruning["form"] as? String)?.hasPrefix("truncated SVD") == true)
        let layers = try #require(pruning["layers"] as? [[String: Any]])
        #expect(layers.map { $0["layer"] as? String } == ["fc1", "fc2", "fc3"])
        let reportLayers = try #require(json?["layers"] as? [[String: Any]])
        let model = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: run.directory + "/digits_mlp.pruned.json"))) as? [String: Any]
        let modelLayers = try #require(model?["layers"] as? [[String: Any]])
        #expect(modelLayers.map { $0["name"] as? String } == reportLayers.map { $0["name"] as? String })
        // Each factored source appears as its basis then its coefficients, with the rank between them.
        for planned in layers where planned["form"] as? String == "factored" {
            let name = try #require(planned["layer"] as? String)
            let rank = try #require(planned["rank"] as? Int)
            let basis = try #require(reportLayers.first { $0["name"] as? String == name + "_basis" })
            #expect(basis["role"] as? String == "basis" && (basis["outputShape"] as? [Int]) == [rank])
        }
        let fineTuning = try #require(json?["fineTuning"] as? [String: Any])
        #expect(fineTuning["fixedPointTestAccuracy"] != nil && fineTuning["epochs"] as? Int == 6)
        // A strong lasso removes ranks that the SVD kept.
        let (_, strong) = try Self.bitExactDigitsMLP(label: "edp_lasso") {
            $0.prune = "edp"
            $0.epochs = 3
            $0.edpEnergy = 0.8
            $0.edpLambda = 5
        }
        let strongLayers = try #require((strong?["pruning"] as? [String: Any])?["layers"] as? [[String: Any]])
        let dropped = strongLayers.filter { layer in
            guard let svd = layer["svdRank"] as? Int, let rank = layer["rank"] as? Int else { return false }
            return rank < svd
        }
        #expect(!dropped.isEmpty, "group lasso removed no rank: \(strongLayers)")
    }

    @Test("--prune edp --sparsity with --data: factors from full rank, cut to the weight budget after the lasso; bit-exact C")
    func edpBudgetWithData() throws {
        let (_, json) = try Self.bitExactDigitsMLP(label: "edp_budget") {
            $0.prune = "edp"
            $0.epochs = 2
            $0.sparsity = 0.875
        }
        let pruning = try #require(json?["pruning"] as? [String: Any])
        #expect((pruning["form"] as? String)?.hasPrefix("factors from the full-rank SVD") == true)
        let cut = try #require(pruning["budgetCut"] as? [String: Any])
        // The digits MLP holds 2,720 weights: a budget of 340.
        #expect(cut["budget"] as? Int == 340 && cut["met"] as? Bool == true)
        let after = try #require(cut["weightsAfter"] as? Int)
        #expect(after <= 340 && (cut["weightsBefore"] as? Int ?? 0) > 340)
        // The lowered model holds exactly what the report counts (pairs merged where not smaller).
        let totals = try #require(json?["totals"] as? [String: Any])
        #expect(totals["keptWeights"] as? Int == after)
        // Every source layer starts at full rank.
        let layers = try #require(pruning["layers"] as? [[String: Any]])
        #expect(layers.allSatisfy { $0["svdRank"] as? Int == $0["fullRank"] as? Int })
    }

    /// Generates the digits MLP pruned by `prune` (k-of-n and DPP at 4/16) with 2 epochs of training,
    /// twice with a training flag set (`configure(&options, true)`) and once without, each bit-exact;
    /// expects the two with it to give the same pruned model and the one without another. Returns the
    /// reports with and without the flag.
    static func trainingFlagChangesWeights(
        label: String, prune: String = "kofn", configure: (inout GenerateOptions, Bool) -> Void
    ) throws -> (with: [String: Any]?, without: [String: Any]?) {
        func generate(_ suffix: String, _ on: Bool) throws -> (run: VerificationRun, report: [String: Any]?) {
            try bitExactDigitsMLP(label: label + suffix) { options in
                options.prune = prune
                if prune == "kofn" || prune == "dpp" {
                    options.k = 4
                    options.n = 16
                }
                options.epochs = 2
                configure(&options, on)
            }
        }
        let (first, report) = try generate("_a", true)
        let (second, _) = try generate("_b", true)
        let (plain, plainReport) = try generate("_none", false)
        func pruned(_ run: VerificationRun) throws -> String {
            try String(contentsOfFile: run.directory + "/digits_mlp.pruned.json", encoding: .utf8)
        }
        #expect(try pruned(first) == pruned(second))
        #expect(try pruned(first) != pruned(plain))
        return (report, plainReport)
    }

    @Test("--augment perturbs training: other weights than without, the same for a seed, reported; bit-exact C")
    func augmented() throws {
        let spec = "rotate=10,scale=0.1,shear=0.1,shift=0.5,noise=0.2,image=8x8"
        let (report, _) = try Self.trainingFlagChangesWeights(label: "augment") { $0.augment = $1 ? spec : nil }
        let tuning = try #require(report?["fineTuning"] as? [String: Any])
        let augmentation = try #require(tuning["augmentation"] as? [String: Any])
        #expect(augmentation["rotateDegrees"] as? Double == 10)
        #expect(augmentation["noiseStd"] as? Double == 0.2)
        #expect(augmentation["image"] as? [Int] == [1, 8, 8])
    }

    @Test("--distill: the model as read teaches (other weights than the labels alone, the same for a seed), reported; bit-exact C")
    func distilled() throws {
        let (report, plainReport) = try Self.trainingFlagChangesWeights(label: "distill") { options, on in
            options.distill = on ? 0.7 : nil
            options.distillTemperature = on ? 3 : nil
        }
        let tuning = try #require(report?["fineTuning"] as? [String: Any])
        let distillation = try #require(tuning["distillation"] as? [String: Any])
        #expect(distillation["weight"] as? Double == 0.7)
        #expect(distillation["temperature"] as? Double == 3)
        #expect((distillation["teacher"] as? String)?.contains("model as read") == true)
        let plainTuning = try #require(plainReport?["fineTuning"] as? [String: Any])
        #expect(plainTuning["distillation"] is NSNull)
    }

    @Test("--distill reaches every method's training: DPP, DARB, EDP and SAP train other weights with it, reported", arguments: ["dpp", "darb", "edp", "sap"])
    func distilledEveryMethod(_ method: String) throws {
        let (report, _) = try Self.trainingFlagChangesWeights(label: "distill_" + method, prune: method) {
            $0.distill = $1 ? 0.5 : nil
        }
        let tuning = try #require(report?["fineTuning"] as? [String: Any])
        #expect((tuning["distillation"] as? [String: Any])?["weight"] as? Double == 0.5)
    }

    @Test("--distill 1 teaches from the unpruned model: a 1-of-16 student with its masks fixed learns from it alone")
    func teacherIsUnpruned() throws {
        // With the labels' weight at 0, a teacher equal to the pruned student would give a zero
        // gradient from the first step (only weight decay would move it); the unpruned one does not.
        let (_, report) = try Self.bitExactDigitsMLP(label: "distill_unpruned") { options in
            options.k = 1
            options.n = 16
            options.schedule = "oneshot"
            options.epochs = 10
            options.learningRate = 0.01
            options.distill = 1
        }
        let tuning = try #require(report?["fineTuning"] as? [String: Any])
        let before = try #require(tuning["floatTrainAccuracyBefore"] as? Double)
        let after = try #require(tuning["floatTrainAccuracy"] as? Double)
        #expect(after > before + 15, "train accuracy \(before) % before, \(after) % after")
    }

    @Test("--blas openblas trains like GSL's CBLAS (to rounding), the same bytes run to run; bit-exact C")
    func openBLAS() throws {
        func configure(_ options: inout GenerateOptions, blas: String) {
            options.k = 4
            options.n = 16
            options.epochs = 3
            options.blas = blas
        }
        let (gsl, gslReport) = try Self.bitExactDigitsMLP(label: "blas_gsl") { configure(&$0, blas: "gsl") }
        let (first, report) = try Self.bitExactDigitsMLP(label: "blas_openblas_a") { configure(&$0, blas: "openblas") }
        let (second, _) = try Self.bitExactDigitsMLP(label: "blas_openblas_b") { configure(&$0, blas: "openblas") }
        func pruned(_ run: VerificationRun) throws -> [Double] {
            let model = try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: run.directory + "/digits_mlp.pruned.json"))) as? [String: Any]
            let layers = try #require(model?["layers"] as? [[String: Any]])
            return layers.flatMap { ($0["weights"] as? [String: Any])?["data"] as? [Double] ?? [] }
        }
        #expect(try pruned(first) == pruned(second))
        // Same training, other summation order: weights agree to far below the 8-bit step.
        let difference = zip(try pruned(first), try pruned(gsl)).map { abs($0 - $1) }.max() ?? .infinity
        #expect(difference < 1e-6, "largest weight difference \(difference)")
        let accuracy = { (report: [String: Any]?) in (report?["fineTuning"] as? [String: Any])?["fixedPointTestAccuracy"] as? Double }
        #expect(accuracy(report) != nil && accuracy(report) == accuracy(gslReport))
    }

    /// A dense layer of 2 rows over 4 inputs in [-1, 1] (row-major `weights`), zero biases, softmax.
    static func fourInputModel(name: String, weights: [Double]) -> String {
        """
        {"version": 1, "name": "\(name)", "input": {"shape": [4], "range": [-1, 1]}, "layers": [
          {"type": "dense", "name": "fc", "weights": {"shape": [2, 4], "data": [\(weights.map { String($0) }.joined(separator: ", "))]},
           "bias": {"shape": [2], "data": [0, 0]}}, {"type": "softmax"}]}
        """
    }

    /// A CSV of `samples` rows of 4 seeded uniform inputs in [-1, 1], each labelled by `classOf`; its path.
    static func labelledCSV(samples: Int, seed: UInt64, label: String, classOf: ([Double]) -> Int) throws -> String {
        var generator = SeededGenerator(seed: seed)
        var csv = ""
        for _ in 0..<samples {
            let x = (0..<4).map { _ in generator.uniform(-1, 1) }
            csv += "\(classOf(x))," + x.map { String($0) }.joined(separator: ",") + "\n"
        }
        let path = Paths.temporaryDirectory(label) + "/data.csv"
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The first layer's weights in `.pruned.json` after gen runs on `model` with `configure`.
    static func fineTunedWeights(_ model: String, label: String, configure: (inout GenerateOptions) -> Void) throws
        -> [Double]
    {
        let run = try Verification.prepare(modelText: model, label: label, configure: configure)
        let pruned = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: run.directory + "/\(run.prefix).pruned.json"))) as? [String: Any]
        let layers = try #require(pruned?["layers"] as? [[String: Any]])
        return try #require((layers[0]["weights"] as? [String: Any])?["data"] as? [Double])
    }

    /// Generates the digits MLP with the digits data and `configure`, checks the C bit-exact with the
    /// simulator on 32 test images, and returns the run and its parsed report.
    static func bitExactDigitsMLP(label: String, configure: (inout GenerateOptions) -> Void) throws
        -> (run: VerificationRun, report: [String: Any]?)
    {
        let text = try String(contentsOfFile: Paths.inRoot("Examples/digits_mlp.json"), encoding: .utf8)
        let test = try DigitsAccuracyTests.testSplit()
        let run = try Verification.prepare(modelText: text, label: label, inputs: Array(test.inputs.prefix(32))) {
            $0.dataPath = Self.data
            configure(&$0)
        }
        try Verification.writeHarness(run)
        let (output, shell) = try CHarness.runOnHost(directory: run.directory)
        #expect(shell.status == 0, "\(shell.stderr)")
        #expect(output.quantized == run.simulated)
        let report = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: run.directory + "/digits_mlp.report.json"))) as? [String: Any]
        return (run, report)
    }
}
