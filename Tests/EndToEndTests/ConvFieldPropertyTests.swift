// EndToEndTests/ConvFieldPropertyTests.swift - Random small conv2d models (fixed seed): host C = simulator, Cortex-M4 = host.

import Foundation
import GenDriver
import GenLowering
import GenModel
import GenSupport
import Testing

/// One randomly drawn conv2d model and the generator settings it is built with. Everything follows from
/// its index and seed: a failure names both (`ConvFieldCase(index:seed:)` rebuilds the case; its
/// `modelText` is also left in the model.json the message names), its shapes and its gen flags.
struct ConvFieldCase: Sendable, CustomTestStringConvertible {
    enum Padding: Sendable, CustomStringConvertible {
        case same, valid
        case explicit(top: Int, bottom: Int, left: Int, right: Int)

        var json: JSONValue {
            switch self {
            case .same: return .str("same")
            case .valid: return .str("valid")
            case .explicit(let top, let bottom, let left, let right): return .ints([top, bottom, left, right])
            }
        }

        var description: String {
            switch self {
            case .same: return "same"
            case .valid: return "valid"
            case .explicit(let top, let bottom, let left, let right): return "[\(top),\(bottom),\(left),\(right)]"
            }
        }
    }

    struct Conv: Sendable, CustomStringConvertible {
        var outChannels: Int
        var kernelHeight: Int
        var kernelWidth: Int
        var strideHeight: Int
        var strideWidth: Int
        var padding: Padding
        var relu: Bool

        var description: String {
            "conv \(outChannels)ch k\(kernelHeight)x\(kernelWidth) s\(strideHeight)x\(strideWidth) \(padding)"
                + (relu ? " relu" : "")
        }
    }

    /// The pruning and type settings (what the options closure sets).
    enum Setting: Sendable, CustomStringConvertible {
        /// `--prune none`, weights and activations of `bits`.
        case dense(bits: Int)
        /// `--prune kofn --k k --n 8 --sparse-lowering always --index-format index`.
        case kofn(k: Int, index: String)
        /// `--prune kofn --k k --n 8 --kofn-rows rows --sparse-lowering always`, `bits` wide.
        case rows(k: Int, rows: Int, bits: Int)

        var bits: Int {
            switch self {
            case .dense(let bits), .rows(_, _, let bits): return bits
            case .kofn: return 8
            }
        }

        /// The gen flags.
        var description: String {
            let widths = " --weight-bits \(bits) --act-bits \(bits)"
            switch self {
            case .dense: return "--prune none" + widths
            case .kofn(let k, let index):
                return "--prune kofn --k \(k) --n 8 --sparse-lowering always --index-format \(index)" + widths
            case .rows(let k, let rows, _):
                return "--prune kofn --k \(k) --n 8 --kofn-rows \(rows) --sparse-lowering always" + widths
            }
        }

        func apply(to options: inout GenerateOptions) {
            options.weightBits = bits
            options.activationBits = bits
            switch self {
            case .dense:
                options.prune = "none"
            case .kofn(let k, let index):
                options.prune = "kofn"
                options.k = k
                options.n = 8
                options.sparseLowering = "always"
                options.indexFormat = index
            case .rows(let k, let rows, _):
                options.prune = "kofn"
                options.k = k
                options.n = 8
                options.kofnRows = rows
                options.sparseLowering = "always"
            }
        }
    }

    var index: Int
    var seed: UInt64
    var inputShape: [Int]
    var range: [Double]
    var convs: [Conv]
    var outputs: Int
    var setting: Setting
    var modelText: String

    var label: String { "conv_field_\(index)" }

    var testDescription: String {
        "#\(index) seed 0x\(String(seed, radix: 16)): input \(inputShape.map(String.init).joined(separator: "x"))"
            + " range \(range), " + convs.map(\.description).joined(separator: ", ")
            + ", flatten, dense \(outputs); \(setting)"
    }

