// EndToEndTests/RequantizeTwinTests.swift - The generated C's 32-bit requantize against the Swift simulator's.

import Foundation
import GenSupport
import Testing

@Suite("gen_requantize32 in the generated C computes FixedPoint.requantize")
struct RequantizeTwinTests {
    /// Accumulators at and near every edge the 32-bit helper handles differently from the 64-bit one:
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
    static let shifts = Array(-40...40)
    static let clamps: [(Int64, Int64)] = [(-128, 127), (0, 127), (0, 48), (-32768, 32767), (0, 32767)]

    @Test("every accumulator, shift from -40 to 40 and clamp range gives the simulator's integer")
    func matchesSimulator() throws {
        try #require(Shell.has("gcc"), "gcc is needed: run Scripts/setup.sh")
        let run = try Verification.prepare(modelText: TestModels.mlp(), label: "requantize32")
        let source = try String(contentsOfFile: run.result.outputDirectory + "/\(run.prefix).c", encoding: .utf8)
        #expect(source.contains("gen_requantize32("), "the int32 layers should use the 32-bit helper")
        let list = { (values: [Int64]) in values.map { $0 == Int64(Int32.min) ? "(-2147483647 - 1)" : String($0) }.joined(separator: ", ") }
        let main = """
            #include <stdio.h>
            #include "\(run.prefix).c"
            static const int32_t accs[] = {\(list(Self.accumulators))};
            static const int shifts[] = {\(Self.shifts.map(String.init).joined(separator: ", "))};
            static const int32_t los[] = {\(list(Self.clamps.map(\.0)))};
            static const int32_t his[] = {\(list(Self.clamps.map(\.1)))};
            int main(void)
            {
                unsigned a, s, c;
                for (c = 0; c < sizeof los / sizeof los[0]; ++c)
                    for (s = 0; s < sizeof shifts / sizeof shifts[0]; ++s)
                        for (a = 0; a < sizeof accs / sizeof accs[0]; ++a)
                            printf("%ld\\n", (long)gen_requantize32(accs[a], shifts[s], los[c], his[c]));
                return 0;
            }
            """
        let directory = Paths.temporaryDirectory("requantize32-main")
        try main.write(toFile: directory + "/main.c", atomically: true, encoding: .utf8)
        let compile = try Shell.run(
            ["gcc"] + CHarness.strictFlags + ["-O2", "-Wno-unused-function", "-I", run.result.outputDirectory,
             "main.c", "-o", "requantize", "-lm"], in: directory)
        try #require(compile.status == 0, "\(compile.stderr)")
        let output = try Shell.run([directory + "/requantize"], in: directory)
        let printed = output.stdout.split(separator: "\n").map { Int64($0) }
        var expected: [Int64] = []
        for (low, high) in Self.clamps {
            for shift in Self.shifts {
                for acc in Self.accumulators {
                    expected.append(FixedPoint.requantize(acc, shift: shift, low: low, high: high))
                }
            }
        }
        #expect(printed.count == expected.count)
        let mismatches = zip(printed, expected).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
        let mismatchCount = mismatches.count
        #expect(mismatchCount == 0, "first mismatch at case \(mismatches.first ?? -1)")
    }
}
