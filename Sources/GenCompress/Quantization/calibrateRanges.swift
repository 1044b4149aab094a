// GenCompress/Quantization/calibrateRanges.swift - Measures the largest |value| at every layer output.

import GenModel
import GenSupport

/// Runs the float graph on `samples` and returns, per layer, the largest absolute output seen.
package func calibrateRanges(_ graph: Graph, samples: [[Double]]) -> [Double] {
    var maxima = [Double](repeating: 0, count: graph.layers.count)
    let effective = graph.withMasksApplied()
    for sample in samples {
        let outputs = FloatExecutor.activations(of: effective, input: sample)
        for (index, output) in outputs.enumerated() {
            for value in output { maxima[index] = max(maxima[index], abs(value)) }
        }
    }
    return maxima
}

/// Calibration samples when no data is given: `count` inputs drawn uniformly from `input.range`
/// with the run's seed, plus the two corners (all-low, all-high).
package func syntheticCalibrationSamples(_ graph: Graph, count: Int, seed: UInt64) -> [[Double]] {
    var generator = SeededGenerator(seed: seed)
    let (low, high) = graph.inputRange
    var samples = [
        [Double](repeating: low, count: graph.inputSize), [Double](repeating: high, count: graph.inputSize),
    ]
    for _ in 0..<count {
        samples.append((0..<graph.inputSize).map { _ in generator.uniform(low, high) })
    }
    return samples
}
