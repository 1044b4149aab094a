// FuzzModelReader/FuzzModelReader.swift - libFuzzer target: model.json bytes -> loadModel (must never crash).
//
// Built by Scripts/fuzz.sh with -sanitize=fuzzer,address and -DFUZZING; without FUZZING it is a
// replay tool: `swift run fuzz-model-reader FILE...` runs the same code on each file.

import Foundation
import GenModel
import GenSupport

/// Reads arbitrary bytes as a model; only diagnostics are allowed, never a trap.
func fuzzModelReader(_ bytes: [UInt8]) {
    let diagnostics = DiagnosticEngine()
    _ = try? loadModel(file: "fuzz.json", bytes: bytes, diagnostics: diagnostics)
}

#if FUZZING
/// libFuzzer's entry point; libFuzzer supplies `main` (Scripts/fuzz.sh links without SwiftPM's entry alias).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModelReaderEntry(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    fuzzModelReader(start.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? [])
    return 0
}
#else
@main
enum ReplayModelReader {
    static func main() {
        for path in CommandLine.arguments.dropFirst() {
            fuzzModelReader(Array(FileManager.default.contents(atPath: path) ?? Data()))
        }
        print("replayed \(CommandLine.arguments.count - 1) inputs")
    }
}
#endif
