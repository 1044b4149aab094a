// EndToEndTests/CortexMTests.swift - The mcu output cross-compiled for Cortex-M4 and run under QEMU.

import Foundation
import GenLowering
import Testing

@Suite("Cortex-M4 under qemu-system-arm gives the host's outputs")
struct CortexMTests {
    static let models: [(String, String)] = [
        ("digits_mlp", (try? String(contentsOfFile: Paths.inRoot("Examples/digits_mlp.json"), encoding: .utf8)) ?? ""),
        ("digits_cnn", (try? String(contentsOfFile: Paths.inRoot("Examples/digits_cnn.json"), encoding: .utf8)) ?? ""),
        ("cnn_test", TestModels.cnn()),
        ("mlp_test", TestModels.mlp()),
        ("cnn_kernel", TestModels.cnn()),
        // k-of-n kept sparse whatever the cost model says: the DSP group kernel (k = 4, 8) and the
        // scalar one (k = 2), nibble and byte indices, full groups and partial last groups.
        ("mlp_k4_nibble", TestModels.mlp()),
        ("mlp_k8_byte", TestModels.mlp()),
        ("mlp_k2_nibble", TestModels.mlp()),
        // conv2d k-of-n over the im2col column (k = 4: the DSP group path; k = 2: the scalar one;
        // partial last groups), byte and nibble indices.
        ("cnn_k4_byte", TestModels.cnn()),
        ("cnn_k4_nibble", TestModels.cnn()),
        ("cnn_k2_nibble", TestModels.cnn()),
        // A conv2d column larger than the gap between its input and output: the arena grows.
        ("wide_conv", TestModels.wideConv()),
        // An arena with nothing but a column: declared for the DSP path only (the host build must not
        // see an unused variable).
        ("single_conv", TestModels.singleConv()),
        // The dense row-pair kernel's blocks and column steps, and a layer that keeps the four-row kernel.
        ("row_pairs", TestModels.rowPairShapes()),
        // Vector-wise k-of-n: the gather per set of rows, then the row-pair kernel over it.
        ("kofn_rows", TestModels.vectorKofN()),
        // SAP's per-layer k, every pruned layer kept sparse.
        ("cnn_sap", TestModels.cnn()),
        // DARB: rows grouped by block size, packed offsets.
        ("mlp_darb", TestModels.mlp()),
        // ...and on conv2d layers, their output channels grouped by block size over the im2col column:
        // cnn_test's conv3; padded rows, stride 2, partial offset bytes, 1- to 8-bit offsets, a group of blocks
        // of 1; a model whose arena holds nothing but such a column.
        ("cnn_darb", TestModels.cnn()),
        ("darb_convs", TestModels.darbConvs()),
        ("single_darb_conv", TestModels.singleDARBConv()),
        // EDP: basis and coefficient layers (1x1 conv2d for the convolutions).
        ("cnn_edp", TestModels.cnn()),
        // An arena with nothing but the column of a k-of-n conv2d, which reads it on every core (k = 2:
        // no DSP path at all, so no GEN_ARM_DSP either).
        ("single_conv_k2", TestModels.singleConv()),
        // Vector-wise k-of-n conv2d: per pixel the im2col column, then each set's gather from it and
        // the row-pair kernel (sets of 4: full and shorter sets; stride, padding, a 2x2 kernel).
        ("cnn_rows", TestModels.cnn()),
        // ...and with 2 kept per row: on Cortex-M the row-pair kernel's two-column step alone, plain loops
        // on the host; the arena holds nothing but columns.
        ("single_conv_rows", TestModels.singleConv()),
        // im2col from padded rows (conv1) and over the border with tests (conv2, 5 wide, stride 2).
        ("padded_fields", TestModels.paddedFields()),
        // 2x2 max pooling four bytes at a time over odd sizes; average pooling over 3 values.
        ("pools", TestModels.pools()),
        // 16 bits: fc keeps int32 accumulators, so its rounding goes into the bias and its clamp to
        // the int16 range is one SSAT.
        ("digits_cnn_16", (try? String(contentsOfFile: Paths.inRoot("Examples/digits_cnn.json"), encoding: .utf8)) ?? ""),
        // 2 of 16 as gen lowers it: fc1 k-of-n storing its 10 constant outputs after the others, fc2 and fc3
        // dense together (fc2's constant outputs), each reading fewer columns, their constants in the bias.
        ("digits_mlp_wide_k2", (try? String(contentsOfFile: Paths.inRoot("Examples/digits_mlp_wide.json"), encoding: .utf8)) ?? ""),
        // ...and fc1 kept sparse at 8 of 9 with nibble indices (a partial last group of 1: 57 kept a row, the
        // last nibble padding) before fc2 left unpruned: fc1's constant rows leave its weights and indices.
        ("digits_mlp_wide_k8of9", (try? String(contentsOfFile: Paths.inRoot("Examples/digits_mlp_wide.json"), encoding: .utf8)) ?? ""),
        // Vector-wise sets without their constant rows (`constantsForSets`): the wide CNN at 2/16 with sets of
        // 24, conv2 (gathering from the input) keeping 16 and 2 of its sets' rows, 14 constant channels filled
        // after them, fc's set reading them in that order; the digits MLP at 2/16 with sets of 24, fc1 and fc2
        // each without 2 rows, fc2 and fc3 reading their inputs in the order stored.
        ("digits_cnn_wide_sets", (try? String(contentsOfFile: Paths.inRoot("Examples/digits_cnn_wide.json"), encoding: .utf8)) ?? ""),
        ("digits_mlp_sets", (try? String(contentsOfFile: Paths.inRoot("Examples/digits_mlp.json"), encoding: .utf8)) ?? ""),
        // ...and at 4/16 in sets of 8 (the golden digits_mlp_kofn_rows): runs of several sets, one code each, in
        // which some pair position cannot start its mixed sum from the bias in one set, so in none (`foldedPairsByRun`).
        ("digits_mlp_sets8", (try? String(contentsOfFile: Paths.inRoot("Examples/digits_mlp.json"), encoding: .utf8)) ?? ""),
        // Sets whose column is whole words, at most eight, keep it in registers (`registerLaneLimit`): sets of 3 keeping 4
        // of fc1's 64 inputs and 1 of fc3's 16, each a pair and a lone row read against the lanes, fc3's lane past
        // its one input zero and no odd lanes (fc2's sets keep 2 of 32, a two-byte column: the two-column step over col).
        ("digits_mlp_lanes", (try? String(contentsOfFile: Paths.inRoot("Examples/digits_mlp.json"), encoding: .utf8)) ?? ""),
        // ...and columns of four and eight words: the wide MLP at 4/16 in sets of 24 (fc1 keeps 16 of 64, fc2 32 of
        // 128), more lanes than the core has registers.
        ("digits_mlp_wide_lanes", (try? String(contentsOfFile: Paths.inRoot("Examples/digits_mlp_wide.json"), encoding: .utf8)) ?? ""),
        // ...and one such layer alone: its arena (nothing but the column) is declared for the plain path only.
        ("single_dense_lanes", TestModels.singleDense()),
    ]

