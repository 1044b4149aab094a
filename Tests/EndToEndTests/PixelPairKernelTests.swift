// EndToEndTests/PixelPairKernelTests.swift - The pixel-pair conv2d kernel on Cortex-M4, padded and not.

import Foundation
import GenDriver
import GenLowering
import GenModel
import GenSupport
import Testing

@Suite("Pixel-pair conv2d kernel (3 wide, stride 1, 2 or 3 kernel rows): host C = simulator, Cortex-M4 under QEMU (-Os and -O2) = host")
struct PixelPairKernelTests {
    struct Shape: Sendable, CustomTestStringConvertible {
        var channels: Int
        var kh: Int
        var padding: String
        var strideHeight: Int
        /// A 2x2 max pool of stride 2 after the conv2d (done inside it at stride 1: `ConvStep.pool`).
        var pool = false
        /// Weights with zeros, as a pruned layer lowered dense has (`zeroedWeights`): the kernel writes no term for them.
        var zeros = false
        /// Every weight zero: no term, no input read, no Arm DSP table.
        var allZero = false
        /// Every channel keeps the same weights (`sharedWeights`, as k-of-n sets do), so that the kernel packs the
        /// middle weights of the last two kernel rows (`packingMiddles`).
        var shared = false
        var testDescription: String {
            "\(channels) channel(s), \(kh)x3, \(padding), stride \(strideHeight)x1" + (pool ? ", then a 2x2 max pool" : "")
                + (allZero ? ", every weight zero" : zeros ? ", zero weights" : shared ? ", the same weights kept in every channel" : "")
        }
    }

    /// Both kernel-row counts; from the padded rows ('same': the 2-high kernel overhangs below only) and
    /// straight from the input ('valid', one with a vertical stride of 2, one with three input channels).
    static let shapes: [Shape] = [
        Shape(channels: 1, kh: 3, padding: "same", strideHeight: 1),
        Shape(channels: 2, kh: 1, padding: "same", strideHeight: 1),
        Shape(channels: 1, kh: 2, padding: "same", strideHeight: 1),
        Shape(channels: 1, kh: 3, padding: "valid", strideHeight: 2),
        Shape(channels: 3, kh: 1, padding: "valid", strideHeight: 1),
        // With the max pool: done inside, padded (the 2-high kernel's padding below only) and from the input;
        // kept as a step after 2 or 3 channels 1 high.
        Shape(channels: 1, kh: 3, padding: "same", strideHeight: 1, pool: true),
        Shape(channels: 2, kh: 1, padding: "same", strideHeight: 1, pool: true),
        Shape(channels: 1, kh: 2, padding: "same", strideHeight: 1, pool: true),
        Shape(channels: 1, kh: 3, padding: "valid", strideHeight: 1, pool: true),
        Shape(channels: 3, kh: 1, padding: "valid", strideHeight: 1, pool: true),
        // A vertical stride of 2: the pool stays a step of its own.
        Shape(channels: 1, kh: 3, padding: "valid", strideHeight: 2, pool: true),
        // Zero weights (`zeroedWeights`): padded and not, fused pool and not.
        Shape(channels: 1, kh: 3, padding: "same", strideHeight: 1, zeros: true),
        Shape(channels: 1, kh: 3, padding: "same", strideHeight: 1, pool: true, zeros: true),
        Shape(channels: 2, kh: 1, padding: "valid", strideHeight: 1, zeros: true),
        Shape(channels: 1, kh: 2, padding: "same", strideHeight: 1, pool: true, zeros: true),
        Shape(channels: 1, kh: 3, padding: "same", strideHeight: 1, pool: true, zeros: true, allZero: true),
        Shape(channels: 1, kh: 3, padding: "valid", strideHeight: 1, zeros: true, allZero: true),
        // The same weights kept in every channel: packed middle weights, padded and not, fused pool and not.
        Shape(channels: 1, kh: 3, padding: "same", strideHeight: 1, shared: true),
        Shape(channels: 1, kh: 3, padding: "same", strideHeight: 1, pool: true, shared: true),
        Shape(channels: 1, kh: 3, padding: "valid", strideHeight: 1, pool: true, shared: true),
        Shape(channels: 2, kh: 1, padding: "valid", strideHeight: 1, shared: true),
    ]

