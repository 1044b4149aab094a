// GenLoweringTests/ToolchainFileTests.swift - Toolchains/*.json: the cost model and DSP switch, and errors.

import Foundation
import GenSupport
import GenTarget
import Testing

@Suite("Toolchain files: cost model and Arm DSP settings")
struct ToolchainFileTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func load(_ text: String) -> (TargetDescription?, [String]) {
        let diagnostics = DiagnosticEngine()
        let target = try? loadTargetDescription(file: "t.json", bytes: Array(text.utf8), diagnostics: diagnostics)
        return (target, diagnostics.diagnostics.map(\.formatted))
    }

    @Test("the shipped mcu toolchain has the DSP kernels and a complete cost model; host and hls have neither")
    func shipped() throws {
        for (name, dsp, model) in [("mcu", true, true), ("host", false, false), ("hls", false, false)] {
            let text = try String(
                contentsOf: Self.root.appendingPathComponent("Toolchains/\(name).json"), encoding: .utf8)
            let (target, errors) = Self.load(text)
            #expect(errors.isEmpty, "\(name): \(errors)")
            #expect(target?.armDSP == dsp && (target?.costModel != nil) == model, "\(name)")
        }
    }

    @Test("a cost model with a missing coefficient, a negative one or an unknown key is a located error")
    func badCostModel() {
        let text = """
            {"name": "t", "cc": "gcc", "costModel": {"reference": "r", "denseMAC": -1, "denseOutput": 1,
              "sparseKept": 1, "sparseKeptScalar": 1, "sparseGroup": 1, "sparseOutput": 1, "nibbleKept": 1,
              "convMAC": 1, "convOutput": 1, "convSparseKept": 1, "cycles": 2}}
            """
        let (target, errors) = Self.load(text)
        #expect(target == nil)
        #expect(errors.contains { $0.hasPrefix("t.json:3:") && $0.contains("unknown key 'cycles'") && $0.hasSuffix("[/costModel/cycles]") })
        #expect(errors.contains { $0.contains("expected instructions, a number >= 0, found -1") && $0.hasSuffix("[/costModel/denseMAC]") })
        #expect(errors.contains { $0.contains("missing required key 'convKernelMAC'") && $0.hasSuffix("[/costModel/convKernelMAC]") })
        let (_, flagErrors) = Self.load(#"{"name": "t", "cc": "gcc", "armDSP": "yes"}"#)
        #expect(flagErrors.contains { $0.contains("expected true or false") && $0.hasSuffix("[/armDSP]") })
    }
}
