// GenModel/Data/NumpyArray.swift - Parses one `.npy` array (format versions 1-3) into doubles.

import Foundation
import GenSupport

/// A NumPy array read from `.npy` bytes: its shape and its values as doubles.
package struct NumpyArray: Sendable {
    package enum ElementType: String, Sendable {
        case float32 = "f4", float64 = "f8", uint8 = "u1", int8 = "i1", int16 = "i2", int32 = "i4", int64 = "i8"
        case uint16 = "u2", uint32 = "u4", uint64 = "u8"

        var byteCount: Int {
            switch self {
            case .uint8, .int8: return 1
            case .int16, .uint16: return 2
            case .float32, .int32, .uint32: return 4
            case .float64, .int64, .uint64: return 8
            }
        }
    }

    package var shape: [Int]
    package var elementType: ElementType
    package var values: [Double]

    /// Reads `.npy` bytes; the message of the thrown error says what was wrong.
    package static func parse(_ data: Data) throws(NumpyFormatError) -> NumpyArray {
        let bytes = [UInt8](data)
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw NumpyFormatError("not a .npy array (bad magic)")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw NumpyFormatError("truncated .npy header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw NumpyFormatError("unsupported .npy format version \(major)")
        }
        guard headerStart + headerLength <= bytes.count,
            let header = String(bytes: bytes[headerStart..<headerStart + headerLength], encoding: .utf8)
        else { throw NumpyFormatError("truncated .npy header") }
        let descr = try headerField(header, "descr")
        let fortran = try headerField(header, "fortran_order")
        let shapeText = try headerField(header, "shape")
        guard fortran.hasPrefix("False") || fortran.hasPrefix("True") else { throw NumpyFormatError("bad 'fortran_order' in header") }
        let columnMajor = fortran.hasPrefix("True")
        let cleaned = descr.trimmingCharacters(in: CharacterSet(charactersIn: "'\" "))
        // numpy.savez writes the machine's byte order ('<' here, '>' from a big-endian machine or an
        // explicit '>f4'); '|' and '=' are single bytes and native order.
        guard cleaned.count == 3, let order = cleaned.first, order == "<" || order == ">" || order == "|" || order == "=",
            let type = ElementType(rawValue: String(cleaned.dropFirst()))
        else { throw NumpyFormatError("unsupported dtype \(cleaned); expected floats or integers") }
        let bigEndian = order == ">"
        let inner = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
        var shape: [Int] = []
        for part in inner.split(separator: ",") {
            let text = part.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            guard let dim = Int(text), dim >= 0 else { throw NumpyFormatError("bad shape \(shapeText)") }
            shape.append(dim)
        }
        let start = headerStart + headerLength
        guard let count = checkedProduct(shape), count <= maximumTensorElements else {
            throw NumpyFormatError("shape \(shape) has more than \(maximumTensorElements) elements")
        }
        guard count <= (bytes.count - start) / type.byteCount, bytes.count - start == count * type.byteCount
        else {
            throw NumpyFormatError("array data has \(bytes.count - start) bytes, expected \(count) × \(type.byteCount)")
        }
        var values = [Double](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            let base = raw.baseAddress! + start
            func word<T: FixedWidthInteger>(_ p: UnsafeRawPointer, _: T.Type) -> T {
                let stored = p.loadUnaligned(as: T.self)
                return bigEndian ? T(bigEndian: stored) : T(littleEndian: stored)
            }
            for index in 0..<count {
                let p = base + index * type.byteCount
                switch type {
                case .float32: values[index] = Double(Float(bitPattern: word(p, UInt32.self)))
                case .float64: values[index] = Double(bitPattern: word(p, UInt64.self))
                case .uint8: values[index] = Double(p.load(as: UInt8.self))
                case .int8: values[index] = Double(p.load(as: Int8.self))
                case .int16: values[index] = Double(word(p, Int16.self))
                case .uint16: values[index] = Double(word(p, UInt16.self))
                case .int32: values[index] = Double(word(p, Int32.self))
                case .uint32: values[index] = Double(word(p, UInt32.self))
                case .int64: values[index] = Double(word(p, Int64.self))
                case .uint64: values[index] = Double(word(p, UInt64.self))
                }
            }
        }
        if columnMajor && shape.count > 1 { values = rowMajor(values, shape: shape) }
        return NumpyArray(shape: shape, elementType: type, values: values)
    }

    /// The values of a Fortran-ordered (column-major: first index fastest) array in C order.
    private static func rowMajor(_ values: [Double], shape: [Int]) -> [Double] {
        var strides = [Int](repeating: 1, count: shape.count)
        for axis in stride(from: shape.count - 2, through: 0, by: -1) { strides[axis] = strides[axis + 1] * shape[axis + 1] }
        var out = [Double](repeating: 0, count: values.count)
        var index = [Int](repeating: 0, count: shape.count)
        for value in values {
            out[zip(index, strides).reduce(0) { $0 + $1.0 * $1.1 }] = value
            for axis in shape.indices {
                index[axis] += 1
                if index[axis] < shape[axis] { break }
                index[axis] = 0
            }
        }
        return out
    }

    private static func headerField(_ header: String, _ key: String) throws(NumpyFormatError) -> String {
        guard let range = header.range(of: "'\(key)':") else { throw NumpyFormatError("header has no '\(key)'") }
        let rest = header[range.upperBound...].drop { $0 == " " }
        if rest.hasPrefix("(") {
            guard let close = rest.firstIndex(of: ")") else { throw NumpyFormatError("bad '\(key)' in header") }
            return String(rest[...close])
        }
        let end = rest.firstIndex { $0 == "," || $0 == "}" } ?? rest.endIndex
        return String(rest[..<end])
    }
}

package struct NumpyFormatError: Error, Sendable {
    package var message: String
    package init(_ message: String) { self.message = message }
}
