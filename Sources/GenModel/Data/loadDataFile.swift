// GenModel/Data/loadDataFile.swift - Reads `--calib` / `--data` files (.npz or .csv) for a model's input.

import Foundation
import GenSupport
import ZIPFoundation

/// What a data file is used for, which decides the arrays it must hold.
package enum DataPurpose: Sendable {
    /// `--calib`: inputs only (`x_train`, or `x` alone, or a CSV); labels are ignored.
    case calibration
    /// `--data`: `x_train` and `y_train`, optionally `x_test` and `y_test`.
    case training
}

/// Largest data file accepted; larger ones are rejected before reading.
package let maximumDataFileBytes = 1 << 30

/// Largest array inside an .npz, once inflated.
package let maximumArrayBytes = 1 << 29

/// Reads a data file and checks it against the model's input shape.
/// Reports "file: error: array 'x_train' has shape [...], expected [N, ...]" style diagnostics.
///
/// The reader opens the file itself: ZIPFoundation's archives over in-memory `Data` leak their
/// backing object on Linux (found by fuzzing), archives over a file do not.
/// - Throws: `GenFailure` when the file cannot be used.
package func loadDataFile(
    file: String, inputShape: [Int], classes: Int, purpose: DataPurpose, flag: String,
    diagnostics: DiagnosticEngine
) throws(GenFailure) -> DataFile {
    let location = SourceLocation(file: file)
    // Read once with the size limit; .npz archives are then reopened by ZIPFoundation from the file.
    let bytes: [UInt8]
    switch readFileBytes(file, limit: maximumDataFileBytes) {
    case .success(let read): bytes = read
    case .failure(let failure):
        diagnostics.error("\(flag): cannot read the data file: \(failure.message)", at: location)
        throw GenFailure(diagnostics: diagnostics.diagnostics)
    }
    let result: DataFile?
    if file.lowercased().hasSuffix(".csv") {
        result = readCSV(bytes, inputShape: inputShape, classes: classes, location: location, flag: flag,
            diagnostics: diagnostics)
    } else if file.lowercased().hasSuffix(".npz") {
        _ = bytes  // size checked above; ZIPFoundation reads the archive from the file
        result = readNPZ(URL(fileURLWithPath: file), inputShape: inputShape, classes: classes, purpose: purpose, location: location,
            flag: flag, diagnostics: diagnostics)
    } else {
        diagnostics.error("\(flag) expects a .npz or .csv file", at: location)
        result = nil
    }
    try diagnostics.checkpoint()
    guard let result else { throw GenFailure(diagnostics: diagnostics.diagnostics) }
    return result
}

private func describe(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }

private func readNPZ(
    _ url: URL, inputShape: [Int], classes: Int, purpose: DataPurpose, location: SourceLocation, flag: String,
    diagnostics: DiagnosticEngine
) -> DataFile? {
    let archive: Archive
    do {
        archive = try Archive(url: url, accessMode: .read)
    } catch {
        diagnostics.error("\(flag): not a readable .npz (zip) file", at: location)
        return nil
    }
    var arrays: [String: NumpyArray] = [:]
    for entry in archive where entry.type == .file && entry.path.hasSuffix(".npy") {
        let name = String(entry.path.dropLast(4))
        var contents = Data()
        // A small archive can inflate to gigabytes: refuse entries that claim more than the limit,
        // and stop reading one that turns out larger than it claimed.
        guard entry.uncompressedSize <= UInt64(maximumArrayBytes) else {
            diagnostics.error(
                "\(flag): array '\(name)' holds \(entry.uncompressedSize) bytes uncompressed, more than the limit of \(maximumArrayBytes)",
                at: location)
            return nil
        }
        do {
            _ = try archive.extract(entry, skipCRC32: false) { chunk in
                contents.append(chunk)
                if contents.count > maximumArrayBytes { throw NumpyFormatError("more than \(maximumArrayBytes) bytes once inflated") }
            }
            arrays[name] = try NumpyArray.parse(contents)
        } catch let error as NumpyFormatError {
            diagnostics.error("\(flag): array '\(name)': \(error.message)", at: location)
            return nil
        } catch {
            diagnostics.error("\(flag): array '\(name)' could not be extracted (corrupt archive)", at: location)
            return nil
        }
    }
    let names = arrays.keys.sorted()
    func inputs(_ name: String) -> Dataset? {
        guard let array = arrays[name] else { return nil }
        return checkedInputs(array, name: name, inputShape: inputShape, location: location, flag: flag,
            diagnostics: diagnostics)
    }
    func labels(_ name: String, count: Int) -> [Int]? {
        guard let array = arrays[name] else {
            diagnostics.error("\(flag): array '\(name)' is missing; found \(names.joined(separator: ", "))", at: location)
            return nil
        }
        return checkedLabels(array, name: name, count: count, classes: classes, location: location, flag: flag,
            diagnostics: diagnostics)
    }
    switch purpose {
    case .calibration:
        let key = arrays["x_train"] != nil ? "x_train" : "x"
        guard arrays[key] != nil else {
            diagnostics.error(
                "\(flag): expected an array 'x_train' or 'x' of inputs, found \(names.isEmpty ? "no arrays" : names.joined(separator: ", "))", at: location)
            return nil
        }
        guard let train = inputs(key) else { return nil }
        return DataFile(train: train, test: nil)
    case .training:
        guard arrays["x_train"] != nil else {
            diagnostics.error("\(flag): expected arrays 'x_train' and 'y_train', found \(names.isEmpty ? "no arrays" : names.joined(separator: ", "))", at: location)
            return nil
        }
        guard var train = inputs("x_train"), let trainLabels = labels("y_train", count: train.count) else {
            return nil
        }
        train.labels = trainLabels
        var test: Dataset?
        if arrays["x_test"] != nil {
            guard var testSet = inputs("x_test"), let testLabels = labels("y_test", count: testSet.count) else {
                return nil
            }
            testSet.labels = testLabels
            test = testSet
        }
        return DataFile(train: train, test: test)
    }
}

