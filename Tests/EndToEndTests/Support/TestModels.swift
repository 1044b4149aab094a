// EndToEndTests/Support/TestModels.swift - Seeded random models that use every layer type.

import GenSupport

/// Builds model.json texts with random weights (seeded) for the verification tests.
enum TestModels {
    struct Builder {
        var generator: SeededGenerator
        var layers: [JSONValue] = []

        init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

        mutating func tensor(_ shape: [Int], scale: Double) -> JSONValue {
            let count = shape.reduce(1, *)
            let data = (0..<count).map { _ in generator.uniform(-scale, scale) }
            return .obj([("shape", .ints(shape)), ("data", .numbers(data))])
        }

        mutating func dense(_ name: String, _ inputs: Int, _ outputs: Int, activation: String = "none") {
            layers.append(.obj([
                ("type", .str("dense")), ("name", .str(name)), ("activation", .str(activation)),
                ("weights", tensor([outputs, inputs], scale: 1.7 / Double(inputs).squareRoot())),
                ("bias", tensor([outputs], scale: 0.2)),
            ]))
        }

        /// A dense layer whose row r has every weight `value · (1 + r / outputs)`, and zero biases: each
        /// row's weights quantize to one value of 64...127 (its own power-of-two scale), and the rows differ.
        mutating func uniformDense(_ name: String, _ inputs: Int, _ outputs: Int, value: Double, activation: String = "none") {
            let data = (0..<(outputs * inputs)).map { value * (1 + Double($0 / inputs) / Double(outputs)) }
            let weights = JSONValue.obj([("shape", .ints([outputs, inputs])), ("data", .numbers(data))])
            layers.append(.obj([
                ("type", .str("dense")), ("name", .str(name)), ("activation", .str(activation)),
                ("weights", weights),
                ("bias", .obj([("shape", .ints([outputs])), ("data", .numbers([Double](repeating: 0, count: outputs)))])),
            ]))
        }

        /// With `growingChannels`, output channel c's weights are scaled by 2 (c + 1) / outC, so that magnitude
        /// pruning of the layer keeps more of the later channels (DARB then gives them smaller blocks).
        mutating func conv(_ name: String, _ inC: Int, _ outC: Int, kernel: Int, stride: [Int], padding: JSONValue,
            activation: String = "none", growingChannels: Bool = false)
        {
            let perChannel = inC * kernel * kernel
            let scale = 1.7 / Double(perChannel).squareRoot()
            let data = (0..<(outC * perChannel)).map { index in
                generator.uniform(-scale, scale) * (growingChannels ? 2 * Double(index / perChannel + 1) / Double(outC) : 1)
            }
            let weights = JSONValue.obj([("shape", .ints([outC, inC, kernel, kernel])), ("data", .numbers(data))])
            layers.append(.obj([
                ("type", .str("conv2d")), ("name", .str(name)), ("activation", .str(activation)),
                ("stride", .ints(stride)), ("padding", padding),
                ("weights", weights),
                ("bias", tensor([outC], scale: 0.2)),
            ]))
        }

        mutating func batchnorm(_ name: String, channels: Int) {
            let gamma = (0..<channels).map { _ in generator.uniform(0.6, 1.4) }
            let beta = (0..<channels).map { _ in generator.uniform(-0.2, 0.2) }
            let mean = (0..<channels).map { _ in generator.uniform(-0.3, 0.3) }
            let variance = (0..<channels).map { _ in generator.uniform(0.5, 1.5) }
            func vector(_ values: [Double]) -> JSONValue { .obj([("shape", .ints([channels])), ("data", .numbers(values))]) }
            layers.append(.obj([
                ("type", .str("batchnorm")), ("name", .str(name)), ("gamma", vector(gamma)), ("beta", vector(beta)),
                ("mean", vector(mean)), ("var", vector(variance)),
            ]))
        }

        mutating func simple(_ type: String, _ name: String, extra: [(String, JSONValue)] = []) {
            layers.append(.obj([("type", .str(type)), ("name", .str(name))] + extra))
        }

        func model(name: String, inputShape: [Int], range: [Double]) -> String {
            JSONWriter.write(.obj([
                ("version", .int(1)), ("name", .str(name)),
                ("input", .obj([("shape", .ints(inputShape)), ("range", .numbers(range))])),
                ("layers", .arr(layers)),
            ]))
        }
    }

    /// Dense layers with relu6, a folded batchnorm, a standalone relu, and a final softmax.
    static func mlp(seed: UInt64 = 11) -> String {
        var b = Builder(seed: seed)
        b.dense("fc1", 24, 20, activation: "relu6")
        b.dense("fc2", 20, 16)
        b.batchnorm("bn2", channels: 16)
        b.simple("relu", "act2")
        b.dense("fc3", 16, 12, activation: "relu")
        b.dense("logits", 12, 5)
        b.simple("softmax", "prob")
        return b.model(name: "mlp_test", inputShape: [24], range: [-1, 1])
    }