    /// Draws case `index` from `seed`: the shapes, then (from the same generator) the weights.
    /// Settings go round a fixed cycle so that every one is drawn several times.
    init(index: Int, seed: UInt64) {
        self.index = index
        self.seed = seed
        var random = SeededGenerator(seed: seed)
        func draw(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }
        func padding(kernelHeight: Int, kernelWidth: Int) -> Padding {
            switch draw(0...2) {
            case 0: return .same
            case 1: return .valid
            default:
                // Up to a whole kernel on each side: fields entirely in the padding too.
                return .explicit(
                    top: draw(0...kernelHeight), bottom: draw(0...kernelHeight), left: draw(0...kernelWidth),
                    right: draw(0...kernelWidth))
            }
        }
        inputShape = [draw(1...4), draw(3...10), draw(3...10)]
        range = draw(0...1) == 0 ? [-1, 1] : [0, 1]
        let (kh1, kw1) = (draw(1...5), draw(1...5))
        var convs = [
            Conv(
                outChannels: draw(4...8), kernelHeight: kh1, kernelWidth: kw1, strideHeight: draw(1...3),
                strideWidth: draw(1...3), padding: padding(kernelHeight: kh1, kernelWidth: kw1), relu: draw(0...2) > 0)
        ]
        if draw(0...2) > 0 {
            // A second conv2d (two cases in three): 1x1 or small, often strided. Padded rows fit only
            // where some other step needs more of the arena, so mostly in these models.
            let (kh2, kw2) = draw(0...2) == 0 ? (1, 1) : (draw(1...3), draw(1...3))
            convs.append(
                Conv(
                    outChannels: draw(3...6), kernelHeight: kh2, kernelWidth: kw2, strideHeight: draw(1...3),
                    strideWidth: draw(1...3), padding: padding(kernelHeight: kh2, kernelWidth: kw2),
                    relu: draw(0...1) == 1))
        }
        self.convs = convs
        outputs = draw(3...5)
        switch index % 8 {
        case 0, 3: setting = .dense(bits: 8)
        case 1: setting = .kofn(k: 4, index: "byte")
        case 4: setting = .kofn(k: 2, index: "nibble")
        case 6: setting = draw(0...1) == 0 ? .kofn(k: 4, index: "nibble") : .kofn(k: 2, index: "byte")
        case 2, 5: setting = .rows(k: draw(2...4), rows: draw(2...5), bits: 8)
        // 16 bits: no im2col column at all (the conv2d column is the 8-bit kernels'), the plain loops.
        default: setting = index % 16 == 7 ? .dense(bits: 16) : .rows(k: draw(2...4), rows: draw(2...5), bits: 16)
        }

        var builder = TestModels.Builder(seed: random.next())
        var channels = inputShape[0]
        for (position, conv) in convs.enumerated() {
            let fanIn = channels * conv.kernelHeight * conv.kernelWidth
            builder.layers.append(.obj([
                ("type", .str("conv2d")), ("name", .str("conv\(position + 1)")),
                ("activation", .str(conv.relu ? "relu" : "none")),
                ("stride", .ints([conv.strideHeight, conv.strideWidth])), ("padding", conv.padding.json),
                ("weights", builder.tensor(
                    [conv.outChannels, channels, conv.kernelHeight, conv.kernelWidth],
                    scale: 1.7 / Double(fanIn).squareRoot())),
                ("bias", builder.tensor([conv.outChannels], scale: 0.2)),
            ]))
            channels = conv.outChannels
        }
        builder.simple("flatten", "flat")
        // The dense layer's fan-in is what the reader infers for the conv2d layers and flatten (none:
        // it rejects the shapes, and so the whole model).
        let probe = builder.model(name: "cf\(index)", inputShape: inputShape, range: range)
        let flat = (try? loadModel(file: "probe.json", bytes: Array(probe.utf8), diagnostics: DiagnosticEngine()))?
            .outputSize ?? 1
        builder.dense("fc", flat, outputs)
        modelText = builder.model(name: "cf\(index)", inputShape: inputShape, range: range)
    }

    /// Whether the model reader accepts the model (shapes it rejects are skipped, not counted).
    var isAccepted: Bool {
        (try? loadModel(file: "\(label).json", bytes: Array(modelText.utf8), diagnostics: DiagnosticEngine())) != nil
    }
}

enum ConvFieldCases {
    /// The master seed (each case's seed is drawn from it); `SPRIG_CONV_FIELD_SEED` (hexadecimal)
    /// draws another set, to explore.
    static let defaultSeed: UInt64 = 0x3
    static let seed: UInt64 = ProcessInfo.processInfo.environment["SPRIG_CONV_FIELD_SEED"]
        .flatMap { UInt64($0, radix: 16) } ?? defaultSeed
    /// How many accepted cases run, and at most how many are drawn to find them.
    static let wanted = 40
    static let maximumDraws = 200

    /// The accepted cases, in draw order, and how many drawn shapes the reader rejected.
    static let drawn: (cases: [ConvFieldCase], rejected: Int) = {
        var master = SeededGenerator(seed: seed)
        var cases: [ConvFieldCase] = []
        var rejected = 0
        for _ in 0..<maximumDraws where cases.count < wanted {
            let candidate = ConvFieldCase(index: cases.count, seed: master.next())
            if candidate.isAccepted { cases.append(candidate) } else { rejected += 1 }
        }
        return (cases, rejected)
    }()

