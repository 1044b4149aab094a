// GenDriver/OutputWriter.swift - Writes generated files all or nothing, touching only files gen owns.

import Foundation
import GenEmitC
import GenSupport

/// Writes a run's files in two phases: every file is first written under a temporary name beside
/// its destination; only when all of them succeeded are they renamed into place. A failure removes
/// the temporary files, so nothing is left half-written. Files whose bytes are unchanged are not
/// touched, and a destination that is a folder (or anything but a regular file) is an error, never
/// removed.
package enum OutputWriter {
    /// One file to write: its final path, its bytes, and the flag that chose the path (for messages).
    package struct Destination {
        package var path: String
        package var contents: String
        package var flag: String

        package init(path: String, contents: String, flag: String) {
            self.path = path
            self.contents = contents
            self.flag = flag
        }
    }

    /// Writes `files` into `directory` (created if missing) and the extra destinations.
    /// - Throws: `GenFailure` naming the path and flag that could not be written.
    package static func write(_ files: [GeneratedFile], to directory: String, extra: [Destination] = [])
        throws(GenFailure)
    {
        let destinations = files.map { Destination(path: directory + "/" + $0.name, contents: $0.contents, flag: "-o") } + extra
        let manager = FileManager.default
        // Check every destination before creating anything.
        for destination in destinations {
            var isDirectory: ObjCBool = false
            if manager.fileExists(atPath: destination.path, isDirectory: &isDirectory), isDirectory.boolValue {
                throw failure(destination, "is a folder; gen only replaces files it writes")
            }
            let parent = (destination.path as NSString).deletingLastPathComponent
            // The output folder itself is created below, so an extra file may go there (--report out/r.json).
            let intoOutputFolder = URL(fileURLWithPath: parent).standardizedFileURL.path
                == URL(fileURLWithPath: directory).standardizedFileURL.path
            if destination.flag != "-o", !parent.isEmpty, !intoOutputFolder, !manager.fileExists(atPath: parent) {
                throw failure(destination, "cannot be written: the folder '\(parent)' does not exist")
            }
        }
        let createdDirectory = !manager.fileExists(atPath: directory)
        do {
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw GenFailure(diagnostics: [
                Diagnostic(.error, "-o: cannot create the output folder: \(error.localizedDescription)",
                    at: SourceLocation(file: directory))
            ])
        }
        var staged: [(temporary: String, final: String)] = []
        func removeStaged() {
            for entry in staged { try? manager.removeItem(atPath: entry.temporary) }
            if createdDirectory, (try? manager.contentsOfDirectory(atPath: directory))?.isEmpty == true {
                try? manager.removeItem(atPath: directory)
            }
        }
        for destination in destinations {
            let data = Data(destination.contents.utf8)
            if manager.contents(atPath: destination.path) == data { continue }
            let temporary = destination.path + ".tmp-gen"
            do {
                try data.write(to: URL(fileURLWithPath: temporary))
            } catch {
                removeStaged()
                throw failure(destination, "cannot be written: \(error.localizedDescription)")
            }
            staged.append((temporary, destination.path))
        }
        for entry in staged where rename(entry.temporary, entry.final) != 0 {
            removeStaged()
            throw GenFailure(diagnostics: [
                Diagnostic(.error, "cannot replace the file", at: SourceLocation(file: entry.final))
            ])
        }
    }

    private static func failure(_ destination: Destination, _ problem: String) -> GenFailure {
        GenFailure(diagnostics: [
            Diagnostic(.error, "\(destination.flag): '\(destination.path)' \(problem)", at: nil)
        ])
    }
}
