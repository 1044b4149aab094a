// EndToEndTests/Support/CHarness.swift - Compiles generated C with a test main() and runs it on vectors.

import Foundation
import GenLowering

/// The outputs one harness run printed: integer outputs of `<name>_infer` and float outputs of
/// `<name>_infer_f32`, one array per test vector.
struct HarnessOutput {
    var quantized: [[Int64]]
    var real: [[Double]]
}

enum CHarness {
    static let strictFlags = ["-std=c99", "-Wall", "-Wextra", "-Wpedantic", "-Werror"]

    /// Writes `vectors.h` and `main.c` beside the generated files in `directory`.
    static func writeHarness(directory: String, prefix: String, inputSize: Int, quantizedInputs: [[Int64]],
        realInputs: [[Double]], actType: String) throws
    {
        var vectors = "/* test vectors written by the test suite */\n"
        vectors += "#define N_VECTORS \(quantizedInputs.count)\n"
        vectors += "static const \(actType) q_vectors[N_VECTORS][\(inputSize)] = {\n"
        for vector in quantizedInputs { vectors += "    {" + vector.map(String.init).joined(separator: ", ") + "},\n" }
        vectors += "};\nstatic const float f_vectors[N_VECTORS][\(inputSize)] = {\n"
        for vector in realInputs {
            vectors += "    {" + vector.map { String(format: "%.9e", $0) + "f" }.joined(separator: ", ") + "},\n"
        }
        vectors += "};\n"
        let upper = prefix.uppercased()
        let main = """
            #include <stdio.h>
            #include "\(prefix).h"
            #include "vectors.h"

            int main(void)
            {
                static \(prefix)_output_t q_out[\(upper)_OUTPUT_SIZE];
                static float f_out[\(upper)_OUTPUT_SIZE];
                int v, i;
                for (v = 0; v < N_VECTORS; ++v) {
                    \(prefix)_infer(q_vectors[v], q_out);
                    printf("Q");
                    for (i = 0; i < \(upper)_OUTPUT_SIZE; ++i) {
                        printf(" %d", (int)q_out[i]);
                    }
                    printf("\\n");
                    \(prefix)_infer_f32(f_vectors[v], f_out);
                    printf("F");
                    for (i = 0; i < \(upper)_OUTPUT_SIZE; ++i) {
                        printf(" %.9g", (double)f_out[i]);
                    }
                    printf("\\n");
                }
                return 0;
            }

            """
        try vectors.write(toFile: directory + "/vectors.h", atomically: true, encoding: .utf8)
        try main.write(toFile: directory + "/main.c", atomically: true, encoding: .utf8)
    }

    /// Parses the `Q ...` / `F ...` lines the harness prints.
    static func parse(_ text: String) -> HarnessOutput {
        var output = HarnessOutput(quantized: [], real: [])
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard let tag = fields.first else { continue }
            if tag == "Q" { output.quantized.append(fields.dropFirst().compactMap { Int64($0) }) }
            if tag == "F" { output.real.append(fields.dropFirst().compactMap { Double($0) }) }
        }
        return output
    }

    /// Compiles every `*.c` in `directory` for the host with gcc and the strict flags, runs it.
    static func runOnHost(directory: String, compiler: String = "gcc", extraFlags: [String] = []) throws
        -> (HarnessOutput, ShellResult)
    {
        let sources = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".c") }
            .sorted()
        let binary = directory + "/harness-\(compiler)"
        let compile = try Shell.run(
            [compiler] + strictFlags + ["-O2"] + extraFlags + sources + ["-o", binary, "-lm"], in: directory)
        guard compile.status == 0 else { return (HarnessOutput(quantized: [], real: []), compile) }
        let run = try Shell.run([binary], in: directory)
        return (parse(run.stdout), run)
    }

    /// Cross-compiles for Cortex-M4 (mps2-an386) and runs under qemu-system-arm with semihosting.
    static func runOnCortexM(directory: String, optimization: String = "-Os") throws -> (HarnessOutput, ShellResult) {
        let support = Paths.inRoot("Examples/firmware/cortex-m")
        let sources = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".c") }
            .sorted()
        let elf = directory + "/harness.elf"
        let cpu = ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16", optimization]
        // The board's startup code is ours, not generated: it is built without the strict flags.
        let startup = try Shell.run(
            ["arm-none-eabi-gcc"] + cpu + ["-c", support + "/startup_nocrt.c", "-o", directory + "/startup.o"])
        guard startup.status == 0 else { return (HarnessOutput(quantized: [], real: []), startup) }
        let compile = try Shell.run(
            ["arm-none-eabi-gcc"] + cpu + strictFlags + ["-ffunction-sections", "-fdata-sections",
             "--specs=rdimon.specs", "-nostartfiles", "-T", support + "/mps2_an386.ld", "-Wl,--gc-sections",
             directory + "/startup.o"] + sources + ["-o", elf, "-lm"], in: directory)
        guard compile.status == 0 else { return (HarnessOutput(quantized: [], real: []), compile) }
        let run = try Shell.run(
            ["timeout", "120", "qemu-system-arm", "-M", "mps2-an386", "-nographic", "-semihosting-config",
             "enable=on,target=native", "-icount", "shift=0", "-kernel", elf], in: directory)
        return (parse(run.stdout), run)
    }
}
