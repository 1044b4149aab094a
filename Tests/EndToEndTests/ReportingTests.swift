// EndToEndTests/ReportingTests.swift - The terminal table, --plot pictures, gen verify and progress lines.

import Foundation
import GenDriver
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite("Reports, pictures, verification and progress")
struct ReportingTests {
    static let digitsCNN = Paths.inRoot("Examples/digits_cnn.json")
    static let calib = Paths.inRoot("Tests/Fixtures/digits/digits_calib.npz")
    static let test = Paths.inRoot("Tests/Fixtures/digits/digits_test.npz")

    @Test("the cost model decides only for the 8-bit kernels it was fitted to; 16-bit layers keep their sparse form")
    func costModelScope() throws {
        for (bits, form) in [(8, "dense"), (16, "sparse")] {
            let directory = Paths.temporaryDirectory("cost-scope")
            let result = try Shell.run(
                [Paths.genExecutable, Self.digitsCNN, "--target", "mcu", "-o", directory, "--weight-bits", "\(bits)",
                 "--act-bits", "\(bits)", "--quiet"])
            #expect(result.status == 0, "\(result.stderr)")
            let report = try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: directory + "/digits_cnn.report.json"))) as? [String: Any]
            let layers = try #require(report?["layers"] as? [[String: Any]])
            let fc = try #require(layers.first { $0["name"] as? String == "fc" })
            let lowering = try #require(fc["lowering"] as? [String: Any])
            // 8/16 on a 160-weight dense layer: slower sparse at 8 bits; no figures at 16 bits.
            #expect(lowering["form"] as? String == form, "\(bits)-bit: \(lowering)")
        }
    }

    @Test("filter pruning: sparsity and dense MACs are measured against the layers before compaction")
    func filterReportCountsOriginalWeights() throws {
        let directory = Paths.temporaryDirectory("filter-report")
        let result = try Shell.run(
            [Paths.genExecutable, Self.digitsCNN, "--target", "host", "-o", directory, "--granularity", "filter",
             "--k", "2", "--n", "4", "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: directory + "/digits_cnn.report.json"))) as? [String: Any]
        let layers = try #require(report?["layers"] as? [[String: Any]])
        func entry(_ name: String) -> [String: Any]? { layers.first { $0["name"] as? String == name } }
        // conv1 8x1x3x3 keeps 4 filters; conv2 16x8x3x3 keeps 8 filters of the 4 surviving inputs; fc
        // 10x16 keeps the inputs of conv2's surviving filters.
        for (name, weights, kept, sparsity) in [("conv1", 72, 36, 0.5), ("conv2", 1152, 288, 0.75), ("fc", 160, 80, 0.5)] {
            let layer = try #require(entry(name))
            #expect(layer["weights"] as? Int == weights, "\(name)")
            #expect(layer["keptWeights"] as? Int == kept, "\(name)")
            #expect(layer["sparsity"] as? Double == sparsity, "\(name)")
        }
        #expect(entry("fc")?["granularity"] as? String == "filter")
        let totals = try #require(report?["totals"] as? [String: Any])
        #expect(totals["denseMacs"] as? Int == 9376 && totals["macs"] as? Int == 3536)
    }

    @Test("the report gives each conv2d's column and padded rows, and they fit in the arena beside the layer's output")
    func columnAndPaddedRows() throws {
        let directory = Paths.temporaryDirectory("padded-report")
        let result = try Shell.run([Paths.genExecutable, Self.digitsCNN, "--target", "mcu", "-o", directory, "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: directory + "/digits_cnn.report.json"))) as? [String: Any]
        let layers = try #require(report?["layers"] as? [[String: Any]])
        let arena = try #require((report?["totals"] as? [String: Any])?["arenaBytes"] as? Int)
        // conv1 (1 channel, 3x3, same padding on 8x8) runs the pixel-pair kernel with pool1 inside it: no
        // column, a pooling window's 4 input rows, each 8 wide plus a zero on either side. conv2 (valid
        // padding, 8 channels) copies its field of 72 values without padded rows.
        #expect(layers.first { $0["name"] as? String == "conv1" }?["fusedMaxPool"] as? String == "pool1")
        #expect(layers.first { $0["name"] as? String == "pool1" }?["fusedInto"] as? String == "conv1")
        for (name, column, padded) in [("conv1", 0, 40), ("conv2", 72, 0)] {
            let layer = try #require(layers.first { $0["name"] as? String == name })
            #expect(layer["columnBytes"] as? Int == column, "\(name)")
            #expect(layer["paddedRowsBytes"] as? Int == padded, "\(name)")
            // conv1's input is the caller's; its output (pool1's) and padded rows share the arena.
            let written = name == "conv1" ? try #require(layers.first { $0["name"] as? String == "pool1" }) : layer
            let output = try #require(written["outputShape"] as? [Int]).reduce(1, *)
            if name == "conv1" { #expect(output + column + padded <= arena, "arena \(arena)") }
        }
    }

    @Test("the terminal table lists every layer with MACC, ROM and RAM, and totals that match the JSON report")
    func table() throws {
        let directory = Paths.temporaryDirectory("table")
        for format in ["text", "md", "json"] {
            let result = try Shell.run(
                [Paths.genExecutable, Self.digitsCNN, "--target", "mcu", "-o", directory, "--report-format", format])
            #expect(result.status == 0, "\(result.stderr)")
            let report = try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: directory + "/digits_cnn.report.json"))) as? [String: Any]
            let totals = try #require(report?["totals"] as? [String: Any])
            let macs = try #require(totals["macs"] as? Int)
            let rom = try #require(totals["flashTableBytes"] as? Int)
            let ram = try #require(totals["arenaBytes"] as? Int)
            switch format {
            case "json":
                #expect(result.stdout.contains("\"flashTableBytes\": \(rom)"))
            default:
                #expect(result.stdout.contains("MACC \(macs), ROM \(rom) bytes"), "\(result.stdout)")
                #expect(result.stdout.contains("RAM \(ram) bytes"))
                for layer in ["conv1", "pool1", "conv2", "pool2", "flat", "fc", "prob"] {
                    #expect(result.stdout.contains(layer))
                }
                if format == "md" { #expect(result.stdout.contains("| conv1 | conv2d | 8x8x8 | kofn | 8/16 as dense |")) }
            }
        }
        let quiet = try Shell.run(
            [Paths.genExecutable, Self.digitsCNN, "--target", "mcu", "-o", directory, "--quiet"])
        #expect(quiet.status == 0 && quiet.stdout.isEmpty && quiet.stderr.isEmpty)
    }

    /// Counts the cells drawn as kept in a mask picture (sum of run lengths divided by the scale).
    final class MaskCounter: NSObject, XMLParserDelegate {
        var scale = 1
        var keptCells = 0
        var rows = Set<Int>()
        func parser(
            _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            if name == "g", attributes["class"] == "kept" { scale = Int(attributes["stroke-width"] ?? "1") ?? 1 }
            if name == "path", let d = attributes["d"], let row = attributes["data-row"].flatMap(Int.init) {
                rows.insert(row)
                for run in d.split(separator: "h").dropFirst() {
                    keptCells += (Int(run.prefix { $0.isNumber }) ?? 0) / scale
                }
            }
        }
    }

    @Test("--plot writes one well-formed SVG per weighted layer whose dark cells are the kept weights")
    func plots() throws {
        let directory = Paths.temporaryDirectory("plot")
        let result = try Shell.run(
            [Paths.genExecutable, Self.digitsCNN, "--target", "mcu", "-o", directory + "/out", "--plot",
             directory + "/plots", "--quiet"])
        #expect(result.status == 0, "\(result.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory + "/plots").sorted()
        #expect(files == ["000_conv1_mask.svg", "002_conv2_mask.svg", "005_fc_mask.svg"])
        let report = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: directory + "/out/digits_cnn.report.json"))) as? [String: Any]
        let layers = (report?["layers"] as? [[String: Any]] ?? []).filter { $0["keptWeights"] != nil }
        for (file, layer) in zip(files, layers) {
            let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/plots/" + file))
            #expect(data.count > 300, "\(file) is nearly empty")
            let parser = XMLParser(data: data)
            let counter = MaskCounter()
            parser.delegate = counter
            #expect(parser.parse(), "\(file) is not well-formed XML")
            #expect(counter.keptCells == layer["keptWeights"] as? Int, "\(file): dark cells != kept weights")
            #expect(counter.keptCells < (layer["weights"] as? Int ?? 0), "\(file): nothing pruned is visible")
        }
    }

    @Test("gen verify prints the metrics, and exits 1 when a tolerance is exceeded")
    func verify() throws {
        let good = try Shell.run(
            [Paths.genExecutable, "verify", Self.digitsCNN, "--target", "host", "--prune", "none", "--calib", Self.calib,
             "--data", Self.test, "--max-accuracy-drop", "1", "--max-l2r", "0.05", "--min-cosine", "0.99"])
        #expect(good.status == 0, "\(good.stdout)\(good.stderr)")
        #expect(good.stdout.contains("gen verify: 539 samples"))
        #expect(good.stdout.contains("pruned float model         96.85%"), "\(good.stdout)")
        #expect(good.stdout.contains("accuracy: generated C 97.03%, pruned float 96.85%, unpruned float 96.85%"))
        #expect(good.stdout.contains("  output 9 "))
        // Progress lines go to stderr when it is not a terminal: four quarters and the end.
        #expect(good.stderr.split(separator: "\n").filter { $0.hasPrefix("verify: ") }.count == 5, "\(good.stderr)")

        let bad = try Shell.run(
            [Paths.genExecutable, "verify", Self.digitsCNN, "--target", "host", "--k", "2", "--n", "16", "--calib",
             Self.calib, "--data", Self.test, "--max-accuracy-drop", "1", "--quiet"])
        #expect(bad.status == 2)
        #expect(bad.stdout.isEmpty)
        #expect(bad.stderr.hasPrefix("error: --max-accuracy-drop: the C's accuracy "), "\(bad.stderr)")

        // Data far outside input.range (pixels 0..16 instead of 0..1) is run, with a warning.
        let directory = Paths.temporaryDirectory("range")
        var csv = ""
        for label in 0..<10 { csv += "\(label)," + (0..<64).map { String(($0 + label) % 17) }.joined(separator: ",") + "\n" }
        try csv.write(toFile: directory + "/wide.csv", atomically: true, encoding: .utf8)
        let wide = try Shell.run(
            [Paths.genExecutable, "verify", Self.digitsCNN, "--target", "host", "--data", directory + "/wide.csv", "--quiet"])
        #expect(wide.status == 0)
        #expect(wide.stderr.contains("warning: --data: inputs span [0.0, 16.0], outside the model's input.range [0.0, 1.0]"), "\(wide.stderr)")
    }

    @Test("progress: a rewritten line on a terminal, quarters otherwise, nothing when quiet; ETA from elapsed time")
    func progress() {
        var now = 0.0
        let lines = ProgressReporter(mode: .lines, clock: { now })
        var written: [String] = []
        for step in 1...8 {
            now = Double(step)
            written.append(lines.update("train", done: step, total: 8, detail: "loss 0.5"))
        }
        // One second per step from t = 0: the ETA is the remaining steps at that pace.
        #expect(written.filter { !$0.isEmpty } == [
            "train: 1/8 (12%), loss 0.5, ETA 7s\n", "train: 2/8 (25%), loss 0.5, ETA 6s\n",
            "train: 4/8 (50%), loss 0.5, ETA 4s\n", "train: 6/8 (75%), loss 0.5, ETA 2s\n",
            "train: 8/8 (100%), loss 0.5\n",
        ])
        let quiet = ProgressReporter(mode: .quiet, clock: { 0 })
        #expect(quiet.update("x", done: 1, total: 2).isEmpty)
        let terminal = ProgressReporter(mode: .terminal, clock: { 0 })
        #expect(terminal.update("x", done: 1, total: 2).hasPrefix("\r"))
    }
}
