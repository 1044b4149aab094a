// GenDriver/TrainingSummary.swift - What fine-tuning did, for the report: accuracies before and after.

import GenLearn
import GenLowering
import GenModel
import GenSupport

/// Fine-tuning figures: float accuracy on the train and test splits before and after, and the
/// accuracy of the fixed-point program (the simulator, bit-exact with the C).
package struct TrainingSummary: Sendable {
    package var options: TrainingOptions
    package var history: [EpochStatistics]
    package var floatTrainBefore: Double?
    package var floatTestBefore: Double?
    package var floatTrain: Double?
    package var floatTest: Double?
    package var fixedPointTrain: Double?
    package var fixedPointTest: Double?
    /// How the masks were treated while training (the report's words).
    package var masks = "held fixed: pruned weights stay zero"
    /// DPP only: confidence and diversity of each layer's learned mask.
    package var maskMetrics: [MaskMetrics] = []
    private var data: DataFile

    init(options: TrainingOptions, history: [EpochStatistics], data: DataFile, before: Graph, after: Graph) {
        self.options = options
        self.history = history
        self.data = data
        floatTrainBefore = accuracy(of: before, on: data.train)
        floatTestBefore = data.test.flatMap { accuracy(of: before, on: $0) }
        floatTrain = accuracy(of: after, on: data.train)
        floatTest = data.test.flatMap { accuracy(of: after, on: $0) }
    }

    /// Runs the fixed-point program on both splits.
    mutating func measureFixedPoint(_ program: Program) {
        let simulator = FixedPointSimulator(program)
        func measure(_ set: Dataset) -> Double? {
            guard let labels = set.labels, !labels.isEmpty else { return nil }
            var correct = 0
            for (input, label) in zip(set.inputs, labels) {
                let output = simulator.run(simulator.quantizeInput(input))
                var best = 0
                for index in output.indices where output[index] > output[best] { best = index }
                if best == label { correct += 1 }
            }
            return Double(correct) / Double(labels.count)
        }
        fixedPointTrain = measure(data.train)
        fixedPointTest = data.test.flatMap(measure)
    }
}

/// `value` with `digits` decimals, locale-independent.
func fixed(_ value: Double, _ digits: Int) -> String {
    guard value.isFinite else { return "\(value)" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = Int((abs(value) * scale).rounded())
    let fraction = String(scaled % Int(scale))
    return (value < 0 ? "-" : "") + "\(scaled / Int(scale))." + String(repeating: "0", count: digits - fraction.count) + fraction
}
