// EndToEndTests/Support/generateModelText.swift - gen on a model text, for tests that look at the lowered program.

import Foundation
import GenDriver
import GenSupport

/// Runs gen (target mcu, the repo's templates and toolchains) on `text` written to a temporary model.json,
/// with `configure` setting its flags; the folder goes afterwards.
func generateModelText(_ text: String, label: String, configure: (inout GenerateOptions) -> Void) throws -> GenerationResult {
    let directory = Paths.temporaryDirectory(label)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try text.write(toFile: directory + "/model.json", atomically: true, encoding: .utf8)
    var options = GenerateOptions(modelPath: directory + "/model.json", target: "mcu")
    options.resourcesRoot = Paths.root
    configure(&options)
    return try Generator.generate(options, diagnostics: DiagnosticEngine())
}