    /// Row 0's outer weights (w0, w2) and the middle weights of the last two kernel rows, in every channel: what
    /// packing pays for (k-of-n 4/16 in sets of 24 keeps so in the digits CNN's conv1).
    static func sharedWeights(_ values: [Double], kernelRows: Int) -> [Double] {
        values.enumerated().map { position, value in
            let (kernelRow, column) = (position / 3 % kernelRows, position % 3)
            // Kept weights at least 0.05 from zero, so that none rounds to zero in int8.
            let kept = value < 0 ? min(value, -0.05) : max(value, 0.05)
            return (kernelRow == 0 && column != 1) || (kernelRow >= kernelRows - 2 && column == 1) ? kept : 0
        }
    }

    /// Zeros in a pattern that leaves out every kind of term: channel 0 all zero, channel 1 only its middle
    /// weights, channel 2 only its outer ones, channel 3 one weight; the others lose one weight in three; and the
    /// last kernel row is zero in every channel, so its input row is not read at all.
    static func zeroedWeights(_ values: [Double], kernelRows: Int) -> [Double] {
        values.enumerated().map { position, value in
            let (channel, kernelRow, column) = (position / (kernelRows * 3), position / 3 % kernelRows, position % 3)
            let zero: Bool
            switch channel {
            case 0: zero = true
            case 1: zero = column != 1
            case 2: zero = column == 1
            case 3: zero = kernelRow != 0 || column != 2
            default: zero = (position % 3) == channel % 3
            }
            return zero || kernelRow == kernelRows - 1 ? 0 : value
        }
    }

    /// The conv2d, then (with `room`) a 1x1 conv2d to 8 channels, whose larger pair of tensors leaves the
    /// first room for its padded rows in the arena, as the model's output (through a 1x1 average, which keeps it
    /// in the arena): every output of the first is in
    /// some output of the model, unless its ReLU cut it (a review's change of one accumulator of one pixel pair
    /// escaped a dense layer of 4 outputs after them). Without `room`, a dense layer of 4 after the conv2d.
    static func modelText(_ shape: Shape, index: Int, room: Bool = true) -> String {
        var builder = TestModels.Builder(seed: UInt64(40 + index))
        let outChannels = 6
        // An even output height where pooled (8 rows), else 7 rows.
        let (height, width) = (shape.pool ? 8 : 7, 12)
        var outHeight = shape.padding == "same" ? (height + shape.strideHeight - 1) / shape.strideHeight
            : (height - shape.kh) / shape.strideHeight + 1
        var outWidth = shape.padding == "same" ? width : width - 2
        let (weightShape, scale) = ([outChannels, shape.channels, shape.kh, 3], 1.7 / Double(shape.channels * shape.kh * 3).squareRoot())
        let weights: JSONValue
        if shape.zeros || shape.shared {
            let values = (0..<weightShape.reduce(1, *)).map { _ in builder.generator.uniform(-scale, scale) }
            let kernelRows = shape.channels * shape.kh
            let zeroed = shape.allZero ? values.map { _ in 0.0 }
                : shape.shared ? sharedWeights(values, kernelRows: kernelRows) : zeroedWeights(values, kernelRows: kernelRows)
            weights = .obj([("shape", .ints(weightShape)), ("data", .numbers(zeroed))])
        } else {
            weights = builder.tensor(weightShape, scale: scale)
        }
        builder.layers.append(.obj([
            ("type", .str("conv2d")), ("name", .str("conv1")), ("activation", .str("relu")),
            ("padding", .str(shape.padding)), ("stride", .ints([shape.strideHeight, 1])),
            ("weights", weights),
            ("bias", builder.tensor([outChannels], scale: 0.2)),
        ]))
        if shape.pool {
            builder.simple("maxpool2d", "pool1", extra: [("size", .ints([2, 2]))])
            (outHeight, outWidth) = (outHeight / 2, outWidth / 2)
        }
        if room {
            builder.layers.append(.obj([
                ("type", .str("conv2d")), ("name", .str("conv2")), ("padding", .str("valid")),
                ("weights", builder.tensor([8, outChannels, 1, 1], scale: 1.7 / Double(outChannels).squareRoot())),
                ("bias", builder.tensor([8], scale: 0.2)),
            ]))
            // A 1x1 average (the identity) keeps conv2's output in the arena, not the caller's.
            builder.simple("avgpool2d", "copy", extra: [("size", .ints([1, 1]))])
            builder.simple("flatten", "flat")
        } else {
            builder.simple("flatten", "flat")
            builder.dense("fc", outChannels * outHeight * outWidth, 4)
        }
        return builder.model(name: "pixels\(index)", inputShape: [shape.channels, height, width], range: [-1, 1])
    }

