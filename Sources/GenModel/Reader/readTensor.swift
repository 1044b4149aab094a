// GenModel/Reader/readTensor.swift - Reads a `{"shape": [...], "data": [...]}` tensor.

import GenSupport

/// Reads the tensor under `key` of `object`; reports missing keys, bad shapes, non-numbers and
/// length mismatches at their exact positions. `expectedRank` is checked when given.
func readTensor(
    _ object: JSONObjectReader, key: String, required: Bool, expectedRank: Int?, meaning: String
) -> RawTensor? {
    guard let child = object.member(key) else {
        if required {
            object.diagnostics.error(
                "missing required key '\(key)' (a tensor \(meaning))", at: object.location(of: key))
        }
        return nil
    }
    let pointer = object.pointer(of: key)
    guard let tensor = JSONObjectReader(
        child, pointer: pointer, file: object.file, diagnostics: object.diagnostics,
        what: "a tensor object {\"shape\": [...], \"data\": [...]}")
    else { return nil }
    tensor.rejectUnknownKeys(allowed: ["shape", "data"])
    guard tensor.required("shape", "an array of dimensions") != nil else { return nil }
    let rankText = expectedRank.map { "\($0) positive dimensions \(meaning)" } ?? "positive dimensions"
    guard let shape = tensor.integerArray("shape", count: expectedRank, range: 1...Int(Int32.max), what: rankText)
    else { return nil }
    guard let elements = checkedProduct(shape), elements <= maximumTensorElements else {
        object.diagnostics.error(
            "shape \(shape) has more than \(maximumTensorElements) elements, the limit for one tensor",
            at: tensor.location(of: "shape"))
        return nil
    }
    guard let dataValue = tensor.required("data", "an array of numbers") else { return nil }
    guard case .array(let values) = dataValue.kind else {
        object.diagnostics.error(
            "expected an array of numbers, found \(dataValue.typeDescription)", at: tensor.location(of: "data"))
        return nil
    }
    var data: [Double] = []
    data.reserveCapacity(values.count)
    var failed = false
    for (position, element) in values.enumerated() {
        if case .number(let number) = element.kind, number.isFinite {
            data.append(number)
            continue
        }
        // Only build the pointer when something is wrong: tensors can hold millions of numbers.
        _ = tensor.number(element, pointer: JSONPath.append(String(position), to: tensor.pointer(of: "data")))
        failed = true
        break
    }
    if failed { return nil }
    if elements != data.count {
        object.diagnostics.error(
            "shape \(shape) holds \(elements) values but data has \(data.count)", at: tensor.location(of: "data"))
        return nil
    }
    return RawTensor(shape: shape, data: data, location: tensor.location)
}
