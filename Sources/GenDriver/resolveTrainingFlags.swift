// GenDriver/resolveTrainingFlags.swift - Checks the training flags: --augment, --learning-rate, --blas.

import GenLearn
import GenSupport

/// `--learning-rate`, `--blas`, `--augment` and `--distill`, each needing --data; problems go to `flagError`.
func resolveTrainingFlags(_ options: GenerateOptions, flagError: (String) -> Void)
    -> (augmentation: Augmentation?, matrixMultiply: MatrixMultiply, distillation: DistillationSettings?)
{
    if let rate = options.learningRate {
        if !(rate > 0 && rate <= 1) { flagError("--learning-rate: expected a number greater than 0 and at most 1, found \(rate)") }
        if options.dataPath == nil || options.epochs == 0 {
            flagError("--learning-rate: needs --data and --epochs > 0 (it sets how fast training moves)")
        }
    }
    var matrixMultiply = MatrixMultiply.gsl
    if let blas = options.blas {
        if options.dataPath == nil || options.epochs == 0 {
            flagError("--blas: needs --data and --epochs > 0 (it runs training's matrix products)")
        }
        switch MatrixMultiply.Implementation(rawValue: blas) {
        case .gsl?: break
        case .openblas?:
            if let openBLAS = MatrixMultiply.loadOpenBLAS() {
                matrixMultiply = openBLAS
            } else {
                flagError("--blas openblas: cannot load libopenblas.so.0; install Debian's libopenblas0-serial (or -pthread), or use --blas gsl")
            }
        case nil: flagError("--blas: expected 'gsl' or 'openblas', found '\(blas)'")
        }
    }
    let augmentation = options.augment.flatMap { parseAugmentation($0, options: options, flagError: flagError) }
    return (augmentation, matrixMultiply, resolveDistillation(options, flagError: flagError))
}

/// `--distill-temperature` when not given (for gen's help).
package let defaultDistillationTemperature = DistillationSettings.defaultTemperature

/// `--distill W` and `--distill-temperature T`: W in (0, 1], T in [0.1, 100] (below, the soft term
/// is a hard argmax and teaches nothing the labels do not); both need training.
func resolveDistillation(_ options: GenerateOptions, flagError: (String) -> Void) -> DistillationSettings? {
    if let temperature = options.distillTemperature {
        if !(temperature >= 0.1 && temperature <= 100) {
            flagError("--distill-temperature: expected a number from 0.1 to 100, found \(temperature)")
        }
        if options.distill == nil {
            flagError("--distill-temperature: needs --distill W (the temperature of its soft term)")
        }
    }
    guard let weight = options.distill else { return nil }
    if !(weight > 0 && weight <= 1) {
        flagError("--distill: expected the soft term's weight, above 0 and at most 1, found \(weight)")
    }
    if options.dataPath == nil || options.epochs == 0 {
        flagError("--distill: needs --data and --epochs > 0 (the model as read teaches the pruned one while it trains)")
    }
    return DistillationSettings(weight: weight, temperature: options.distillTemperature ?? DistillationSettings.defaultTemperature)
}

/// `--augment SPEC`: comma-separated `key=value` settings, or `none`:
/// `rotate` (± degrees), `scale` (1 ± fraction), `shear` (± fraction), `shift` (± pixels) for the
/// random affine warp, `noise` (standard deviation added to every input value) and `image` (`HxW`
/// or `CxHxW`, the geometry of a flat input; a [C, H, W] or [H, W] input carries its own).
func parseAugmentation(_ text: String, options: GenerateOptions, flagError: (String) -> Void) -> Augmentation? {
    if options.dataPath == nil || options.epochs == 0 {
        flagError("--augment: needs --data and --epochs > 0 (it perturbs the training images)")
    }
    if text == "none" { return nil }
    var augmentation = Augmentation()
    var seen = Set<String>()
    for item in text.split(separator: ",", omittingEmptySubsequences: false) {
        let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty else {
            flagError("--augment: expected key=value items separated by commas (keys rotate, scale, shear, shift, noise, image) or 'none', found '\(item)'")
            continue
        }
        let (key, value) = (parts[0], parts[1])
        if !seen.insert(key).inserted { flagError("--augment: '\(key)' given twice") }
        if key == "image" {
            let sides = value.split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
            guard sides.count == 2 || sides.count == 3, sides.allSatisfy({ ($0 ?? 0) >= 1 && ($0 ?? 0) <= 65536 }) else {
                flagError("--augment: image expected HxW or CxHxW with whole numbers from 1 to 65536, found '\(value)'")
                continue
            }
            let dims = sides.compactMap { $0 }
            (augmentation.channels, augmentation.height, augmentation.width) =
                dims.count == 3 ? (dims[0], dims[1], dims[2]) : (1, dims[0], dims[1])
            continue
        }
        let limits: [String: (upper: Double, inclusive: Bool, meaning: String)] = [
            "rotate": (180, true, "degrees"), "scale": (1, false, "a fraction"), "shear": (1, true, "a fraction"),
            "shift": (1e6, true, "pixels"), "noise": (1e6, true, "a standard deviation"),
        ]
        guard let limit = limits[key] else {
            flagError("--augment: unknown key '\(key)'; expected rotate, scale, shear, shift, noise or image")
            continue
        }
        guard let number = Double(value), number.isFinite, number >= 0,
            limit.inclusive ? number <= limit.upper : number < limit.upper
        else {
            let bound = limit.inclusive ? "at most" : "less than"
            flagError("--augment: \(key) expected \(limit.meaning) >= 0 and \(bound) \(JSONWriter.number(limit.upper)), found '\(value)'")
            continue
        }
        switch key {
        case "rotate": augmentation.rotationDegrees = number
        case "scale": augmentation.scale = number
        case "shear": augmentation.shear = number
        case "shift": augmentation.shift = number
        case "noise": augmentation.noise = number
        default: break  // `limits` holds exactly the keys above
        }
    }
    return augmentation
}

/// Gives `augmentation` the geometry of a model input of `shape`, or explains why it cannot.
func fitAugmentation(_ augmentation: Augmentation, to shape: [Int], diagnostics: DiagnosticEngine) -> Augmentation? {
    var fitted = augmentation
    let size = shape.reduce(1, *)
    let shapeText = "[" + shape.map(String.init).joined(separator: ", ") + "]"
    if augmentation.height > 0 {
        let given = augmentation.channels * augmentation.height * augmentation.width
        guard given == size else {
            diagnostics.error("--augment: image \(augmentation.channels)x\(augmentation.height)x\(augmentation.width) holds \(given) values, but the model's input \(shapeText) holds \(size)")
            return nil
        }
        return fitted
    }
    switch shape.count {
    case 3: (fitted.channels, fitted.height, fitted.width) = (shape[0], shape[1], shape[2])
    case 2: (fitted.channels, fitted.height, fitted.width) = (1, shape[0], shape[1])
    default:
        guard !augmentation.warps else {
            diagnostics.error("--augment: the warp needs the image's geometry, and the model's input is \(shapeText); add image=HxW (or CxHxW)")
            return nil
        }
        (fitted.channels, fitted.height, fitted.width) = (1, 1, size)
    }
    return fitted
}
