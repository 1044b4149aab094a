// GenLearnTests/AugmentationTests.swift - The training-time warp and noise: exact maps, statistics, seeds.

import Foundation
import GenSupport
import Testing

@testable import GenLearn

@Suite("Augmentation")
struct AugmentationTests {
    /// A 2-channel 3x4 image with distinct values.
    static let image: [Double] = (0..<24).map { Double($0 + 1) }

    static func geometry() -> Augmentation {
        var augmentation = Augmentation()
        (augmentation.channels, augmentation.height, augmentation.width) = (2, 3, 4)
        return augmentation
    }

    @Test("the identity map returns the image; a one-pixel shift moves it and fills zeros")
    func shifts() {
        let augmentation = Self.geometry()
        var out = [Double](repeating: -1, count: 24)
        augmentation.warp(Self.image, from: 0, into: &out, map: InverseMap(a: 1, b: 0, c: 0, d: 1, ty: 0, tx: 0))
        #expect(out == Self.image)
        // Each output pixel samples the source one row down: rows move up, the last row is outside.
        augmentation.warp(Self.image, from: 0, into: &out, map: InverseMap(a: 1, b: 0, c: 0, d: 1, ty: 1, tx: 0))
        #expect(out == [5, 6, 7, 8, 9, 10, 11, 12, 0, 0, 0, 0, 17, 18, 19, 20, 21, 22, 23, 24, 0, 0, 0, 0])
        // Half a pixel to the right: bilinear mean of neighbours, the last column half outside.
        augmentation.warp(Self.image, from: 0, into: &out, map: InverseMap(a: 1, b: 0, c: 0, d: 1, ty: 0, tx: 0.5))
        #expect(out[0..<4] == [1.5, 2.5, 3.5, 2])
    }

    @Test("a quarter turn about the centre of a square image rotates it exactly")
    func quarterTurn() {
        var augmentation = Augmentation()
        (augmentation.height, augmentation.width) = (3, 3)
        let square: [Double] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
        var out = [Double](repeating: 0, count: 9)
        // Output (y, x) samples source (x, -y): the image turned a quarter anticlockwise.
        augmentation.warp(square, from: 0, into: &out, map: InverseMap(a: 0, b: 1, c: -1, d: 0, ty: 0, tx: 0))
        #expect(out.map { $0.rounded() } == [3, 6, 9, 2, 5, 8, 1, 4, 7])
    }

    @Test("noise has the asked standard deviation and mean zero; a warp keeps the pixel sum near")
    func statistics() {
        var augmentation = Augmentation()
        (augmentation.height, augmentation.width, augmentation.noise) = (1, 1000, 0.2)
        var batch = [Double](repeating: 0, count: 20_000)
        var generator = SeededGenerator(seed: 7)
        augmentation.apply(to: &batch, samples: 20, generator: &generator)
        let mean = batch.reduce(0, +) / Double(batch.count)
        let deviation = (batch.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(batch.count)).squareRoot()
        #expect(abs(mean) < 0.01)
        #expect(abs(deviation - 0.2) < 0.01)

        var warp = Augmentation()
        (warp.height, warp.width, warp.rotationDegrees, warp.scale, warp.shift) = (16, 16, 10, 0.1, 0.5)
        // A blob well inside the image keeps about its mass under small warps.
        var blob = [Double](repeating: 0, count: 256)
        for y in 6..<10 { for x in 6..<10 { blob[y * 16 + x] = 1 } }
        var warped = blob + blob + blob
        warp.apply(to: &warped, samples: 3, generator: &generator)
        for sample in 0..<3 {
            let mass = warped[sample * 256..<(sample + 1) * 256].reduce(0, +)
            #expect(mass > 16 * 0.75 && mass < 16 * 1.3, "mass \(mass)")
        }
        #expect(warped[0..<256] != warped[256..<512], "two images got the same warp")
    }

    @Test("the same seed gives the same batch, another seed another")
    func seeded() {
        var augmentation = Self.geometry()
        (augmentation.rotationDegrees, augmentation.shear, augmentation.noise) = (10, 0.1, 0.1)
        func run(_ seed: UInt64) -> [Double] {
            var batch = Self.image + Self.image
            var generator = SeededGenerator(seed: seed)
            augmentation.apply(to: &batch, samples: 2, generator: &generator)
            return batch
        }
        #expect(run(3) == run(3))
        #expect(run(3) != run(4))
    }
}