    static var cases: [ConvFieldCase] { drawn.cases }
}

/// How one case's conv2d steps gather their im2col column.
enum FieldGather: Hashable, CustomStringConvertible {
    /// No column (the kernel reads the input).
    case none
    /// Unpadded: every field inside the input.
    case inside
    /// Padded, from the padded rows of each output row.
    case paddedRows
    /// Padded, with tests over the border.
    case borderTests

    init(_ conv: ConvStep) {
        if conv.columnOffset == nil {
            self = .none
        } else if !conv.padded {
            self = .inside
        } else {
            self = conv.paddedRowsOffset != nil ? .paddedRows : .borderTests
        }
    }

    var description: String {
        switch self {
        case .none: return "no column"
        case .inside: return "inside"
        case .paddedRows: return "padded rows"
        case .borderTests: return "border tests"
        }
    }

    static func of(_ program: Program) -> [FieldGather] {
        program.steps.compactMap { step in
            if case .conv2d(let conv) = step.kind { return FieldGather(conv) }
            return nil
        }
    }
}

@Suite("Random conv2d models: host C equals the simulator, Cortex-M4 under QEMU equals the host")
struct ConvFieldPropertyTests {
    @Test("an unpadded conv2d's sets gather from the input only where the offsets fit the fan-in's index type")
    func windowGatherOnlyWhereOffsetsFit() throws {
        // 4 channels of 10 x 10, a 3x2 kernel at stride 2x3 (fan-in 24, uint8 positions): the largest offset,
        // (3 * 10 + 2) * 10 + 1 = 321, needs uint16, so the im2col column stays; 2 channels of 6 x 6: 77, it goes.
        for (channels, side, expected) in [(4, 10, false), (2, 6, true)] {
            var builder = TestModels.Builder(seed: 7)
            builder.layers.append(.obj([
                ("type", .str("conv2d")), ("name", .str("conv1")), ("padding", .str("valid")), ("stride", .ints([2, 3])),
                ("weights", builder.tensor([8, channels, 3, 2], scale: 0.3)), ("bias", builder.tensor([8], scale: 0.1)),
            ]))
            builder.simple("flatten", "flat")
            let outputs = 8 * ((side - 3) / 2 + 1) * ((side - 2) / 3 + 1)
            builder.dense("fc", outputs, 4)
            let text = builder.model(name: "window", inputShape: [channels, side, side], range: [-1, 1])
            let result = try generateModelText(text, label: "window-gather-\(channels)") { options in
                options.prune = "kofn"
                options.k = 2
                options.n = 8
                options.kofnRows = 4
                options.sparseLowering = "always"
            }
            guard case .conv2d(let conv) = result.program.steps[0].kind, let shared = conv.data.sharedSparse else {
                Issue.record("the conv2d is not vector-wise k-of-n")
                continue
            }
            #expect((shared.windowOffsets != nil) == expected, "\(channels) x \(side) x \(side)")
            #expect(shared.storedIndices.elementType == .uint8)
        }
    }