    /// Dense shapes for the Arm DSP row-pair kernel. Row counts: blocks of three pairs, then one pair and
    /// a lone row (45), two pairs (40, 16), two pairs and a lone row (35, 29, 11), a lone row (13), one
    /// pair (20), one pair and a lone row (9); two pairs and a lone row (5), two pairs (4), three pairs (6). Fan-ins: sixteen-
    /// column passes, then an eight-column step that advances, a four-column step and one last column
    /// (45); passes and an eight-column step that does not advance (40); passes and three last columns
    /// (35); eight-column passes, a four-column step and one last column (29); eight-column passes only
    /// (16) and with a four-column step (20); one eight-column step, a four-column step and one last
    /// column (13); one eight-column step and three last columns (11); one last column (9); no
    /// eight-column step (5, 4). First a layer whose high rows could pass 2^23 (1100 weights of 64..127
    /// each: 1100 x 64 x 128 > 2^23), which keeps the four-row kernel; its rows differ, so the next
    /// layers see varied inputs.
    static func rowPairShapes(seed: UInt64 = 17) -> String {
        var b = Builder(seed: seed)
        b.uniformDense("wide", 1100, 45, value: 0.01, activation: "relu")
        for (index, (inputs, outputs)) in [(45, 40), (40, 35), (35, 29), (29, 16), (16, 20), (20, 13), (13, 13),
                                           (13, 11), (11, 9)].enumerated() {
            b.dense("fc\(index + 2)", inputs, outputs, activation: "relu")
        }
        b.dense("fc11", 9, 5)
        b.dense("fc12", 5, 4, activation: "relu")
        b.dense("fc13", 4, 6)
        return b.model(name: "row_pairs", inputShape: [1100], range: [-1, 1])
    }

    /// Vector-wise k-of-n (`--kofn-rows 7`, k = 3 of n = 8) for the set kernel: 16-bit input positions
    /// (fan-in 300); sets of 7 and 6 rows (three pairs and a lone row; three pairs), 7 and 4 (two pairs),
    /// 7 and 2 (one pair), 5 (two pairs and a lone row); kept counts with a gather and column tail (114,
    /// 6, 6) and without (4); a last layer of two rows keeping 3 inputs, which the DSP kernel runs over 4
    /// columns (plain loops on the host).
    static func vectorKofN(seed: UInt64 = 23) -> String {
        var b = Builder(seed: seed)
        b.dense("fc1", 300, 13, activation: "relu")
        b.dense("fc2", 13, 11, activation: "relu")
        b.dense("fc3", 11, 9, activation: "relu")
        b.dense("fc4", 9, 5, activation: "relu")
        b.dense("fc5", 5, 2)
        return b.model(name: "kofn_rows", inputShape: [300], range: [-1, 1])
    }

    /// One dense layer and nothing else (16 inputs, 7 rows): its input and output are the caller's, so under
    /// vector-wise k-of-n the arena holds only the sets' column, which on Arm DSP cores stays unused where the
    /// column is in registers (`registerLaneLimit`).
    static func singleDense(seed: UInt64 = 47) -> String {
        var b = Builder(seed: seed)
        b.dense("fc", 16, 7)
        return b.model(name: "single_dense", inputShape: [16], range: [-1, 1])
    }

    /// One conv2d and nothing else: its input and output are the caller's, so the arena holds only the
    /// im2col column, which only the Arm DSP kernel uses.
    static func singleConv(seed: UInt64 = 19) -> String {
        var b = Builder(seed: seed)
        b.conv("conv", 1, 4, kernel: 3, stride: [1, 1], padding: .str("valid"), activation: "relu")
        return b.model(name: "single_conv", inputShape: [1, 6, 6], range: [0, 1])
    }

    /// The `--sparsity` the DARB models below are tested at: darb_convs denser than the default 0.875, so that
    /// conv1 (blocks of 1 or 2 only) mixes both; single_darb_conv sparser, so that some channel keeps one
    /// weight of its 32 (8-bit offsets).
    static let darbSparsity: [String: Double] = ["darb_convs": 0.4, "single_darb_conv": 0.9]

