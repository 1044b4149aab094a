// EndToEndTests/WalkthroughTests.swift - The README's ONNX-to-Cortex-M walkthrough, step by step.

import Foundation
import Testing

@Suite("README walkthrough: ONNX model to a Cortex-M binary")
struct WalkthroughTests {
    @Test("gen on digits_mlp.onnx, make with the firmware Makefile, run under QEMU")
    func onnxToCortexM() throws {
        try #require(Shell.has("arm-none-eabi-gcc") && Shell.has("qemu-system-arm"), "run Scripts/setup.sh")
        let work = Paths.temporaryDirectory("walkthrough")
        // A copy of Examples/firmware, so the test leaves the source tree alone.
        let firmware = work + "/firmware"
        try FileManager.default.copyItem(atPath: Paths.inRoot("Examples/firmware"), toPath: firmware)
        let gen = try Shell.run(
            [Paths.genExecutable, "--target", "mcu", "Tests/Fixtures/onnx/digits_mlp.onnx", "--calib",
             "Tests/Fixtures/digits/digits_calib.npz", "--prune", "none", "-o", firmware + "/model"], in: Paths.root)
        #expect(gen.status == 0, "\(gen.stderr)")
        let make = try Shell.run(["make", "-s", "-C", firmware], in: work)
        #expect(make.status == 0, "\(make.stdout)\(make.stderr)")
        #expect(make.stdout.contains("firmware.elf"), "arm-none-eabi-size output missing: \(make.stdout)")
        let run = try Shell.run(["timeout", "60", "make", "-s", "-C", firmware, "run"], in: work)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("4 of 4 correct"), "\(run.stdout)")
    }
}
