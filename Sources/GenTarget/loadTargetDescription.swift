// GenTarget/loadTargetDescription.swift - Reads and validates one Toolchains/<name>.json.

import GenSupport

/// Builds a `TargetDescription` from the bytes of a toolchain file, reporting every problem.
/// - Throws: `GenFailure` when the file is not valid.
package func loadTargetDescription(
    file: String, bytes: [UInt8], diagnostics: DiagnosticEngine
) throws(GenFailure) -> TargetDescription {
    guard let root = parseJSONDocument(file: file, bytes: bytes, diagnostics: diagnostics) else {
        throw GenFailure(diagnostics: diagnostics.diagnostics)
    }
    let reader = JSONObjectReader(root, pointer: "", file: file, diagnostics: diagnostics)
    let keys = ["name", "description", "memory", "hlsPragmas", "tableAttribute", "cc", "cflags", "runner", "armDSP", "costModel"]
    reader?.rejectUnknownKeys(allowed: keys)
    let name = reader?.requiredString("name") ?? ""
    let description = reader?.optionalString("description") ?? ""
    let memoryText = reader?.optionalString("memory") ?? MemoryLayout.arena.rawValue
    let memory = MemoryLayout(rawValue: memoryText)
    if memory == nil, let reader {
        diagnostics.error(
            "expected one of \(MemoryLayout.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")), found '\(memoryText)'",
            at: reader.location(of: "memory"))
    }
    let pragmas = reader?.optionalBool("hlsPragmas") ?? false
    let attribute = reader?.optionalString("tableAttribute") ?? ""
    let compiler = reader?.requiredString("cc") ?? ""
    let flags = reader?.optionalStringArray("cflags") ?? []
    let runner = reader?.optionalStringArray("runner") ?? []
    let armDSP = reader?.optionalBool("armDSP") ?? false
    var costModel: CostModel?
    if let reader, let child = reader.member("costModel") {
        costModel = readCostModel(child, pointer: reader.pointer(of: "costModel"), file: file, diagnostics: diagnostics)
    }
    try diagnostics.checkpoint()
    return TargetDescription(
        name: name, description: description, memoryLayout: memory ?? .arena, hlsPragmas: pragmas,
        tableAttribute: attribute, compiler: compiler, compilerFlags: flags, runner: runner, armDSP: armDSP,
        costModel: costModel)
}

/// `{"reference": "...", "denseMAC": 1.6, ...}`: every coefficient required, each a number >= 0.
private func readCostModel(_ value: JSONValue, pointer: String, file: String, diagnostics: DiagnosticEngine)
    -> CostModel?
{
    guard let reader = JSONObjectReader(value, pointer: pointer, file: file, diagnostics: diagnostics) else {
        return nil
    }
    reader.rejectUnknownKeys(allowed: CostModel.keys)
    let reference = reader.requiredString("reference")
    var numbers: [String: Double] = [:]
    for key in CostModel.keys.dropFirst() {
        guard let child = reader.required(key, "instructions, a number >= 0"),
            let number = reader.number(child, pointer: reader.pointer(of: key))
        else { continue }
        if number < 0 {
            diagnostics.error("expected instructions, a number >= 0, found \(JSONWriter.number(number))", at: reader.location(of: key))
            continue
        }
        numbers[key] = number
    }
    guard let reference, numbers.count == CostModel.keys.count - 1 else { return nil }
    func n(_ key: String) -> Double { numbers[key] ?? 0 }
    return CostModel(
        reference: reference, denseMAC: n("denseMAC"), denseOutput: n("denseOutput"), sparseKept: n("sparseKept"), sparseKeptScalar: n("sparseKeptScalar"),
        sparseGroup: n("sparseGroup"), sparseOutput: n("sparseOutput"), nibbleKept: n("nibbleKept"),
        convMAC: n("convMAC"), convOutput: n("convOutput"), convColumn: n("convColumn"), convLanePair: n("convLanePair"), convLanePixel: n("convLanePixel"),
        convPixelRow: n("convPixelRow"), convPixelOutput: n("convPixelOutput"), convPixelPixel: n("convPixelPixel"),
        convPoolRow: n("convPoolRow"), convPoolOutput: n("convPoolOutput"), convPoolPixel: n("convPoolPixel"),
        maxPoolInput: n("maxPoolInput"), convSparseKept: n("convSparseKept"),
        convSparseGroup: n("convSparseGroup"), convSparseOutput: n("convSparseOutput"), convKernelMAC: n("convKernelMAC"),
        convKernelOutput: n("convKernelOutput"), sharedKept: n("sharedKept"), sharedOutput: n("sharedOutput"),
        sharedGather: n("sharedGather"), convSharedKept: n("convSharedKept"), convSharedOutput: n("convSharedOutput"),
        convSharedGather: n("convSharedGather"), darbKept: n("darbKept"), darbOutput: n("darbOutput"))
}