    /// conv2d layers whose output channels DARB gives different block sizes (`growingChannels`): same padding
    /// (padded rows on mcu) with fan-in 18 (blocks of 1 and 2: a group that keeps everything, 1-bit
    /// offsets), explicit padding and stride 2 with fan-in 72 (blocks up to 8: offsets of 1 or 2 bits
    /// whose last stored byte is partial), fan-in 288.
    static func darbConvs(seed: UInt64 = 41) -> String {
        var b = Builder(seed: seed)
        b.conv("conv1", 2, 8, kernel: 3, stride: [1, 1], padding: .str("same"), activation: "relu", growingChannels: true)
        b.conv("conv2", 8, 32, kernel: 3, stride: [2, 2], padding: .ints([1, 0, 1, 1]), activation: "relu", growingChannels: true)
        b.conv("conv3", 32, 6, kernel: 3, stride: [1, 1], padding: .str("valid"), growingChannels: true)
        b.simple("flatten", "flat")
        b.dense("fc", 24, 5)
        return b.model(name: "darb_convs", inputShape: [2, 9, 8], range: [0, 1])
    }

    /// One conv2d (fan-in 32, channels DARB blocks differently: up to one block of 32, 8-bit offsets) and
    /// nothing else: on mcu the arena holds nothing but its im2col column, which the DARB kernel reads on
    /// every core.
    static func singleDARBConv(seed: UInt64 = 43) -> String {
        var b = Builder(seed: seed)
        b.conv("conv", 8, 6, kernel: 2, stride: [1, 1], padding: .str("valid"), growingChannels: true)
        return b.model(name: "single_darb_conv", inputShape: [8, 5, 5], range: [-1, 1])
    }

    /// A conv2d whose im2col column (16 x 3 x 3 = 144 values) is larger than its input-output gap:
    /// the arena must grow to its output plus the column.
    static func wideConv(seed: UInt64 = 13) -> String {
        var b = Builder(seed: seed)
        b.conv("conv", 16, 4, kernel: 3, stride: [1, 1], padding: .str("valid"), activation: "relu")
        b.simple("flatten", "flat")
        b.dense("fc", 4, 3)
        return b.model(name: "wide_conv", inputShape: [16, 3, 3], range: [-1, 1])
    }

    /// Pools on the Arm DSP path and off it: 2x2 max pooling of stride 2 over an odd input height and
    /// width (7 x 11) into an odd output width (5), then average pooling over 3 values (not a power of two).
    static func pools(seed: UInt64 = 29) -> String {
        var b = Builder(seed: seed)
        b.conv("conv1", 1, 4, kernel: 3, stride: [1, 1], padding: .str("same"), activation: "relu")
        b.simple("maxpool2d", "pool1", extra: [("size", .ints([2, 2]))])
        b.simple("avgpool2d", "pool2", extra: [("size", .ints([1, 3])), ("stride", .ints([1, 1]))])
        b.simple("flatten", "flat")
        b.dense("fc", 36, 5)
        return b.model(name: "pools_test", inputShape: [1, 7, 11], range: [-1, 1])
    }

    /// im2col over the border both ways: conv1 (3x3, same) has room in the arena for its padded rows,
    /// which conv2 (5x5, same, stride 1 x 2: 1068 bytes of arena, 780 more with them) has not, so conv2 gathers
    /// with tests: rows of five values (no four-byte copies), an overhang of 2 on the right.
    static func paddedFields(seed: UInt64 = 31) -> String {
        var b = Builder(seed: seed)
        b.conv("conv1", 1, 12, kernel: 3, stride: [1, 1], padding: .str("same"), activation: "relu")
        b.conv("conv2", 12, 4, kernel: 5, stride: [1, 2], padding: .str("same"), activation: "relu")
        b.simple("flatten", "flat")
        b.dense("fc", 120, 5)
        return b.model(name: "padded_fields", inputShape: [1, 6, 9], range: [-1, 1])
    }

    /// Every image layer: conv2d with same, explicit and valid padding and strides, batchnorm,
    /// standalone relu, maxpool, avgpool (stride 1), flatten, an unfusable relu6 after a pool, dense, softmax.
    static func cnn(seed: UInt64 = 12) -> String {
        var b = Builder(seed: seed)
        b.conv("conv1", 2, 6, kernel: 3, stride: [1, 1], padding: .str("same"))
        b.batchnorm("bn1", channels: 6)
        b.simple("relu", "relu1")
        b.simple("maxpool2d", "pool1", extra: [("size", .ints([2, 2]))])
        b.conv("conv2", 6, 8, kernel: 3, stride: [2, 1], padding: .ints([1, 0, 1, 1]), activation: "relu")
        b.simple("avgpool2d", "pool2", extra: [("size", .ints([1, 2])), ("stride", .ints([1, 1]))])
        b.simple("relu6", "clip")
        b.conv("conv3", 8, 10, kernel: 2, stride: [1, 1], padding: .str("valid"))
        b.simple("flatten", "flat")
        b.dense("fc", 30, 7)
        b.simple("softmax", "prob")
        return b.model(name: "cnn_test", inputShape: [2, 11, 10], range: [0, 1])
    }
}
