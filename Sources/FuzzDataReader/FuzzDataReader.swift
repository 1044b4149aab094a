// FuzzDataReader/FuzzDataReader.swift - libFuzzer target: bytes -> .npz and .csv readers (must never crash).
//
// Built by Scripts/fuzz.sh with -sanitize=fuzzer,address and -DFUZZING; without FUZZING it is a
// replay tool: `swift run FuzzDataReader FILE...` runs the same code on each file.

import Foundation
import GenModel
import GenSupport

/// A per-process scratch file (in memory where /dev/shm exists): ZIPFoundation reads archives from files.
let scratch: String = {
    let folder = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm/" : NSTemporaryDirectory()
    return folder + "sprig-fuzz-data-\(ProcessInfo.processInfo.processIdentifier).npz"
}()

/// Writes bytes with POSIX calls (FileManager.createFile writes a temporary file and renames it: slow).
func writeScratch(_ bytes: [UInt8]) {
    let descriptor = open(scratch, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard descriptor >= 0 else { return }
    bytes.withUnsafeBytes { _ = write(descriptor, $0.baseAddress, $0.count) }
    close(descriptor)
}

/// Reads arbitrary bytes as an .npz (for training and for calibration) and as CSV text,
/// for a [1, 8, 8] model with 10 classes.
func fuzzDataReader(_ bytes: [UInt8]) {
    writeScratch(bytes)
    for purpose in [DataPurpose.training, .calibration] {
        _ = try? loadDataFile(
            file: scratch, inputShape: [1, 8, 8], classes: 10, purpose: purpose, flag: "--data",
            diagnostics: DiagnosticEngine())
    }
    _ = readCSV(
        bytes, inputShape: [1, 8, 8], classes: 10, location: SourceLocation(file: "fuzz.csv"), flag: "--data",
        diagnostics: DiagnosticEngine())
}

#if FUZZING
/// libFuzzer's entry point; libFuzzer supplies `main` (Scripts/fuzz.sh links without SwiftPM's entry alias).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDataReaderEntry(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    fuzzDataReader(start.map { Array(UnsafeBufferPointer(start: $0, count: count)) } ?? [])
    return 0
}
#else
@main
enum ReplayDataReader {
    static func main() {
        for path in CommandLine.arguments.dropFirst() {
            fuzzDataReader(Array(FileManager.default.contents(atPath: path) ?? Data()))
        }
        print("replayed \(CommandLine.arguments.count - 1) inputs")
    }
}
#endif
