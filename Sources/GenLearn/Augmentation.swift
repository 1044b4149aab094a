// GenLearn/Augmentation.swift - Training-time augmentation of image batches: affine warp, pixel noise.

import Foundation
import GenSupport

/// How each training image is perturbed at every step (`--augment`). Small data sets such as the
/// digits split (1258 images) overfit without it: the bundled examples were trained with it, and
/// fine-tuning them without it loses points that the pruning did not cost.
package struct Augmentation: Sendable, Equatable {
    /// Uniform ranges of the random affine warp: rotation ±degrees, scale 1 ± scale, shear ± shear,
    /// translation ± shift pixels (per axis). All zero: no warp.
    package var rotationDegrees = 0.0
    package var scale = 0.0
    package var shear = 0.0
    package var shift = 0.0
    /// Standard deviation of the Gaussian noise added to every input value after the warp.
    package var noise = 0.0
    /// The image the flat input holds: channels-first, row-major.
    package var channels = 1
    package var height = 0
    package var width = 0

    package init() {}

    package var warps: Bool { rotationDegrees != 0 || scale != 0 || shear != 0 || shift != 0 }

    /// Perturbs `batch` (`samples` inputs of channels × height × width values, one after another) in
    /// place: per image one random warp, sampled bilinearly (zero outside the image) for every channel,
    /// then noise. Draws only from `generator`, so a seed fixes the result.
    package func apply(to batch: inout [Double], samples: Int, generator: inout SeededGenerator) {
        let size = channels * height * width
        precondition(batch.count == samples * size, "augmentation: batch does not hold \(samples) images of \(size) values")
        var warped = [Double](repeating: 0, count: size)
        for sample in 0..<samples {
            let base = sample * size
            if warps {
                let map = randomInverseMap(&generator)
                warp(batch, from: base, into: &warped, map: map)
                batch.replaceSubrange(base..<base + size, with: warped)
            }
            if noise > 0 {
                for index in base..<base + size { batch[index] += noise * generator.standardNormal() }
            }
        }
    }

    /// A random map: the inverse of rotation θ and scale s, plus shear, plus translation.
    private func randomInverseMap(_ generator: inout SeededGenerator) -> InverseMap {
        let theta = generator.uniform(-rotationDegrees, rotationDegrees) * Double.pi / 180
        let s = generator.uniform(1 - scale, 1 + scale)
        let sh = generator.uniform(-shear, shear)
        let ty = generator.uniform(-shift, shift)
        let tx = generator.uniform(-shift, shift)
        let (cosine, sine) = (cos(theta), sin(theta))
        return InverseMap(a: cosine / s, b: -sine / s + sh, c: sine / s, d: cosine / s, ty: ty, tx: tx)
    }

    /// Writes into `out` the image at `batch[base...]` resampled through `map`, every channel alike.
    func warp(_ batch: [Double], from base: Int, into out: inout [Double], map: InverseMap) {
        let centreY = Double(height - 1) / 2
        let centreX = Double(width - 1) / 2
        let plane = height * width
        for row in 0..<height {
            for column in 0..<width {
                let (y, x) = (Double(row) - centreY, Double(column) - centreX)
                let sourceY = map.a * y + map.b * x + map.ty + centreY
                let sourceX = map.c * y + map.d * x + map.tx + centreX
                let (y0, x0) = (sourceY.rounded(.down), sourceX.rounded(.down))
                let (fy, fx) = (sourceY - y0, sourceX - x0)
                let corners = [(0, 0, (1 - fy) * (1 - fx)), (0, 1, (1 - fy) * fx), (1, 0, fy * (1 - fx)), (1, 1, fy * fx)]
                for channel in 0..<channels {
                    var value = 0.0
                    for (dy, dx, weight) in corners {
                        let (sy, sx) = (Int(y0) + dy, Int(x0) + dx)
                        guard sy >= 0, sy < height, sx >= 0, sx < width else { continue }
                        value += weight * batch[base + channel * plane + sy * width + sx]
                    }
                    out[channel * plane + row * width + column] = value
                }
            }
        }
    }
}

/// Where an output pixel (y, x), relative to the image centre, samples its source:
/// (a·y + b·x + ty, c·y + d·x + tx), relative to the centre too.
struct InverseMap {
    var a, b, c, d, ty, tx: Double
}
