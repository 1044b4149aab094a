// GenONNX/ONNXTensors.swift - Values of ONNX initializers and attributes.

import Foundation

/// ONNX TensorProto.DataType codes used here.
enum ONNXDataType: Int32 {
    case float = 1, int32 = 6, int64 = 7, double = 11
}

extension Onnx_TensorProto {
    /// The values as doubles for FLOAT and DOUBLE tensors (raw little-endian bytes or typed fields).
    var doubles: [Double]? {
        switch ONNXDataType(rawValue: dataType) {
        case .float:
            if !rawData.isEmpty {
                guard rawData.count % 4 == 0 else { return nil }
                return stride(from: 0, to: rawData.count, by: 4).map { offset in
                    let bits = rawData[rawData.startIndex + offset..<rawData.startIndex + offset + 4]
                        .enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
                    return Double(Float(bitPattern: bits))
                }
            }
            return floatData.map(Double.init)
        case .double:
            if !rawData.isEmpty {
                guard rawData.count % 8 == 0 else { return nil }
                return stride(from: 0, to: rawData.count, by: 8).map { offset in
                    let bits = rawData[rawData.startIndex + offset..<rawData.startIndex + offset + 8]
                        .enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
                    return Double(bitPattern: bits)
                }
            }
            return doubleData
        case .int32, .int64, nil:
            return nil
        }
    }

    /// The values of INT64 (or INT32) tensors, e.g. a Reshape target shape.
    var integers: [Int64]? {
        switch ONNXDataType(rawValue: dataType) {
        case .int64:
            if !rawData.isEmpty {
                guard rawData.count % 8 == 0 else { return nil }
                return stride(from: 0, to: rawData.count, by: 8).map { offset in
                    Int64(bitPattern: rawData[rawData.startIndex + offset..<rawData.startIndex + offset + 8]
                        .enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
                }
            }
            return int64Data
        case .int32:
            return int32Data.map(Int64.init)
        case .float, .double, nil:
            return nil
        }
    }
}

/// A node's attributes by name, with the ONNX defaults supplied by the caller.
struct ONNXAttributes {
    private let byName: [String: Onnx_AttributeProto]

    init(_ node: Onnx_NodeProto) {
        byName = Dictionary(node.attribute.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    var names: [String] { byName.keys.sorted() }

    func ints(_ name: String) -> [Int]? { byName[name].map { $0.ints.map { Int($0) } } }
    func int(_ name: String) -> Int? { byName[name].map { Int($0.i) } }
    func float(_ name: String) -> Double? { byName[name].map { Double($0.f) } }
    func string(_ name: String) -> String? { byName[name].map { String(decoding: $0.s, as: UTF8.self) } }
}
