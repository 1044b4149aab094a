// EndToEndTests/RequantizeTwinTests.swift - The generated C's 32-bit requantize and average helpers against the Swift simulator's.

import Foundation
@testable import GenEmitC
import GenSupport
import Testing

@Suite("The generated C's requantize and average helpers compute FixedPoint.requantize and roundedAverage")
struct RequantizeTwinTests {
    /// Accumulators at and near every edge the 32-bit helpers handle differently from the 64-bit one:
    /// the int32 limits, powers of two and the halfway points of small shifts, both signs.
    static let accumulators: [Int64] = {
        var values: Set<Int64> = [Int64(Int32.min), Int64(Int32.min) + 1, Int64(Int32.max), Int64(Int32.max) - 1]
        for bit in 0..<31 {
            for delta: Int64 in [-1, 0, 1] {
                values.insert((Int64(1) << Int64(bit)) + delta)
                values.insert(-(Int64(1) << Int64(bit)) + delta)
            }
        }
        for v: Int64 in -300...300 { values.insert(v) }
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<400 { values.insert(Int64(Int32(truncatingIfNeeded: generator.next()))) }
        return values.filter { $0 >= Int64(Int32.min) && $0 <= Int64(Int32.max) }.sorted()
    }()
    static let clamps: [(Int64, Int64)] = [(-128, 127), (0, 127), (0, 48), (-32768, 32767), (0, 32767)]

    @Test("gen_requantize32: every accumulator, shift from -40 to 40 and clamp range gives the simulator's integer")
    func generalHelper() throws {
        try expectTwin(helper: "gen_requantize32", shifts: Array(-40...40), defines: [])
    }

    /// gen emits this helper only for layers whose shifts are all 0...31 (RequantizeHelper); both of
    /// its floor forms are checked, the arithmetic >> and the unsigned one other compilers take.
    @Test("gen_requantize32_right: every shift from 0 to 31, with and without arithmetic >>",
          arguments: ["-DGEN_ARITHMETIC_SHIFT=1", "-DGEN_ARITHMETIC_SHIFT=0"])
    func rightShiftHelper(define: String) throws {
        try expectTwin(helper: "gen_requantize32_right", shifts: Array(0...31), defines: [define])
    }

    /// gen emits this helper for layers whose bias table already holds each row's rounding half
    /// (GenLowering/foldRoundingIntoBias.swift): the C adds the half to the accumulator here, as the
    /// bias does there, wherever the sum fits int32.
    @Test("gen_requantize32_floor of acc + 2^(shift-1): every shift from 0 to 31, with and without arithmetic >>",
          arguments: ["-DGEN_ARITHMETIC_SHIFT=1", "-DGEN_ARITHMETIC_SHIFT=0"])
    func floorHelper(define: String) throws {
        try expectTwin(helper: "gen_requantize32_floor", shifts: Array(0...31), defines: [define], halfInAccumulator: true)
    }

    @Test("a model whose shifts are all right shifts of 0 to 31 uses gen_requantize32_floor, its rounding in the bias")
    func chosenForUsualLayers() throws {
        let run = try Verification.prepare(modelText: TestModels.mlp(), label: "requantize-floor")
        let source = try String(contentsOfFile: run.result.outputDirectory + "/\(run.prefix).c", encoding: .utf8)
        #expect(source.contains("gen_requantize32_floor(acc"), "the int32 layers should use the floor helper")
        #expect(source.contains("plus the rounding half of its right shift"), "the bias tables should say they hold the rounding")
        #expect(!source.contains("gen_requantize32(acc"), "no layer of this model needs the general helper")
        #expect(!source.contains("gen_requantize32_right(acc"), "every layer of this model has room for the rounding in its bias")
    }

    @Test("gen_rounded_average and gen_average_pow2 (windows of 2^m) give FixedPoint.roundedAverage",
          arguments: ["-DGEN_ARITHMETIC_SHIFT=1", "-DGEN_ARITHMETIC_SHIFT=0"])
    func averageHelpers(define: String) throws {
        try #require(Shell.has("gcc"), "gcc is needed: run Scripts/setup.sh")
        let counts: [Int64] = [1, 2, 3, 4, 8, 9, 16, 25, 64, 1024, 32768, 65535]
        // Sums a window of int16 values can reach, and the halfway points of small windows.
        var sums: [Int64] = Array(-70...70)
        for count in counts {
            for value: Int64 in [-32768, 32767, -128, 127] { sums.append(value * count) }
        }
        var cases: [(sum: Int64, count: Int64)] = []
        for count in counts {
            for sum in sums where abs(sum) <= 32768 * count { cases.append((sum, count)) }
        }
        let calls = cases.map { sum, count in
            count & (count - 1) == 0
                ? "gen_average_pow2(\(sum), \(count.trailingZeroBitCount))" : "gen_rounded_average(\(sum), \(count))"
        }
        let main = """
            #include <stdint.h>
            #include <stdio.h>
            \(try renderRuntime(average: true))
            int main(void)
            {
            \(calls.map { "    printf(\"%ld\\n\", (long)\($0));" }.joined(separator: "\n"))
                return 0;
            }
            """
        let printed = try compileAndRun(main, label: "average-main", defines: [define])
        let expected = cases.map { FixedPoint.roundedAverage(sum: $0.sum, count: $0.count) }
        #expect(printed.count == expected.count)
        let mismatches = zip(printed, expected).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
        #expect(mismatches.isEmpty, "first mismatch: \(mismatches.first.map { calls[$0] } ?? "")")
    }

