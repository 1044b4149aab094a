// GenModelTests/NumpyArrayTests.swift - .npy arrays as numpy writes them: byte orders and memory orders.

import Foundation
import GenModel
import Testing

@Suite("NumpyArray: .npy as numpy.save writes it")
struct NumpyArrayTests {
    /// A version-1 .npy file of `payload` with the header numpy writes (padded to 64 bytes, newline last).
    static func npy(descr: String, fortran: Bool, shape: String, payload: [UInt8]) -> Data {
        var header = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': \(shape), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        let length = header.utf8.count
        return Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(length & 0xFF), UInt8(length >> 8)] + Array(header.utf8) + payload)
    }

    static func bytes(_ values: [Double], bigEndian: Bool) -> [UInt8] {
        values.flatMap { value -> [UInt8] in
            let bits = bigEndian ? Float(value).bitPattern.bigEndian : Float(value).bitPattern.littleEndian
            return withUnsafeBytes(of: bits) { Array($0) }
        }
    }

    @Test("C order, little-endian: the values as stored")
    func plain() throws {
        let array = try NumpyArray.parse(Self.npy(descr: "<f4", fortran: false, shape: "(2, 3)", payload: Self.bytes([1, 2, 3, 4, 5, 6], bigEndian: false)))
        #expect(array.shape == [2, 3] && array.values == [1, 2, 3, 4, 5, 6])
    }

    @Test("big-endian floats (numpy's '>f4') read as the same numbers")
    func bigEndian() throws {
        let array = try NumpyArray.parse(Self.npy(descr: ">f4", fortran: false, shape: "(2, 3)", payload: Self.bytes([1, -2.5, 3, 4, 5, 0.125], bigEndian: true)))
        #expect(array.values == [1, -2.5, 3, 4, 5, 0.125])
    }

    @Test("Fortran order (numpy.asfortranarray) comes out in C order, for 2 and 3 axes")
    func fortranOrder() throws {
        // [[1, 2, 3], [4, 5, 6]] stored column by column.
        let matrix = try NumpyArray.parse(Self.npy(descr: "<f4", fortran: true, shape: "(2, 3)", payload: Self.bytes([1, 4, 2, 5, 3, 6], bigEndian: false)))
        #expect(matrix.shape == [2, 3] && matrix.values == [1, 2, 3, 4, 5, 6])
        // a[i][j][k] = 100 i + 10 j + k for shape (2, 3, 2), stored with i fastest, then j, then k.
        var stored: [Double] = []
        for k in 0..<2 { for j in 0..<3 { for i in 0..<2 { stored.append(Double(100 * i + 10 * j + k)) } } }
        let cube = try NumpyArray.parse(Self.npy(descr: "<f4", fortran: true, shape: "(2, 3, 2)", payload: Self.bytes(stored, bigEndian: false)))
        var expected: [Double] = []
        for i in 0..<2 { for j in 0..<3 { for k in 0..<2 { expected.append(Double(100 * i + 10 * j + k)) } } }
        #expect(cube.values == expected)
    }

    @Test("an unknown dtype is refused with what is expected")
    func unknownType() {
        #expect(throws: NumpyFormatError.self) {
            try NumpyArray.parse(Self.npy(descr: "<c8", fortran: false, shape: "(1,)", payload: Array(repeating: 0, count: 8)))
        }
    }
}
