// GenModel/Graph/Graph.swift - The typed network every later stage works on.

import GenSupport

/// A fused or standalone activation function.
package enum Activation: String, Sendable, CaseIterable {
    case none, relu, relu6

    /// The activation equal to applying `self`, then `next`.
    package func followed(by next: Activation) -> Activation {
        switch (self, next) {
        case (.none, _): return next
        case (_, .none): return self
        case (.relu6, _), (_, .relu6): return .relu6
        case (.relu, .relu): return .relu
        }
    }

    package func apply(_ value: Double) -> Double {
        switch self {
        case .none: return value
        case .relu: return max(value, 0)
        case .relu6: return min(max(value, 0), 6)
        }
    }
}

/// Which of each output unit's weights survive pruning, in the k-of-n structure the target needs.
package struct KeepMask: Sendable, Equatable {
    /// Weights kept per full group.
    package var k: Int
    /// Group length along the fan-in (already resolved: `--n 0` becomes the whole fan-in).
    package var n: Int
    /// `rows × fanIn`, row-major; true where a weight is kept.
    package var kept: [Bool]
    /// Weights per selectable unit: 1 at weight granularity, kh·kw at kernel granularity, where k
    /// and n count input-channel kernels and a kernel is kept or dropped whole.
    package var unit: Int
    /// DARB: each row's block size s (a power of two dividing the fan-in); the row keeps exactly one
    /// weight per block of s. `k` is then 1 and `n` the largest block size. nil for k-of-n.
    package var rowBlocks: [Int]?
    /// Vector-wise k-of-n (`--kofn-rows`): every `rowsPerSet` consecutive rows (the last set may be
    /// shorter) keep the same positions, so one index set serves them all; 1 when each row has its own.
    package var rowsPerSet: Int

    package init(k: Int, n: Int, kept: [Bool], unit: Int = 1, rowBlocks: [Int]? = nil, rowsPerSet: Int = 1) {
        self.k = k
        self.n = n
        self.kept = kept
        self.unit = unit
        self.rowBlocks = rowBlocks
        self.rowsPerSet = rowsPerSet
    }

    /// Weights kept in each row: k per full group plus min(k, r) in a last partial group of r
    /// (`n == 0` is one group spanning the fan-in).
    package static func keptPerRow(fanIn: Int, k: Int, n: Int) -> Int {
        let group = n == 0 ? fanIn : n
        guard group > 0 else { return 0 }
        return (fanIn / group) * k + min(k, fanIn % group)
    }
}

/// A fully connected layer: `y = act(W x + b)` with `W` of shape `[out, in]`.
package struct DenseLayer: Sendable {
    package var inputs: Int
    package var outputs: Int
    package var weights: [Double]
    package var bias: [Double]
    package var activation: Activation
    package var mask: KeepMask?

    package init(
        inputs: Int, outputs: Int, weights: [Double], bias: [Double], activation: Activation, mask: KeepMask? = nil
    ) {
        self.inputs = inputs
        self.outputs = outputs
        self.weights = weights
        self.bias = bias
        self.activation = activation
        self.mask = mask
    }
}

/// A 2-D convolution over `[C, H, W]` with weights `[outC, inC, kh, kw]` and explicit padding.
package struct Conv2DLayer: Sendable {
    package var inChannels: Int
    package var outChannels: Int
    package var kernel: (h: Int, w: Int)
    package var stride: (h: Int, w: Int)
    /// Zero padding (top, bottom, left, right), resolved from "valid" / "same" / explicit.
    package var padding: (top: Int, bottom: Int, left: Int, right: Int)
    package var weights: [Double]
    package var bias: [Double]
    package var activation: Activation
    package var mask: KeepMask?

    package init(
        inChannels: Int, outChannels: Int, kernel: (h: Int, w: Int), stride: (h: Int, w: Int),
        padding: (top: Int, bottom: Int, left: Int, right: Int), weights: [Double], bias: [Double],
        activation: Activation, mask: KeepMask? = nil
    ) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.weights = weights
        self.bias = bias
        self.activation = activation
        self.mask = mask
    }

    package var fanIn: Int { inChannels * kernel.h * kernel.w }
}

/// Max or average pooling with valid padding.
package struct Pool2DLayer: Sendable {
    package var size: (h: Int, w: Int)
    package var stride: (h: Int, w: Int)
}

/// The closed set of operations after loading (batchnorm is folded away by then).
package enum Op: Sendable {
    case dense(DenseLayer)
    case conv2d(Conv2DLayer)
    case maxPool2d(Pool2DLayer)
    case avgPool2d(Pool2DLayer)
    case flatten
    /// A standalone activation that could not be fused into its producer.
    case activation(Activation)
    /// Only as the last layer; the fixed-point program stops before it.
    case softmax

    package var typeName: String {
        switch self {
        case .dense: return "dense"
        case .conv2d: return "conv2d"
        case .maxPool2d: return "maxpool2d"
        case .avgPool2d: return "avgpool2d"
        case .flatten: return "flatten"
        case .activation(let activation): return activation == .relu6 ? "relu6" : "relu"
        case .softmax: return "softmax"
        }
    }
}