    /// The runtime helpers from Templates/c/runtime.c.mustache: every 32-bit requantize helper, or the averages.
    private func renderRuntime(average: Bool = false) throws -> String {
        var texts: [String: String] = [:]
        for name in TemplateSources.required {
            texts[name] = try String(contentsOfFile: Paths.inRoot("Templates/\(name).mustache"), encoding: .utf8)
        }
        let renderer = try TemplateRenderer(TemplateSources(texts: texts), templatesDirectory: Paths.inRoot("Templates"))
        return renderer.render(
            RuntimeContext(
                layerFunctions: false, hls: false, needsAverage: average, needsDSP: false, needsDotProducts: false,
                needsGatherKernel: false, needsUnroll: false, unrollDSPOnly: false,
                needsRowPairs: false, needsTwoColumnStep: false, needsUnscheduledKernel: false, needsRowCopy: false, needsPaddedRows: false, rowCopyDSPOnly: false, paddedRowsDSPOnly: false, needsSetGather: false, needsRequantize32: !average, needsRequantize32Right: !average,
                needsRequantize32Floor: !average, needsFloorShift32: true, needsRequantize64: false,
                needsAveragePow2: average),
            template: "c/runtime.c")
    }

    /// Compiles `main` with the strict flags (and `defines`), runs it and reads one integer a line.
    private func compileAndRun(_ main: String, label: String, defines: [String]) throws -> [Int64?] {
        let directory = Paths.temporaryDirectory(label)
        try main.write(toFile: directory + "/main.c", atomically: true, encoding: .utf8)
        let compile = try Shell.run(
            ["gcc"] + CHarness.strictFlags + ["-O2", "-Wno-unused-function"] + defines + ["main.c", "-o", "helpers"],
            in: directory)
        try #require(compile.status == 0, "\(compile.stderr)")
        let output = try Shell.run([directory + "/helpers"], in: directory)
        return output.stdout.split(separator: "\n").map { Int64($0) }
    }

    /// Renders the runtime helpers from Templates/c/runtime.c.mustache, calls `helper` on every case in
    /// C and compares each result with the simulator's.
    /// With `halfInAccumulator`, each case passes acc + 2^(shift-1) (skipping those past int32, where gen
    /// would not fold) and expects the requantization of acc.
    private func expectTwin(helper: String, shifts: [Int], defines: [String], halfInAccumulator: Bool = false) throws {
        try #require(Shell.has("gcc"), "gcc is needed: run Scripts/setup.sh")
        let runtime = try renderRuntime()
        let list = { (values: [Int64]) in values.map { $0 == Int64(Int32.min) ? "(-2147483647 - 1)" : String($0) }.joined(separator: ", ") }
        let main = """
            #include <stdint.h>
            #include <stdio.h>
            \(runtime)
            static const int32_t accs[] = {\(list(Self.accumulators))};
            static const int foldHalf = \(halfInAccumulator ? 1 : 0);
            static const int shifts[] = {\(shifts.map(String.init).joined(separator: ", "))};
            static const int32_t los[] = {\(list(Self.clamps.map(\.0)))};
            static const int32_t his[] = {\(list(Self.clamps.map(\.1)))};
            int main(void)
            {
                unsigned a, s, c;
                for (c = 0; c < sizeof los / sizeof los[0]; ++c)
                    for (s = 0; s < sizeof shifts / sizeof shifts[0]; ++s)
                        for (a = 0; a < sizeof accs / sizeof accs[0]; ++a) {
                            const int64_t half = foldHalf && shifts[s] > 0 ? (int64_t)1 << (shifts[s] - 1) : 0;
                            if (accs[a] + half > INT32_MAX)
                                continue;
                            printf("%ld\\n", (long)\(helper)((int32_t)(accs[a] + half), shifts[s], los[c], his[c]));
                        }
                return 0;
            }
            """
        let printed = try compileAndRun(main, label: "requantize32-main", defines: defines)
        var expected: [Int64] = []
        for (low, high) in Self.clamps {
            for shift in shifts {
                for acc in Self.accumulators {
                    let half: Int64 = halfInAccumulator && shift > 0 ? Int64(1) << Int64(shift - 1) : 0
                    if acc + half > Int64(Int32.max) { continue }
                    expected.append(FixedPoint.requantize(acc, shift: shift, low: low, high: high))
                }
            }
        }
        #expect(printed.count == expected.count)
        let mismatches = zip(printed, expected).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
        let mismatchCount = mismatches.count
        #expect(mismatchCount == 0, "first mismatch at case \(mismatches.first ?? -1) of \(helper) \(defines)")
    }
}
