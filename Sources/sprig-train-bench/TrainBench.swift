// sprig-train-bench/TrainBench.swift - Training throughput of the engine on a LeNet-300-100-shaped MLP.
//
// Run through Scripts/bench_train.py, which times a plain numpy implementation of the same loop in
// the same run. Arguments: SAMPLES EPOCHS [gsl|openblas]. Prints one JSON line:
// {"samples_per_second": ..., "seconds": ..., "final_loss": ...}.

import Foundation
import GenLearn
import GenModel
import GenSupport

@main
enum TrainBench {
    static func main() {
        let arguments = CommandLine.arguments
        let samples = arguments.count > 1 ? Int(arguments[1]) ?? 2048 : 2048
        let epochs = arguments.count > 2 ? Int(arguments[2]) ?? 2 : 2
        var generator = SeededGenerator(seed: 5)
        func tensor(_ shape: [Int]) -> JSONValue {
            let scale = (2.0 / Double(shape.last!)).squareRoot()
            let data = (0..<shape.reduce(1, *)).map { _ in shape.count == 1 ? 0 : generator.uniform(-scale, scale) }
            return .obj([("shape", .ints(shape)), ("data", .numbers(data))])
        }
        func dense(_ inputs: Int, _ outputs: Int, _ activation: String) -> JSONValue {
            .obj([
                ("type", .str("dense")), ("activation", .str(activation)), ("weights", tensor([outputs, inputs])),
                ("bias", tensor([outputs])),
            ])
        }
        let text = JSONWriter.write(.obj([
            ("version", .int(1)), ("name", .str("lenet_300_100")), ("input", .obj([("shape", .ints([784]))])),
            ("layers", .arr([dense(784, 300, "relu"), dense(300, 100, "relu"), dense(100, 10, "none")])),
        ]))
        guard let graph = try? loadModel(file: "lenet.json", bytes: Array(text.utf8), diagnostics: DiagnosticEngine())
        else { fatalError("the benchmark model does not load") }
        // Random data with a learnable rule: the label is the argmax of ten fixed projections.
        let inputs = (0..<samples).map { _ in (0..<784).map { _ in generator.nextUnit() } }
        let labels = inputs.map { x in (0..<10).max { a, b in x[a * 78] < x[b * 78] } ?? 0 }
        var options = TrainingOptions(epochs: epochs, seed: 1)
        options.batchSize = 64
        if arguments.count > 3 && arguments[3] == "openblas" {
            guard let openBLAS = MatrixMultiply.loadOpenBLAS() else { fatalError("libopenblas.so.0 is not installed") }
            options.matrixMultiply = openBLAS
        }
        let start = Date()
        let result = train(graph, on: Dataset(inputs: inputs, labels: labels), options: options)
        let seconds = Date().timeIntervalSince(start)
        let loss = result.history.last?.loss ?? .nan
        print("{\"samples_per_second\": \(Double(samples * epochs) / seconds), \"seconds\": \(seconds), \"final_loss\": \(loss)}")
    }
}