    @Test("each shape runs the pixel-pair kernel and gives the same integers everywhere", arguments: shapes.indices)
    func matches(index: Int) throws {
        try #require(Shell.has("arm-none-eabi-gcc") && Shell.has("qemu-system-arm"),
            "arm-none-eabi-gcc and qemu-system-arm are needed: run Scripts/setup.sh")
        let shape = Self.shapes[index]
        let text = Self.modelText(shape, index: index)
        let run = try Verification.prepare(modelText: text, label: "pixel_pairs_\(index)", target: "mcu", vectorCount: 32) {
            $0.prune = "none"
        }
        let convs = run.result.program.steps.compactMap { step -> ConvStep? in
            if case .conv2d(let conv) = step.kind { return conv }
            return nil
        }
        let conv = try #require(convs.first)
        #expect(conv.data.pixelPairs?.kernelRows == shape.channels * shape.kh, "\(shape): not on the pixel-pair kernel")
        #expect(conv.columnOffset == nil, "\(shape): the pixel-pair kernel needs no im2col column")
        #expect((conv.paddedRowsOffset != nil) == (shape.padding == "same"), "\(shape): padded rows where padded, only there")
        // At stride 1 with one input channel 2 or 3 high (`fusesMaxPool`); 2 or 3 channels 1 high keep the pool.
        let fused = shape.pool && shape.strideHeight == 1 && shape.channels == 1 && shape.kh >= 2
        #expect((conv.pool != nil) == fused, "\(shape): the max pool is done inside the conv2d, and only where it pays")
        let pools = run.result.program.steps.filter { step in
            if case .maxPool2d = step.kind { return true }
            return false
        }
        #expect(pools.count == (shape.pool && !fused ? 1 : 0), "\(shape): \(pools.count) max pool steps")
        // The C writes each channel's terms (two MAC calls a term and output row of the step), none for a zero weight.
        let layout = try #require(conv.data.pixelPairs)
        let terms = pixelPairTerms(conv.data.weights.values, rows: conv.data.rows, layout: layout)
        let written = terms.reduce(0) { $0 + $1.count }
        #expect(shape.zeros || shape.shared ? written < 2 * layout.kernelRows * conv.data.rows : written == 2 * layout.kernelRows * conv.data.rows)
        // Only the shared weights pack the last two kernel rows' middle weights, in every channel (one term each).
        let packed = layout.packedMiddles.map { [$0.first, $0.second] }
        #expect(packed == (shape.shared ? [layout.kernelRows - 2, layout.kernelRows - 1] : nil), "\(shape): packed \(String(describing: packed))")
        #expect(terms.filter(\.packedMiddles).count == (shape.shared ? conv.data.rows : 0))
        let source = try String(contentsOfFile: run.result.outputDirectory + "/\(run.prefix).c", encoding: .utf8)
        let body = try #require(source.components(separatedBy: "_l0_conv1(const").dropFirst().first?.components(separatedBy: "#else").first)
        let calls = ["__smlad(", "__smlabb(", "__smlabt(", "__smlatb(", "__smlatt("].reduce(0) { $0 + body.components(separatedBy: $1).count - 1 }
        #expect(calls == written * (conv.pool != nil ? 4 : 2), "\(shape): \(calls) MAC calls for \(written) terms")
        try Verification.expectSameIntegersEverywhere(run)
    }

    @Test("a padded conv2d without room in the arena for its padded rows keeps the lane-pair kernel, and the arena its size")
    func noRoom() throws {
        let shape = Self.shapes[0]
        let result = try generateModelText(Self.modelText(shape, index: 0, room: false), label: "pixel-pairs-no-room") {
            $0.prune = "none"
        }
        guard case .conv2d(let conv) = result.program.steps[0].kind else {
            Issue.record("the first step is not the conv2d")
            return
        }
        #expect(conv.data.pixelPairs == nil && conv.data.lanePairs != nil)
        // The arena (the input is the caller's): the conv2d's output, 504, and its 9-element column; the padded
        // rows, 3 x 14, would have grown it.
        #expect(result.program.arenaElements == 504 + 9)
    }
}