    @Test("mcu output: host gcc build = Swift simulator, arm-none-eabi-gcc -Os under qemu-system-arm = host",
        arguments: ConvFieldCases.cases)
    func fieldsMatch(_ field: ConvFieldCase) throws {
        try #require(Shell.has("arm-none-eabi-gcc") && Shell.has("qemu-system-arm"),
            "arm-none-eabi-gcc and qemu-system-arm are needed: run Scripts/setup.sh")
        let run = try Verification.prepare(modelText: field.modelText, label: field.label, target: "mcu", vectorCount: 8) {
            field.setting.apply(to: &$0)
        }
        let gathers = FieldGather.of(run.result.program)
        let model = (run.directory as NSString).deletingLastPathComponent + "/model.json"
        let reproduce = "\(field.testDescription); im2col \(gathers); model \(model), gen --target mcu"
        try Verification.writeHarness(run)
        let (host, hostShell) = try CHarness.runOnHost(directory: run.directory)
        try #require(hostShell.status == 0, "host build or run failed: \(hostShell.stderr) [\(reproduce)]")
        #expect(host.quantized.count == run.quantizedInputs.count, "host printed too few outputs [\(reproduce)]")
        #expect(host.quantized == run.simulated, "host C and the simulator differ [\(reproduce)]")
        let (arm, armShell) = try CHarness.runOnCortexM(directory: run.directory)
        try #require(armShell.status == 0, "Cortex-M build or run failed: \(armShell.stderr) [\(reproduce)]")
        #expect(arm.quantized.count == run.quantizedInputs.count, "QEMU printed too few outputs [\(reproduce)]")
        #expect(arm.quantized == host.quantized, "Cortex-M and host outputs differ [\(reproduce)]")
    }

    @Test("the cases run enough shapes and gather every way: from padded rows, with border tests, inside")
    func coverage() throws {
        let (cases, rejected) = ConvFieldCases.drawn
        #expect(cases.count == ConvFieldCases.wanted, "only \(cases.count) accepted shapes (\(rejected) rejected)")
        #expect(rejected < cases.count, "the reader rejected \(rejected) of \(rejected + cases.count) shapes")
        var counts: [FieldGather: Int] = [:]
        var casesWithPaddedRows: [String] = []
        var casesPaddedWithout = 0
        var paddedRowsSettings = Set<String>()
        // Dense conv2d steps on the lane-pair kernel, by fan-in modulo 4 (how its last word overlaps).
        var lanePairFanIns: [Int: Int] = [:]
        // conv2d sets gathering straight from the input (unpadded: `SharedKofNLayout.windowOffsets`), and of those
        // with a stride over 1 or several input channels.
        var windowGathers = 0
        var windowGathersStridedOrDeep = 0
        for field in cases {
            let result: GenerationResult
            do {
                result = try generateModelText(field.modelText, label: field.label + "-lowering") { field.setting.apply(to: &$0) }
            } catch let failure as GenFailure {
                Issue.record("\(field.testDescription): \(failure.diagnostics.map(\.formatted).joined(separator: "\n"))")
                continue
            }
            let gathers = FieldGather.of(result.program)
            for gather in gathers { counts[gather, default: 0] += 1 }
            for step in result.program.steps {
                if case .conv2d(let conv) = step.kind, conv.data.lanePairs != nil { lanePairFanIns[conv.data.fanIn % 4, default: 0] += 1 }
                if case .conv2d(let conv) = step.kind, conv.data.sharedSparse?.windowOffsets != nil {
                    windowGathers += 1
                    if conv.strideHeight > 1 || conv.strideWidth > 1 || conv.inChannels > 1 { windowGathersStridedOrDeep += 1 }
                }
            }
            if gathers.contains(.paddedRows) {
                casesWithPaddedRows.append("#\(field.index) (\(field.setting))")
                switch field.setting {
                case .dense: paddedRowsSettings.insert("dense")
                case .kofn: paddedRowsSettings.insert("kofn")
                case .rows: paddedRowsSettings.insert("rows")
                }
            }
            if gathers.contains(.borderTests) { casesPaddedWithout += 1 }
        }
        print("ConvFieldPropertyTests: seed 0x\(String(ConvFieldCases.seed, radix: 16)), \(cases.count) cases (\(rejected) shapes rejected), \(casesWithPaddedRows.count) with padded rows "
            + "(\(casesWithPaddedRows.joined(separator: ", "))), "
            + "\(casesPaddedWithout) with border tests; conv2d steps: \(counts); lane-pair steps by fan-in mod 4: \(lanePairFanIns); "
            + "sets from the input: \(windowGathers) (\(windowGathersStridedOrDeep) strided or of several channels)")
        // What the default seed's cases are known to cover; another seed only reports its coverage.
        guard ConvFieldCases.seed == ConvFieldCases.defaultSeed else { return }
        #expect(casesWithPaddedRows.count >= 3, "padded rows in only \(casesWithPaddedRows.count) cases")
        // Dense: the column only in the GEN_ARM_DSP block (QEMU); k-of-n and sets: on every core.
        #expect(paddedRowsSettings == ["dense", "kofn", "rows"], "padded rows only with \(paddedRowsSettings.sorted())")
        #expect(casesPaddedWithout >= 3, "border tests (a padded conv2d without padded rows) in only \(casesPaddedWithout) cases")
        #expect(counts[.inside, default: 0] >= 2, "unpadded columns in only \(counts[.inside, default: 0]) conv2d steps")
        // The lane-pair kernel in random shapes too (every fan-in 4 to 11 is in LanePairKernelTests).
        #expect(lanePairFanIns.values.reduce(0, +) >= 4, "lane-pair conv2d steps: \(lanePairFanIns)")
        #expect(windowGathers >= 3 && windowGathersStridedOrDeep >= 2,
            "sets gathering from the input: \(windowGathers), strided or of several channels: \(windowGathersStridedOrDeep)")
    }
}
