// GenDriver/OutputWriter.swift - Writes generated files, touching only those whose bytes changed.

import Foundation
import GenEmitC
import GenSupport

/// Writes files into a folder (created if missing). Each file goes to a temporary name first and is
/// renamed into place, so a reader never sees half a file; unchanged files are left untouched.
package enum OutputWriter {
    /// - Throws: `GenFailure` naming the path that could not be written.
    package static func write(_ files: [GeneratedFile], to directory: String) throws(GenFailure) {
        let manager = FileManager.default
        do {
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw GenFailure(diagnostics: [
                Diagnostic(.error, "-o: cannot create the output folder: \(error.localizedDescription)",
                    at: SourceLocation(file: directory))
            ])
        }
        for file in files {
            try writeFile(file.contents, to: directory + "/" + file.name)
        }
    }

    package static func writeFile(_ contents: String, to path: String) throws(GenFailure) {
        let data = Data(contents.utf8)
        if let existing = FileManager.default.contents(atPath: path), existing == data { return }
        let temporary = path + ".tmp-gen"
        do {
            try data.write(to: URL(fileURLWithPath: temporary))
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
            try FileManager.default.moveItem(atPath: temporary, toPath: path)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw GenFailure(diagnostics: [
                Diagnostic(.error, "cannot write the file: \(error.localizedDescription)", at: SourceLocation(file: path))
            ])
        }
    }
}
