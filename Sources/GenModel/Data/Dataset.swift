// GenModel/Data/Dataset.swift - Input samples (and labels) for calibration, training and testing.

/// Samples of one split, flattened to the model's input size, with optional class labels.
package struct Dataset: Sendable {
    package var inputs: [[Double]]
    package var labels: [Int]?

    package init(inputs: [[Double]], labels: [Int]?) {
        self.inputs = inputs
        self.labels = labels
    }

    package var count: Int { inputs.count }
}

/// A data file's splits: `train` (`x_train` or `x`) and an optional `test`.
package struct DataFile: Sendable {
    package var train: Dataset
    package var test: Dataset?
}
