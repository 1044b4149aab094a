// GenModel/Reader/RawLayer.swift - A layer as written in model.json, before shapes are checked.

import GenSupport

/// A tensor as written: shape and row-major data, with the location of the tensor object.
package struct RawTensor: Sendable {
    package var shape: [Int]
    package var data: [Double]
    package var location: SourceLocation

    package init(shape: [Int], data: [Double], location: SourceLocation) {
        self.shape = shape
        self.data = data
        self.location = location
    }
}

/// How a convolution's padding was written.
package enum RawPadding: Sendable {
    case valid
    case same
    case explicit(top: Int, bottom: Int, left: Int, right: Int)
}

/// One entry of `layers`, typed but not yet checked against its neighbours.
package enum RawOp: Sendable {
    case dense(weights: RawTensor, bias: RawTensor?, activation: Activation)
    case conv2d(weights: RawTensor, bias: RawTensor?, stride: [Int], padding: RawPadding, activation: Activation)
    case maxPool2d(size: [Int], stride: [Int]?)
    case avgPool2d(size: [Int], stride: [Int]?)
    case batchnorm(gamma: RawTensor, beta: RawTensor, mean: RawTensor, variance: RawTensor, epsilon: Double)
    case flatten
    case activation(Activation)
    case softmax
}

package struct RawLayer: Sendable {
    package var name: String
    package var op: RawOp
    package var location: SourceLocation
    package var index: Int

    package init(name: String, op: RawOp, location: SourceLocation, index: Int) {
        self.name = name
        self.op = op
        self.location = location
        self.index = index
    }
}
