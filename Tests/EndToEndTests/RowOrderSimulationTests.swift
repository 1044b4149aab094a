// EndToEndTests/RowOrderSimulationTests.swift - Hidden rows reordered, and constant outputs stored, for the row-pair kernel change no output.

import Foundation
import GenLowering
import Testing

@Suite("Hidden rows reordered for constant shifts and constant outputs not computed: the mcu program computes what the host one does")
struct RowOrderSimulationTests {
    static func example(_ name: String) -> String {
        (try? String(contentsOfFile: Paths.inRoot("Examples/\(name).json"), encoding: .utf8)) ?? ""
    }

    /// Model, text, whether some dense layer is reordered by shift, and the constant outputs (dense rows
    /// and conv2d channels) lowering finds: trained units whose relu never passes 0.
    static let models: [(String, String, reordered: Bool, constants: Int)] = [
        ("digits_mlp", example("digits_mlp"), true, 4),
        ("digits_mlp_wide", example("digits_mlp_wide"), true, 24),
        ("row_pairs", TestModels.rowPairShapes(), true, 1),
        ("digits_cnn", example("digits_cnn"), false, 6),
        ("digits_cnn_wide", example("digits_cnn_wide"), false, 16),
    ]

    /// Each dense step's per-row shifts as lowered, its layer's in the model's row order, and the order
    /// lowering recorded.
    static func shifts(_ program: Program) -> [(lowered: [Int64], model: [Int64], order: [Int]?)] {
        program.steps.compactMap { step in
            guard case .dense(let dense) = step.kind,
                case .dense(_, let q) = program.quantized.layers[step.layerIndex].op
            else { return nil }
            let lowered = dense.data.shifts?.values ?? [Int64](repeating: Int64(dense.data.uniformShift ?? 0), count: dense.data.rows)
            return (lowered, q.shift.map(Int64.init), dense.data.rowOrder)
        }
    }

