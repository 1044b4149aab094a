// EndToEndTests/RecipeTests.swift - --recipe: per-layer exceptions to the pruning flags, in the masks, the report and the C.

import Foundation
import GenDriver
import Testing

@Suite("Recipe files (--recipe)")
struct RecipeTests {
    static let recipe = #"{"version": 1, "layers": {"fc3": {"prune": false}, "fc1": {"k": 2, "n": 8}}}"#

    /// The report's entry per layer name.
    static func layers(_ directory: String) throws -> [String: [String: Any]] {
        let report = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: directory + "/digits_mlp.report.json"))) as? [String: Any]
        let entries = try #require(report?["layers"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: entries.compactMap { entry in (entry["name"] as? String).map { ($0, entry) } })
    }

    /// Non-zero weights per group of `n` along every row of layer `index` of a .pruned.json (the model
    /// has some weights that are exactly zero, so a group may show fewer than it keeps).
    static func keptCounts(_ directory: String, layer index: Int, n: Int) throws -> Set<Int> {
        let model = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: directory + "/digits_mlp.pruned.json"))) as? [String: Any]
        let layer = try #require((model?["layers"] as? [[String: Any]])?[index])
        let weights = try #require((layer["weights"] as? [String: Any])?["data"] as? [Double])
        let fanIn = try #require(((layer["weights"] as? [String: Any])?["shape"] as? [Int])?.last)
        var counts = Set<Int>()
        for row in stride(from: 0, to: weights.count, by: fanIn) {
            for start in stride(from: 0, to: fanIn, by: n) {
                counts.insert(weights[(row + start)..<(row + min(start + n, fanIn))].filter { $0 != 0 }.count)
            }
        }
        return counts
    }

    /// The digits MLP generated with `recipe` (and `configure`'s flags) on 32 test images; its host C
    /// must equal the simulator.
    static func bitExactRun(
        recipe: String, label: String, configure: (inout GenerateOptions) -> Void
    ) throws -> VerificationRun {
        let text = try String(contentsOfFile: Paths.inRoot("Examples/digits_mlp.json"), encoding: .utf8)
        let directory = Paths.temporaryDirectory(label)
        let recipePath = directory + "/recipe.json"
        try recipe.write(toFile: recipePath, atomically: true, encoding: .utf8)
        let test = try DigitsAccuracyTests.testSplit()
        let run = try Verification.prepare(modelText: text, label: label, inputs: Array(test.inputs.prefix(32))) {
            configure(&$0)
            $0.recipePath = recipePath
            $0.sparseLowering = "always"
        }
        try Verification.writeHarness(run)
        let (output, shell) = try CHarness.runOnHost(directory: run.directory)
        #expect(shell.status == 0, "\(shell.stderr)")
        #expect(output.quantized == run.simulated)
        return run
    }

    @Test("magnitude k-of-n: fc1 at 2/8, fc2 at --k/--n 4/16, fc3 whole; reported per layer; bit-exact C")
    func magnitude() throws {
        let run = try Self.bitExactRun(recipe: Self.recipe, label: "recipe_kofn") {
            $0.k = 4
            $0.n = 16
        }
        #expect(try Self.keptCounts(run.directory, layer: 0, n: 8).max() == 2)
        #expect(try Self.keptCounts(run.directory, layer: 1, n: 16).max() == 4)
        let layers = try Self.layers(run.directory)
        #expect(layers["fc1"]?["k"] as? Int == 2 && layers["fc1"]?["n"] as? Int == 8)
        #expect(layers["fc2"]?["k"] as? Int == 4 && layers["fc2"]?["n"] as? Int == 16)
        #expect(layers["fc3"]?["method"] as? String == "none")
        let source = try String(contentsOfFile: run.directory + "/digits_mlp.c", encoding: .utf8)
        #expect(source.contains("2 of every 8"), "fc1's comment should name its own k-of-n")
    }

    @Test("DPP learns masks only where the recipe prunes, with the recipe's k and n")
    func learned() throws {
        let text = try String(contentsOfFile: Paths.inRoot("Examples/digits_mlp.json"), encoding: .utf8)
        let directory = Paths.temporaryDirectory("recipe_dpp")
        let recipePath = directory + "/recipe.json"
        try Self.recipe.write(toFile: recipePath, atomically: true, encoding: .utf8)
        let run = try Verification.prepare(modelText: text, label: "recipe_dpp") {
            $0.prune = "dpp"
            $0.k = 4
            $0.n = 16
            $0.epochs = 1
            $0.dataPath = FineTuningTests.data
            $0.recipePath = recipePath
            $0.sparseLowering = "always"
        }
        #expect(try Self.keptCounts(run.directory, layer: 0, n: 8).max() == 2)
        #expect(try Self.keptCounts(run.directory, layer: 1, n: 16).max() == 4)
        #expect(try Self.keptCounts(run.directory, layer: 2, n: 16).contains { $0 > 4 }, "fc3 was pruned")
        let layers = try Self.layers(run.directory)
        #expect(layers["fc3"]?["method"] as? String == "none")
    }

    @Test("SAP leaves a layer the recipe keeps whole out of its index and budget; bit-exact C")
    func sap() throws {
        let run = try Self.bitExactRun(recipe: #"{"version": 1, "layers": {"fc3": {"prune": false}}}"#, label: "recipe_sap") {
            $0.prune = "sap"
            $0.sapGamma = 2
        }
        let layers = try Self.layers(run.directory)
        #expect(layers["fc3"]?["method"] as? String == "none")
        #expect(layers["fc1"]?["method"] as? String == "sap" && layers["fc2"]?["method"] as? String == "sap")
        #expect(try Self.keptCounts(run.directory, layer: 2, n: 16).contains { $0 > 8 }, "fc3 was pruned")
        let report = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: run.directory + "/digits_mlp.report.json"))) as? [String: Any]
        let prune = try #require(report?["pruning"] as? [String: Any])
        let sapLayers = try #require(prune["layers"] as? [[String: Any]]).compactMap { $0["layer"] as? String }
        #expect(sapLayers == ["fc1", "fc2"])
        #expect(prune["recipe"] as? String == "recipe.json")
    }

    @Test("DARB: fc1 at its own sparsity, fc3 whole, fc2 at --sparsity; fine-tuned; bit-exact C")
    func darb() throws {
        let run = try Self.bitExactRun(
            recipe: #"{"version": 1, "layers": {"fc1": {"sparsity": 0.5}, "fc3": {"prune": false}}}"#, label: "recipe_darb"
        ) {
            $0.prune = "darb"
            $0.sparsity = 0.875
            $0.epochs = 2
            $0.dataPath = FineTuningTests.data
        }
        let layers = try Self.layers(run.directory)
        #expect(layers["fc3"]?["method"] as? String == "none")
        let fc1 = try #require(layers["fc1"]?["keptWeights"] as? Int)
        let fc2 = try #require(layers["fc2"]?["keptWeights"] as? Int)
        // fc1 is 64 x 32, fc2 32 x 16: about half of fc1 and an eighth of fc2 (rows round to powers of two).
        #expect(abs(Double(fc1) / 2048 - 0.5) < 0.15, "fc1 keeps \(fc1) of 2048")
        #expect(abs(Double(fc2) / 512 - 0.125) < 0.06, "fc2 keeps \(fc2) of 512")
        #expect(try Self.keptCounts(run.directory, layer: 2, n: 16).contains { $0 > 8 }, "fc3 was pruned")
        let report = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: run.directory + "/digits_mlp.report.json"))) as? [String: Any]
        let prune = try #require(report?["pruning"] as? [String: Any])
        #expect(prune["method"] as? String == "darb" && prune["recipe"] as? String == "recipe.json")
        #expect(prune["layerSparsity"] as? [String: Double] == ["fc1": 0.5])
    }

    /// Every recipe in Examples/recipes/, for the example its name starts with (the longest such name).
    static let exampleRecipes: [String] =
        ((try? FileManager.default.contentsOfDirectory(atPath: Paths.inRoot("Examples/recipes"))) ?? []).filter {
            $0.hasSuffix(".json")
        }.sorted()

    @Test("every example recipe is accepted by its model, and one that states its kept weights keeps exactly those",
        arguments: exampleRecipes)
    func exampleRecipe(_ file: String) throws {
        let examples = try FileManager.default.contentsOfDirectory(atPath: Paths.inRoot("Examples"))
            .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }
        let model = try #require(examples.filter { file.hasPrefix($0 + "_") }.max { $0.count < $1.count }, "no example for \(file)")
        let recipe = Paths.inRoot("Examples/recipes/" + file)
        let text = try String(contentsOfFile: recipe, encoding: .utf8)
        // DARB recipes give sparsities; the others k and n (the 8x ones are stated with --k 2 --n 16).
        let method = text.contains("\"sparsity\"") ? ["--prune", "darb"] : ["--prune", "kofn", "--k", "2", "--n", "16"]
        let out = Paths.temporaryDirectory("example-recipe-" + file)
        let result = try Shell.run(
            [Paths.genExecutable, "--target", "mcu", Paths.inRoot("Examples/\(model).json"), "--recipe", recipe, "-o", out,
             "--quiet"] + method,
            environment: ["GEN_HOME": Paths.root, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"])
        #expect(result.status == 0, "\(result.stderr)")
        let description = try #require(
            (JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["description"] as? String)
        // "(628 of 5,072 weights)": the kept and all weights, as the report counts them.
        guard let match = description.firstMatch(of: /\(([0-9,]+) of ([0-9,]+) weights\)/) else { return }
        let report = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: out + "/\(model).report.json"))) as? [String: Any]
        let totals = try #require(report?["totals"] as? [String: Any])
        #expect(totals["keptWeights"] as? Int == Int(match.1.replacingOccurrences(of: ",", with: "")))
        #expect(totals["weights"] as? Int == Int(match.2.replacingOccurrences(of: ",", with: "")))
    }
}