extension Op {
    /// A dense or conv2d layer's weights as a `rows × fanIn` row-major matrix (rows: output units or
    /// channels; fan-in: `in` or `in_ch·kh·kw`); nil for layers without weights.
    /// A dense/conv2d layer's bias (one per output channel); nil for other layers.
    package var bias: [Double]? {
        switch self {
        case .dense(let dense): return dense.bias
        case .conv2d(let conv): return conv.bias
        case .maxPool2d, .avgPool2d, .flatten, .activation, .softmax: return nil
        }
    }

    package var weightMatrix: (weights: [Double], rows: Int, fanIn: Int)? {
        switch self {
        case .dense(let dense): return (dense.weights, dense.outputs, dense.inputs)
        case .conv2d(let conv): return (conv.weights, conv.outChannels, conv.fanIn)
        case .maxPool2d, .avgPool2d, .flatten, .activation, .softmax: return nil
        }
    }
}

/// One layer with its inferred shapes and where it was declared.
package struct Layer: Sendable {
    package var name: String
    package var op: Op
    package var inputShape: [Int]
    package var outputShape: [Int]
    package var origin: SourceLocation
    /// Names of source layers folded into this one (e.g. a batchnorm), for reports.
    package var folded: [String] = []
    /// Filter granularity: the output channels this layer had before compaction (nil if not compacted).
    package var channelsBeforeCompaction: Int?
    /// Filter pruning: the layer's weight count before its filters or its inputs were compacted away
    /// (what its sparsity is measured against).
    package var weightsBeforeCompaction: Int?
    /// EDP: set on the layers a decomposed dense/conv2d layer became (for reports).
    package var decomposition: LayerDecomposition?
}

/// Where a layer came from when EDP decomposed a dense/conv2d layer into basis × coefficients.
package struct LayerDecomposition: Sendable, Equatable {
    package enum Role: String, Sendable {
        /// `c_in → r` (the source's kernel, stride and padding; no activation).
        case basis
        /// `r → c_out` (1×1 for conv2d), with the source's bias and activation.
        case coefficients
        /// The pair multiplied back into one layer because the factored form was not smaller.
        case merged
    }

    package var role: Role
    /// The decomposed layer's name in the model as read.
    package var source: String
    /// Basis channels kept (the rank of the pair) and the source's full rank min(c_out, fan-in).
    package var rank: Int
    package var fullRank: Int
    /// The source layer's weight count (what compression is measured against) on basis and merged
    /// layers; 0 on coefficient layers, so that a pair counts its source once.
    package var sourceWeights: Int

    package init(role: Role, source: String, rank: Int, fullRank: Int, sourceWeights: Int) {
        self.role = role
        self.source = source
        self.rank = rank
        self.fullRank = fullRank
        self.sourceWeights = sourceWeights
    }
}

/// A feed-forward network: an input and an ordered list of layers with inferred shapes.
package struct Graph: Sendable {
    package var name: String
    package var inputShape: [Int]
    package var inputRange: (low: Double, high: Double)
    package var layers: [Layer]
    package var labels: [String]?
    package var metadata: JSONValue?
    package var origin: SourceLocation

    package var inputSize: Int { inputShape.reduce(1, *) }
    package var outputShape: [Int] { layers.last?.outputShape ?? inputShape }
    package var outputSize: Int { outputShape.reduce(1, *) }
    package var endsWithSoftmax: Bool {
        if case .softmax = layers.last?.op { return true }
        return false
    }
}

extension Graph {
    /// Replaces the weights and/or the bias of dense/conv2d layer `index` (other layers have none).
    package mutating func setParameters(ofLayer index: Int, weights: [Double]? = nil, bias: [Double]? = nil) {
        switch layers[index].op {
        case .dense(var dense):
            if let weights { dense.weights = weights }
            if let bias { dense.bias = bias }
            layers[index].op = .dense(dense)
        case .conv2d(var conv):
            if let weights { conv.weights = weights }
            if let bias { conv.bias = bias }
            layers[index].op = .conv2d(conv)
        case .maxPool2d, .avgPool2d, .flatten, .activation, .softmax:
            return
        }
    }

    /// The same weights with every mask dropped (pruned weights keep whatever value they hold).
    package func withMasksRemoved() -> Graph {
        var copy = self
        for index in copy.layers.indices {
            switch copy.layers[index].op {
            case .dense(var dense):
                dense.mask = nil
                copy.layers[index].op = .dense(dense)
            case .conv2d(var conv):
                conv.mask = nil
                copy.layers[index].op = .conv2d(conv)
            case .maxPool2d, .avgPool2d, .flatten, .activation, .softmax:
                break
            }
        }
        return copy
    }

    /// The same function with pruned weights set to zero and masks dropped: cheaper to execute.
    package func withMasksApplied() -> Graph {
        var copy = self
        for index in copy.layers.indices {
            switch copy.layers[index].op {
            case .dense(var dense):
                if let mask = dense.mask {
                    for i in dense.weights.indices where !mask.kept[i] { dense.weights[i] = 0 }
                    dense.mask = nil
                }
                copy.layers[index].op = .dense(dense)
            case .conv2d(var conv):
                if let mask = conv.mask {
                    for i in conv.weights.indices where !mask.kept[i] { conv.weights[i] = 0 }
                    conv.mask = nil
                }
                copy.layers[index].op = .conv2d(conv)
            case .maxPool2d, .avgPool2d, .flatten, .activation, .softmax:
                break
            }
        }
        return copy
    }
}