    @Test("the same integers from the simulator for mcu (rows reordered) and host (model order)", arguments: 0..<models.count)
    func sameOutputs(_ index: Int) throws {
        let (label, text, reordered, expectedConstants) = Self.models[index]
        let mcu = try Verification.prepare(modelText: text, label: "order-mcu-\(label)", target: "mcu", vectorCount: 64)
        let host = try Verification.prepare(modelText: text, label: "order-host-\(label)", target: "host", vectorCount: 64)
        #expect(mcu.quantizedInputs == host.quantizedInputs)
        #expect(mcu.simulated == host.simulated, "\(label)")
        // Some layer was reordered (else the comparison would hold trivially): its shifts are the model's in
        // the order lowering recorded. The last layer's rows are the outputs: never reordered.
        let shifts = Self.shifts(mcu.result.program)
        #expect(shifts.contains { step in
            step.order.map { Array($0.sorted().prefix(step.lowered.count)) != Array($0.prefix(step.lowered.count)) } == true
        } == reordered, "\(label): reordered")
        #expect(shifts.allSatisfy { step in
            step.lowered == Array((step.order.map { $0.map { step.model[$0] } } ?? step.model).prefix(step.lowered.count))
        })
        // Outputs proven constant are stored after the computed ones, in the order rowOrder gives.
        var constants = 0
        for data in Self.weighted(mcu.result.program) {
            constants += data.constantOutputs.count
            guard !data.constantOutputs.isEmpty else { continue }
            let order = data.rowOrder ?? Array(0..<data.outputCount)
            #expect(Array(order[data.rows...]) == data.constantOutputs.map(\.modelRow))
        }
        #expect(constants == expectedConstants, "\(label): \(constants) constant outputs")
        #expect(shifts.last.map { $0.order == nil } == true)
    }
    /// The dense and conv2d steps' weights of a program, in order.
    static func weighted(_ program: Program) -> [WeightedStepData] {
        program.steps.compactMap(\.kind.weightedData)
    }

    /// `model` pruned to 2 of every 16 and lowered for mcu with `--sparse-lowering auto`, `always` and `never`.
    static func atTwoOfSixteen(_ model: String) throws -> (auto: VerificationRun, always: VerificationRun, never: VerificationRun) {
        let runs = try ["auto", "always", "never"].map { lowering in
            try Verification.prepare(modelText: example(model), label: "\(model)-2of16-\(lowering)", target: "mcu", vectorCount: 24) {
                options in
                options.prune = "kofn"
                options.k = 2
                options.n = 16
                options.sparseLowering = lowering
            }
        }
        return (runs[0], runs[1], runs[2])
    }

    @Test("the wide CNN at 2/16: conv2 and fc dense together for conv2's 16 constant channels; always keeps them sparse, never lowers all dense; one result")
    func densePairOnTheWideCNN() throws {
        let (auto, always, never) = try Self.atTwoOfSixteen("digits_cnn_wide")
        let (conv2, fc) = (Self.weighted(auto.result.program)[1], Self.weighted(auto.result.program)[2])
        #expect(isPlainDense(conv2) && conv2.constantOutputs.count == 16 && conv2.rows == 16)
        #expect(conv2.estimate?.reason.contains("its 16 constant outputs are not computed; the pair is faster dense") == true)
        #expect(isPlainDense(fc) && fc.foldedColumns == 16 && fc.fanIn == 16)
        #expect(fc.estimate?.reason.contains("it reads 16 fewer inputs") == true)
        // Kept sparse as asked: no constant output removed from a sparse layer.
        let sparse = Self.weighted(always.result.program)
        #expect(!isPlainDense(sparse[1]) && !isPlainDense(sparse[2]) && sparse[1].constantOutputs.isEmpty)
        // never: every layer dense, as asked; the constant channels still go.
        let dense = Self.weighted(never.result.program)
        #expect(dense.allSatisfy { isPlainDense($0) && ($0.estimate?.reason.hasPrefix("dense as asked") ?? true) })
        #expect(dense[1].constantOutputs.count == 16)
        #expect(auto.simulated == always.simulated && auto.simulated == never.simulated)
    }

    @Test("the wide MLP at 2/16: fc1 stays k-of-n without its 10 constant rows, fc2 reads fewer columns; the same integers as all sparse and all dense")
    func kofnProducerOnTheWideMLP() throws {
        let (auto, always, never) = try Self.atTwoOfSixteen("digits_mlp_wide")
        let layers = Self.weighted(auto.result.program)
        #expect(layers[0].sparse != nil && layers[0].constantOutputs.count == 10 && layers[0].rows == 118)
        #expect(isPlainDense(layers[1]) && layers[1].foldedColumns == 8 && layers[1].fanIn == 120)
        #expect(Self.weighted(always.result.program)[0].constantOutputs.isEmpty)
        #expect(auto.simulated == always.simulated && auto.simulated == never.simulated)
    }

    @Test("vector-wise sets without their constant rows (wide CNN and digits MLP, 2/16 in sets of 24): the same integers as the same masks lowered dense", arguments: [("digits_cnn_wide", 2, 24), ("digits_mlp", 2, 24)])
    func setsWithoutConstantRows(_ model: String, _ k: Int, _ rows: Int) throws {
        let runs = try ["always", "never"].map { lowering in
            try Verification.prepare(modelText: Self.example(model), label: "\(model)-sets-\(lowering)", target: "mcu", vectorCount: 48) {
                options in
                options.prune = "kofn"
                options.k = k
                options.n = 16
                options.kofnRows = rows
                options.sparseLowering = lowering
            }
        }
        let sets = Self.weighted(runs[0].result.program).filter { $0.sharedSparse != nil }
        // Some set lost rows, and some consumer's sets read its producer's outputs in their stored order.
        #expect(sets.contains { $0.rows < $0.outputCount && $0.sharedSparse!.setRows.reduce(0, +) == $0.rows })
        #expect(sets.contains { $0.columnOrder != nil })
        #expect(runs[0].simulated == runs[1].simulated)
    }

    @Test("auto prices a conv2d's sets as lowered, without their constant channels: the wide CNN at 4/16 in sets of 2 keeps conv2 sparse")
    func setsPricedAsLowered() throws {
        let run = try Verification.prepare(modelText: Self.example("digits_cnn_wide"), label: "sets-priced", target: "mcu", vectorCount: 4) {
            options in
            options.prune = "kofn"
            options.k = 4
            options.n = 16
            options.kofnRows = 2
        }
        // Priced with all 32 channels (13,722 instructions with fc) the pair went dense (11,371); without its
        // 16 constant ones conv2 takes 9,221 and stays sparse.
        let conv2 = Self.weighted(run.result.program)[1]
        #expect(conv2.sharedSparse != nil && !conv2.constantOutputs.isEmpty)
        #expect(conv2.estimate?.reason.contains("as lowered, without its constant outputs") == true)
    }

    private func isPlainDense(_ data: WeightedStepData) -> Bool {
        data.sparse == nil && data.sharedSparse == nil && data.kernelSparse == nil && data.darb == nil
    }
}
