// EndToEndTests/StaticAnalysisTests.swift - Generated C under clang -Weverything and cppcheck.

import Foundation
import Testing

@Suite("Static analysis of the generated C")
struct StaticAnalysisTests {
    /// Warnings of -Weverything that are turned off, and why:
    /// - unsafe-buffer-usage: C++ hardening advice against raw array indexing; the generated C is
    ///   array code by nature, with every index bounded by constant trip counts and tables.
    static let clangExceptions = ["-Wno-unsafe-buffer-usage"]

    struct Case: CustomStringConvertible, Sendable {
        var label: String
        var model: String
        var target: String
        var bits: Int
        var prune: String
        var description: String { "\(label) \(target) \(bits)-bit \(prune)" }
    }

    static let cases: [Case] = {
        var cases: [Case] = []
        let examples = ["digits_mlp", "digits_cnn", "tiny"].map {
            ($0, (try? String(contentsOfFile: Paths.inRoot("Examples/\($0).json"), encoding: .utf8)) ?? "")
        }
        for (label, model) in examples + [("mlp_test", TestModels.mlp()), ("cnn_test", TestModels.cnn())] {
            for target in ["host", "mcu", "hls"] {
                for (bits, prune) in [(8, "kofn"), (16, "none"), (8, "kernel"), (8, "filter"), (8, "sparse"), (8, "darb"), (8, "edp"),
                    (8, "sets"), (8, "few-sets"), (8, "pair-sets"), (8, "lane-sets")] {
                    cases.append(Case(label: label, model: model, target: target, bits: bits, prune: prune))
                }
            }
        }
        // DARB's conv2d groups: padded rows, strides, every offset width but 16 bits; an arena of one column.
        for (label, model) in [("darb_convs", TestModels.darbConvs()), ("single_darb_conv", TestModels.singleDARBConv())] {
            for target in ["host", "mcu", "hls"] {
                cases.append(Case(label: label, model: model, target: target, bits: 8, prune: "darb"))
            }
        }
        // One dense layer in sets whose column is in registers on Arm DSP cores: the arena is the plain path's alone.
        for target in ["host", "mcu", "hls"] {
            cases.append(Case(label: "single_dense", model: TestModels.singleDense(), target: target, bits: 8, prune: "lane-sets"))
        }
        return cases
    }()

    @Test("clang -Weverything (minus a justified list) and cppcheck report nothing", arguments: cases)
    func clean(_ testCase: Case) throws {
        let run = try Verification.prepare(
            modelText: testCase.model, label: testCase.label, target: testCase.target, vectorCount: 1
        ) {
            $0.weightBits = testCase.bits
            $0.activationBits = testCase.bits
            $0.prune = ["kernel", "filter", "sparse", "sets", "few-sets", "pair-sets", "lane-sets"].contains(testCase.prune) ? "kofn" : testCase.prune
            if testCase.prune == "darb" {
                $0.sparseLowering = "always"
                $0.sparsity = TestModels.darbSparsity[testCase.label]
            }
            if testCase.prune == "edp" { $0.sparsity = 0.5 }
            if testCase.prune == "kernel" || testCase.prune == "filter" {
                $0.granularity = testCase.prune
                $0.k = 2
                $0.n = 4
            }
            if testCase.prune == "sparse" {
                // k-of-n kept sparse (DSP group kernels on mcu, nibble indices where the target prefers them).
                $0.k = 4
                $0.n = 16
                $0.sparseLowering = "always"
            }
            if testCase.prune == "pair-sets" {
                // Sets keeping 2 inputs in every layer (k = 2 of the whole row): on mcu the row-pair kernel's
                // two-column step is its only Arm DSP code, so no whole word of a column is read.
                $0.k = 2
                $0.n = 0
                $0.kofnRows = 2
                $0.sparseLowering = "always"
            }
            if testCase.prune == "lane-sets" {
                // Sets of 8 keeping 4 of every 32 (a column of whole words, in registers, `registerLaneLimit`;
                // no lone row): on the digits MLP no Arm DSP code reads a word with gen_read4.
                $0.k = 4
                $0.n = 32
                $0.kofnRows = 8
                $0.sparseLowering = "always"
            }
            if testCase.prune == "sets" || testCase.prune == "few-sets" {
                // Vector-wise k-of-n kept sparse: sets of 24 keeping 4 of every 16 (the gather four inputs a
                // word), and sets of 3 keeping 1 of every 32, fewer than 4 a row everywhere (no such gather).
                $0.k = testCase.prune == "sets" ? 4 : 1
                $0.n = testCase.prune == "sets" ? 16 : 32
                $0.kofnRows = testCase.prune == "sets" ? 24 : 3
                $0.sparseLowering = "always"
            }
        }
        let source = run.directory + "/\(run.prefix).c"
        let clang = try Shell.run(
            ["clang", "-std=c99", "-Weverything", "-Werror"] + Self.clangExceptions + ["-c", source, "-o", "/dev/null"])
        #expect(clang.status == 0, "clang -Weverything: \(clang.stderr)")
        if testCase.target == "mcu" {
            // The Arm DSP kernels only compile for an Arm core with the DSP extension (newlib's headers
            // from Debian's libnewlib-arm-none-eabi).
            let arm = try Shell.run(
                ["clang", "--target=arm-none-eabi", "-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-std=c99",
                 "-isystem", "/usr/lib/arm-none-eabi/include", "-Weverything", "-Werror"] + Self.clangExceptions + ["-c", source, "-o", "/dev/null"])
            #expect(arm.status == 0, "clang -Weverything for Cortex-M4: \(arm.stderr)")
            // Cores without the DSP extension compile the plain paths (and GEN_UNROLL's size-build case).
            for core in ["cortex-m0", "cortex-m3"] {
                for level in ["-O2", "-Os"] {
                    let plain = try Shell.run(
                        ["arm-none-eabi-gcc", "-mcpu=\(core)", "-mthumb", "-std=c99", level, "-Wall", "-Wextra", "-Wpedantic",
                         "-Werror", "-c", source, "-o", "/dev/null"])
                    #expect(plain.status == 0, "arm-none-eabi-gcc \(core) \(level): \(plain.stderr)")
                }
            }
        }
        try #require(Shell.has("cppcheck"), "cppcheck is needed: run Scripts/setup.sh")
        let cppcheck = try Shell.run(
            ["cppcheck", "--enable=warning,style,performance,portability", "--std=c99", "--error-exitcode=1",
             "--quiet", source])
        #expect(cppcheck.status == 0 && cppcheck.stderr.isEmpty, "cppcheck: \(cppcheck.stderr)")
    }
}
