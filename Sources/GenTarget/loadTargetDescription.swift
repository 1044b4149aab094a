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
    let keys = ["name", "description", "memory", "hlsPragmas", "tableAttribute", "cc", "cflags", "runner"]
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
    try diagnostics.checkpoint()
    return TargetDescription(
        name: name, description: description, memoryLayout: memory ?? .arena, hlsPragmas: pragmas,
        tableAttribute: attribute, compiler: compiler, compilerFlags: flags, runner: runner)
}