    @Test("arm-none-eabi-gcc -Os -Werror build runs under QEMU (mps2-an386) with the host's outputs",
        arguments: 0..<models.count)
    func crossCompiledMatchesHost(_ index: Int) throws {
        let (label, text) = Self.models[index]
        try #require(Shell.has("arm-none-eabi-gcc") && Shell.has("qemu-system-arm"),
            "arm-none-eabi-gcc and qemu-system-arm are needed: run Scripts/setup.sh")
        let run = try Verification.prepare(modelText: text, label: label, target: "mcu", vectorCount: 12) {
            $0.weightBits = index == 3 || label.hasSuffix("_16") ? 16 : 8
            $0.activationBits = index == 3 || label.hasSuffix("_16") ? 16 : 8
            if label.hasPrefix("mlp_k") || label.hasPrefix("cnn_k4") || label.hasPrefix("cnn_k2") {
                let parts = label.split(separator: "_")
                $0.prune = "kofn"
                $0.k = Int(parts[1].dropFirst())
                $0.n = label.hasPrefix("cnn") ? 8 : 16
                $0.sparseLowering = "always"
                $0.indexFormat = String(parts[2])
            }
            // k-of-n kept sparse with the given k of 8 and rows per index set.
            let kofn: [String: (k: Int, rows: Int)] = ["single_conv_rows": (1, 2), "cnn_rows": (4, 4), "single_conv_k2": (2, 1)]
            if let (k, rows) = kofn[label] {
                $0.prune = "kofn"
                $0.k = k
                $0.n = 8
                $0.kofnRows = rows > 1 ? rows : nil
                $0.sparseLowering = "always"
            }
            if label == "row_pairs" || label == "single_conv" {
                $0.prune = "none"  // every weight kept, so the first layer's bound passes 2^23
            }
            if label == "kofn_rows" {
                $0.prune = "kofn"
                $0.k = 3
                $0.n = 8
                $0.kofnRows = 7
                $0.sparseLowering = "always"
            }
            if label.contains("darb") {
                $0.prune = "darb"
                $0.sparseLowering = "always"
                $0.sparsity = TestModels.darbSparsity[label]
            }
            if label == "digits_mlp_wide_k2" {
                $0.prune = "kofn"
                $0.k = 2
                $0.n = 16
            }
            if label == "digits_mlp_wide_k8of9" {
                let recipe = Paths.temporaryDirectory("k8of9-recipe") + "/recipe.json"
                try? #"{"version": 1, "layers": {"fc2": {"prune": false}}}"#.write(toFile: recipe, atomically: true, encoding: .utf8)
                $0.prune = "kofn"
                $0.k = 8
                $0.n = 9
                $0.indexFormat = "nibble"
                $0.sparseLowering = "always"
                $0.recipePath = recipe
            }
            if label == "digits_cnn_wide_sets" || label == "digits_mlp_sets" {
                $0.prune = "kofn"
                $0.k = 2
                $0.n = 16
                $0.kofnRows = 24
            }
            if label == "digits_mlp_wide_lanes" {
                $0.prune = "kofn"
                $0.k = 4
                $0.n = 16
                $0.kofnRows = 24
            }
            if label == "digits_mlp_sets8" {
                $0.prune = "kofn"
                $0.k = 4
                $0.n = 16
                $0.kofnRows = 8
            }
            if label == "digits_mlp_lanes" || label == "single_dense_lanes" {
                $0.prune = "kofn"
                $0.k = 1
                $0.n = 16
                $0.kofnRows = 3
                $0.sparseLowering = "always"
            }
            if label == "cnn_edp" {
                $0.prune = "edp"
                $0.sparsity = 0.5
            }
            if label == "cnn_sap" {
                $0.prune = "sap"
                $0.sparseLowering = "always"
            }
            if label == "cnn_kernel" {
                $0.prune = "kofn"
                $0.granularity = "kernel"
                $0.k = 2
                $0.n = 4
                // The cost model now prefers the dense column kernel at 2 of 4: keep the kernel tables.
                $0.sparseLowering = "always"
            }
        }
        if label == "wide_conv" {
            // Output 4 + column 144: more than any pair of neighbouring tensors (4).
            #expect(run.result.program.arenaElements == 148)
            #expect(run.result.program.steps.contains { step in
                if case .conv2d(let conv) = step.kind { return conv.columnOffset == 4 }
                return false
            })
        }
        if label == "cnn_darb" || label == "darb_convs" || label == "single_darb_conv" {
            // Every conv2d (cnn_test: conv3) runs the grouped DARB kernel over its column, not plain 1-of-s.
            let groups = run.result.program.steps.compactMap { step -> (blocks: [Int], bits: [Int], column: Bool)? in
                guard case .conv2d(let conv) = step.kind, let darb = conv.data.darb else { return nil }
                return (darb.groups.map(\.blockSize), darb.groups.map(\.offsetBits), conv.columnOffset != nil)
            }
            #expect(groups.count == (label == "darb_convs" ? 3 : 1) && groups.allSatisfy { $0.blocks.count > 1 && $0.column },
                "\(groups)")
            // Offset widths: 0 for blocks of 1 (a group that keeps everything), then 1, 2, 4 and 8 bits.
            #expect(Set(groups.flatMap(\.bits)).isSuperset(of: label == "darb_convs" ? [0, 1, 2] : label == "cnn_darb" ? [] : [8]),
                "\(groups)")
            if label == "darb_convs" {
                #expect(run.result.program.steps.contains { step in
                    if case .conv2d(let conv) = step.kind { return conv.paddedRowsOffset != nil && conv.data.darb != nil }
                    return false
                })
            }
        }
        if label == "digits_mlp_wide_k2" {
            let layers = run.result.program.steps.compactMap { step -> WeightedStepData? in
                if case .dense(let dense) = step.kind { return dense.data }
                return nil
            }
            #expect(layers.map { $0.sparse != nil } == [true, false, false])
            #expect(layers.map(\.constantOutputs.count) == [10, 14, 0] && layers.map(\.foldedColumns) == [0, 8, 12])
        }
        if label == "digits_cnn_wide_sets" || label == "digits_mlp_sets" {
            // (rows of each set, constant outputs) of every weighted layer as lowered.
            let sets = run.result.program.steps.compactMap { step -> String? in
                guard let data = step.kind.weightedData else { return nil }
                return "\(data.sharedSparse?.setRows ?? []) \(data.constantOutputs.count)"
            }
            #expect(sets == (label == "digits_cnn_wide_sets" ? ["[] 0", "[16, 2] 14", "[10] 0"] : ["[22, 8] 2", "[14] 2", "[10] 0"]),
                "\(sets)")
            // The sets' row pairs start their mixed sum from the bias where the bound allows (`foldedPairsByRun`):
            // (folded, pairs) per layer; one pair of the wide CNN's conv2 keeps its bias out of mix.
            let folded = run.result.program.steps.compactMap { step -> String? in
                guard let data = step.kind.weightedData, data.sharedSparse != nil else { return nil }
                return "\(data.dspFoldedPairs.filter { $0 }.count) of \(data.dspFoldedPairs.count)"
            }
            #expect(folded == (label == "digits_cnn_wide_sets" ? ["8 of 9", "5 of 5"] : ["15 of 15", "7 of 7", "5 of 5"]),
                "\(folded)")
        }
        if label == "digits_mlp_sets8" {
            // Per layer: (sets in runs of more than one, pairs folded of all): fc1's and fc2's runs keep some
            // position unfolded for every set of the run.
            let folded = run.result.program.steps.compactMap { step -> String? in
                guard let data = step.kind.weightedData, let shared = data.sharedSparse else { return nil }
                let inLongRuns = shared.setRuns.filter { $0.count > 1 }.reduce(0) { $0 + $1.count }
                return "\(inLongRuns) \(data.dspFoldedPairs.filter { $0 }.count) of \(data.dspFoldedPairs.count)"
            }
            #expect(folded == ["4 8 of 16", "2 6 of 8", "0 5 of 5"], "\(folded)")
        }
        if label == "digits_mlp_wide_k8of9" {
            let first = run.result.program.steps.compactMap { step -> WeightedStepData? in
                if case .dense(let dense) = step.kind { return dense.data }
                return nil
            }.first
            #expect(first?.sparse?.format == .nibble && first?.sparse?.keptPerRow == 57 && first?.sparse?.tail == 1)
            #expect((first?.constantOutputs.count ?? 0) > 0 && first.map { $0.rows + $0.constantOutputs.count } == 128)
        }
        if label == "row_pairs" {
            let paired = run.result.program.steps.map { step -> Bool in
                if case .dense(let dense) = step.kind { return dense.data.dspWeights != nil }
                return false
            }
            #expect(paired == [false] + [Bool](repeating: true, count: 12))
        }
        if label == "padded_fields" {
            let padded = run.result.program.steps.compactMap { step -> Bool? in
                guard case .conv2d(let conv) = step.kind, conv.columnOffset != nil else { return nil }
                return conv.paddedRowsOffset != nil
            }
            #expect(padded == [true, false])
        }
        if label == "pools" {
            let source = try String(contentsOfFile: run.directory + "/\(run.prefix).c", encoding: .utf8)
            #expect(source.contains("__ssub8"), "the max pool should take the DSP path")
            #expect(source.contains("gen_rounded_average(sum, 3)"), "a window of 3 keeps the division")
        }
        if label == "single_dense_lanes" {
            let source = try String(contentsOfFile: run.directory + "/\(run.prefix).c", encoding: .utf8)
            #expect(source.contains("gen_lanes("), "fc's column should be in registers")
            #expect(source.contains("#if !GEN_ARM_DSP\nstatic int8_t single_dense_arena["), "the arena is the plain path's alone")
        }
        if label == "digits_mlp_sets" || label == "digits_mlp_lanes" {
            // Every set whose column is whole words keeps it in registers: no four-byte gather writes col
            // on Arm DSP cores (sets keeping 2, a two-byte column, still gather it for the two-column step); the
            // lone rows read the lanes too.
            let source = try String(contentsOfFile: run.directory + "/\(run.prefix).c", encoding: .utf8)
            #expect(source.contains("xOdd1 = gen_lanes(") == (label == "digits_mlp_sets"), "fc1's 8 kept: two words in registers")
            #expect(!source.contains("gen_write4("))
            #expect(source.contains("the last row alone") == (label == "digits_mlp_lanes"))
            #expect(source.contains("xEven0 = gen_lanes(x[idx[0]], 0);") == (label == "digits_mlp_lanes"),
                "fc3 keeps 1 of its 16: one lane, no odd lanes")
            #expect(!source.contains("gen_lanes(0, 0)"))
        }
        if label == "digits_mlp_wide_lanes" {
            // fc1's and fc2's columns, four and eight words, are built in registers: no four-byte gather writes col.
            let source = try String(contentsOfFile: run.directory + "/\(run.prefix).c", encoding: .utf8)
            #expect(source.contains("xOdd3 = gen_lanes(") && source.contains("xOdd7 = gen_lanes("), "four and eight words in registers")
            #expect(!source.contains("xEven8"))
            #expect(!source.contains("gen_write4("))
        }
        if label == "digits_cnn_16" {
            let source = try String(contentsOfFile: run.directory + "/\(run.prefix).c", encoding: .utf8)
            #expect(source.contains("gen_requantize32_floor(acc"), "a 16-bit layer with int32 sums should fold")
            #expect(source.contains(", -32768, 32767)"), "...and clamp to the int16 range (SSAT on Cortex-M4)")
        }
        if label == "kofn_rows" {
            // (kept per row, the DSP kernel's paired table and its columns): the last layer keeps 3, which
            // the row-pair kernel runs over 4 columns (a zero weight after the 3) and gathers into 4 bytes.
            let layouts = run.result.program.steps.map { step -> String in
                guard case .dense(let dense) = step.kind, let shared = dense.data.sharedSparse, dense.columnOffset != nil
                else { return "not vector-wise" }
                return "\(shared.keptPerRow) \(dense.data.dspWeights != nil ? "paired" : "plain") \(dense.data.setColumnElements)"
            }
            #expect(layouts == ["114 paired 114", "6 paired 6", "6 paired 6", "4 paired 4", "3 paired 4"])
            for step in run.result.program.steps {
                if case .dense(let dense) = step.kind { #expect(Self.paddedSetColumnsAreZero(dense.data)) }
            }
        }
        if label == "digits_cnn" {
            // conv2d over its im2col column takes the row-pair kernel too.
            #expect(run.result.program.steps.contains { step in
                if case .conv2d(let conv) = step.kind { return conv.data.dspWeights != nil }
                return false
            })
        }
        if label.hasPrefix("cnn_k") && label.hasSuffix("nibble") {
            // Every conv2d reads nibble indices over its column (forced, so the 18-input conv1 too).
            let formats = run.result.program.steps.compactMap { step -> Bool? in
                guard case .conv2d(let conv) = step.kind else { return nil }
                return conv.columnOffset != nil && conv.data.sparse?.format == .nibble
            }
            #expect(formats == [true, true, true])
        }
        if label == "single_conv_rows" {
            let layouts = run.result.program.steps.compactMap { step -> String? in
                guard case .conv2d(let conv) = step.kind, let shared = conv.data.sharedSparse else { return nil }
                return "\(shared.keptPerRow) kept, \(conv.data.dspWeights != nil ? "paired" : "plain") over \(conv.data.setColumnElements)"
            }
            // Two kept a row: one two-column SMLAD step per pair (`dspHalfStepColumns`), no padded columns.
            #expect(layouts == ["2 kept, paired over 2"])
        }
        if label == "cnn_rows" {
            // Every conv2d (6, 8 and 10 channels) is lowered as sets of 4 over its column.
            let sets = run.result.program.steps.compactMap { step -> String? in
                guard case .conv2d(let conv) = step.kind else { return nil }
                return "\(conv.data.rows) rows, sets of \(conv.data.sharedSparse?.rowsPerSet ?? 0)"
                    + (conv.data.dspWeights != nil ? ", paired" : "")
            }
            #expect(sets == ["6 rows, sets of 4, paired", "8 rows, sets of 4, paired", "10 rows, sets of 4, paired"])
            // Runs of several sets of 4 rows, one code each: their pairs fold their bias alike (`foldedPairsByRun`).
            let folded = run.result.program.steps.compactMap { step -> String? in
                guard case .conv2d(let conv) = step.kind else { return nil }
                return "\(conv.data.dspFoldedPairs.filter { $0 }.count) of \(conv.data.dspFoldedPairs.count)"
            }
            #expect(folded == ["3 of 3", "4 of 4", "5 of 5"], "\(folded)")
        }
        if label == "cnn_kernel" {
            #expect(run.result.program.steps.contains { step in
                if case .conv2d(let conv) = step.kind { return conv.data.kernelSparse != nil }
                return false
            })
        }
        try Verification.writeHarness(run)
        let (host, hostShell) = try CHarness.runOnHost(directory: run.directory)
        #expect(hostShell.status == 0, "\(hostShell.stderr)")
        let (arm, armShell) = try CHarness.runOnCortexM(directory: run.directory)
        #expect(armShell.status == 0, "\(armShell.stderr)")
        #expect(arm.quantized.count == run.quantizedInputs.count)
        #expect(arm.quantized == host.quantized, "Cortex-M and host outputs differ")
        #expect(arm.quantized == run.simulated, "Cortex-M and the simulator differ")
    }

    /// In a vector-wise layer whose row-pair table runs sets of fewer than 4 kept inputs over 4 columns,
    /// every weight of the added columns is zero: the kernel reads whatever the set column holds there
    /// (the runs above cannot show it, since those bytes of their arenas are never written).
    static func paddedSetColumnsAreZero(_ data: WeightedStepData) -> Bool {
        guard let shared = data.sharedSparse, let table = data.dspWeights, data.dspSetColumns == 4 else { return true }
        let kept = shared.keptPerRow
        for set in 0..<shared.sets {
            let rows = shared.setRows[set]
            let base = data.dspSetOffsets[set]
            let pairs = (dspRowPairGroups(rows: rows).last?.rowEnd ?? 0) / 2
            // One column step: each pair's 8 bytes hold (low, high) for columns 0, 2, 1, 3; a lone row's 4 follow.
            for column in kept..<4 {
                let slot = [0, 2, 1, 3].firstIndex(of: column)!
                for pair in 0..<pairs where table.values[base + 8 * pair + 2 * slot] != 0 || table.values[base + 8 * pair + 2 * slot + 1] != 0 {
                    return false
                }
                if rows % 2 == 1, table.values[base + 8 * pairs + column] != 0 { return false }
            }
        }
        return true
    }
}