private func checkedInputs(
    _ array: NumpyArray, name: String, inputShape: [Int], location: SourceLocation, flag: String,
    diagnostics: DiagnosticEngine
) -> Dataset? {
    let size = inputShape.reduce(1, *)
    let okFull = array.shape.count == inputShape.count + 1 && Array(array.shape.dropFirst()) == inputShape
    let okFlat = array.shape.count == 2 && array.shape[1] == size
    guard okFull || okFlat, let count = array.shape.first, count > 0 else {
        diagnostics.error(
            "\(flag): array '\(name)' has shape \(describe(array.shape)), expected \(inputShape.count == 1 ? "[N, \(size)]" : "[N, \(inputShape.map(String.init).joined(separator: ", "))] or [N, \(size)]") with N > 0 to match the model input",
            at: location)
        return nil
    }
    switch array.elementType {
    case .float32, .float64, .uint8: break
    case .int8, .int16, .int32, .int64, .uint16, .uint32, .uint64:
        diagnostics.error(
            "\(flag): array '\(name)' has dtype \(array.elementType.rawValue), expected float32, float64 or uint8",
            at: location)
        return nil
    }
    let scale = array.elementType == .uint8 ? 1.0 / 255.0 : 1.0
    if let bad = array.values.firstIndex(where: { !$0.isFinite }) {
        diagnostics.error("\(flag): array '\(name)' has a non-finite value at sample \(bad / size)", at: location)
        return nil
    }
    let inputs = (0..<count).map { sample in
        array.values[(sample * size)..<((sample + 1) * size)].map { $0 * scale }
    }
    return Dataset(inputs: inputs, labels: nil)
}

private func checkedLabels(
    _ array: NumpyArray, name: String, count: Int, classes: Int, location: SourceLocation, flag: String,
    diagnostics: DiagnosticEngine
) -> [Int]? {
    guard array.shape == [count] else {
        diagnostics.error(
            "\(flag): array '\(name)' has shape \(describe(array.shape)), expected [\(count)] (one label per sample)",
            at: location)
        return nil
    }
    var labels: [Int] = []
    for value in array.values {
        guard value == value.rounded(), value >= 0, value < Double(classes) else {
            diagnostics.error(
                "\(flag): array '\(name)' holds \(JSONWriter.number(value.isFinite ? value : 0)), expected class labels 0..\(classes - 1)",
                at: location)
            return nil
        }
        labels.append(Int(value))
    }
    return labels
}

/// CSV: one sample per line, the class label first and the flattened input after it.
/// Reports problems at `location` with the line (and column) and returns nil.
package func readCSV(
    _ bytes: [UInt8], inputShape: [Int], classes: Int, location: SourceLocation, flag: String,
    diagnostics: DiagnosticEngine
) -> DataFile? {
    guard let text = String(validating: bytes, as: UTF8.self) else {
        diagnostics.error("\(flag): the CSV file is not UTF-8 text", at: location)
        return nil
    }
    let size = inputShape.reduce(1, *)
    var inputs: [[Double]] = []
    var labels: [Int] = []
    var lineNumber = 0
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        lineNumber += 1
        let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { continue }
        let fields = trimmed.split(separator: ",", omittingEmptySubsequences: false)
        var here = location
        here.line = lineNumber
        guard fields.count == size + 1 else {
            diagnostics.error(
                "\(flag): expected \(size + 1) comma-separated values (label, then \(size) inputs), found \(fields.count)",
                at: here)
            return nil
        }
        guard let label = Int(fields[0].trimmingCharacters(in: .whitespaces)), label >= 0, label < classes else {
            diagnostics.error("\(flag): expected a class label 0..\(classes - 1) in column 1", at: here)
            return nil
        }
        var sample: [Double] = []
        sample.reserveCapacity(size)
        for (column, field) in fields.dropFirst().enumerated() {
            guard let value = Double(field.trimmingCharacters(in: .whitespaces)), value.isFinite else {
                here.column = column + 2
                diagnostics.error("\(flag): expected a finite number in column \(column + 2)", at: here)
                return nil
            }
            sample.append(value)
        }
        inputs.append(sample)
        labels.append(label)
    }
    guard !inputs.isEmpty else {
        diagnostics.error("\(flag): the CSV file has no samples", at: location)
        return nil
    }
    return DataFile(train: Dataset(inputs: inputs, labels: labels), test: nil)
}
