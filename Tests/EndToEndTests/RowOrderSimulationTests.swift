// EndToEndTests/RowOrderSimulationTests.swift - Hidden rows reordered for the row-pair kernel change no output.

import Foundation
import GenLowering
import Testing

@Suite("Hidden rows reordered for constant shifts: the mcu program computes what the host one does")
struct RowOrderSimulationTests {
    static let models: [(String, String)] = [
        ("digits_mlp", (try? String(contentsOfFile: Paths.inRoot("Examples/digits_mlp.json"), encoding: .utf8)) ?? ""),
        ("digits_mlp_wide", (try? String(contentsOfFile: Paths.inRoot("Examples/digits_mlp_wide.json"), encoding: .utf8)) ?? ""),
        ("row_pairs", TestModels.rowPairShapes()),
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
        let (label, text) = Self.models[index]
        let mcu = try Verification.prepare(modelText: text, label: "order-mcu-\(label)", target: "mcu", vectorCount: 64)
        let host = try Verification.prepare(modelText: text, label: "order-host-\(label)", target: "host", vectorCount: 64)
        #expect(mcu.quantizedInputs == host.quantizedInputs)
        #expect(mcu.simulated == host.simulated, "\(label)")
        // Some layer was reordered (else the comparison would hold trivially): its shifts are the model's in
        // the order lowering recorded. The last layer's rows are the outputs: never reordered.
        let shifts = Self.shifts(mcu.result.program)
        #expect(shifts.contains { step in
            step.order.map { Array($0.sorted().prefix(step.lowered.count)) != Array($0.prefix(step.lowered.count)) } == true
        }, "\(label): no layer was reordered")
        #expect(shifts.allSatisfy { step in
            step.lowered == Array((step.order.map { $0.map { step.model[$0] } } ?? step.model).prefix(step.lowered.count))
        })
        // Outputs proven constant are stored after the computed ones, in the order rowOrder gives (the digits
        // MLP's fc1 and fc2 have two each: trained units whose relu never passes 0).
        let constants = mcu.result.program.steps.reduce(0) { count, step in
            guard case .dense(let dense) = step.kind else { return count }
            return count + dense.data.constantOutputs.count
        }
        #expect(label != "digits_mlp" || constants == 4, "\(label): \(constants) constant outputs")
        for step in mcu.result.program.steps {
            guard case .dense(let dense) = step.kind, !dense.data.constantOutputs.isEmpty else { continue }
            let order = dense.data.rowOrder ?? Array(0..<dense.data.outputCount)
            #expect(Array(order[dense.data.rows...]) == dense.data.constantOutputs.map(\.modelRow))
        }
        #expect(shifts.last.map { $0.order == nil } == true)
    }
}
