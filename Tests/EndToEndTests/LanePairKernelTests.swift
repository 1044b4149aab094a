// EndToEndTests/LanePairKernelTests.swift - The lane-pair conv2d kernel at every fan-in it takes, on Cortex-M4.

import Foundation
import GenDriver
import GenLowering
import GenModel
import GenSupport
import Testing

@Suite("Lane-pair conv2d kernel (fan-ins 4 to 11): host C = simulator, Cortex-M4 under QEMU (-Os and -O2) = host")
struct LanePairKernelTests {
    /// One model per fan-in, each ending its column differently (fan-in mod 4 gives how the last word
    /// overlaps): (input channels, kernel height, kernel width), 'same' padding, so padded rows and
    /// border tests both occur across the cases. The input is 11 wide: an odd output width keeps the 3-wide
    /// kernels (fan-ins 6 and 9) off the pixel-pair kernel (PixelPairKernelTests).
    static let shapes: [(fanIn: Int, channels: Int, kh: Int, kw: Int)] = [
        (4, 1, 2, 2), (5, 1, 1, 5), (6, 2, 1, 3), (7, 1, 7, 1), (8, 2, 2, 2), (9, 1, 3, 3), (10, 2, 5, 1), (11, 1, 1, 11),
    ]

    static func modelText(fanIn: Int, channels: Int, kh: Int, kw: Int) -> String {
        var builder = TestModels.Builder(seed: UInt64(fanIn))
        let outChannels = 5
        builder.layers.append(.obj([
            ("type", .str("conv2d")), ("name", .str("conv1")), ("activation", .str("relu")),
            ("padding", .str("same")),
            ("weights", builder.tensor([outChannels, channels, kh, kw], scale: 1.7 / Double(fanIn).squareRoot())),
            ("bias", builder.tensor([outChannels], scale: 0.2)),
        ]))
        builder.simple("flatten", "flat")
        builder.dense("fc", outChannels * 6 * 11, 4)
        return builder.model(name: "lane\(fanIn)", inputShape: [channels, 6, 11], range: [-1, 1])
    }

    @Test("each fan-in runs the lane-pair kernel and gives the same integers everywhere", arguments: shapes.map(\.fanIn))
    func matches(fanIn: Int) throws {
        try #require(Shell.has("arm-none-eabi-gcc") && Shell.has("qemu-system-arm"),
            "arm-none-eabi-gcc and qemu-system-arm are needed: run Scripts/setup.sh")
        let shape = try #require(Self.shapes.first { $0.fanIn == fanIn })
        let text = Self.modelText(fanIn: fanIn, channels: shape.channels, kh: shape.kh, kw: shape.kw)
        let run = try Verification.prepare(modelText: text, label: "lane_pairs_\(fanIn)", target: "mcu", vectorCount: 8) {
            $0.prune = "none"
        }
        let lanes = run.result.program.steps.compactMap { step -> LanePairLayout? in
            if case .conv2d(let conv) = step.kind { return conv.data.lanePairs }
            return nil
        }
        #expect(lanes == [lanePairLayout(fanIn: fanIn)], "conv1 does not run the lane-pair kernel")
        try Verification.expectSameIntegersEverywhere(run)
    }
}
