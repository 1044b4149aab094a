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

    /// A folder to create (if missing) before writing, and the flag that named it.
    package struct Folder {
        package var path: String
        package var flag: String

        package init(path: String, flag: String) {
            self.path = path
            self.flag = flag
        }
    }

    /// Writes `files` into `directory` (created if missing), the extra destinations and `folders` (created
    /// if missing, for extra destinations inside them). No destination may be another's path, a folder
    /// to create, or one of `inputs` (the files the run read).
    /// - Throws: `GenFailure` naming the path and flag that could not be written.
    package static func write(
        _ files: [GeneratedFile], to directory: String, extra: [Destination] = [], folders: [Folder] = [],
        inputs: [(path: String, flag: String)] = []
    ) throws(GenFailure) {
        let requested = files.map { Destination(path: directory + "/" + $0.name, contents: $0.contents, flag: "-o") } + extra
        let folders = [Folder(path: directory, flag: "-o")] + folders
        let manager = FileManager.default
        // Check every destination before creating anything.
        var claimed: [String: String] = [:]
        for input in inputs { claimed[canonical(input.path)] = "the \(input.flag) file gen reads" }
        for folder in folders {
            var isDirectory: ObjCBool = false
            if manager.fileExists(atPath: folder.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                throw GenFailure(diagnostics: [Diagnostic(.error, "\(folder.flag): '\(folder.path)' is a file; expected a folder", at: nil)])
            }
            // A folder may serve two flags (--plot into the -o folder), but may not be an input file.
            if let owner = claimed[canonical(folder.path)], !owner.hasSuffix(" folder") {
                throw GenFailure(diagnostics: [Diagnostic(.error, "\(folder.flag): '\(folder.path)' is \(owner)", at: nil)])
            }
            claimed[canonical(folder.path)] = claimed[canonical(folder.path)] ?? "the \(folder.flag) folder"
        }
        var written: [String: String] = [:]
        var unique: [Destination] = []
        for destination in requested {
            // The same bytes to the same file twice (--report at DIR/<name>.report.json) is one file.
            if written[canonical(destination.path)] == destination.contents { continue }
            written[canonical(destination.path)] = destination.contents
            unique.append(destination)
        }
        let destinations = unique
        for destination in destinations {
            if let owner = claimed[canonical(destination.path)] {
                throw failure(destination, "is \(owner); give it a path of its own")
            }
            claimed[canonical(destination.path)] = "a file gen writes for \(destination.flag)"
            var isDirectory: ObjCBool = false
            if manager.fileExists(atPath: destination.path, isDirectory: &isDirectory), isDirectory.boolValue {
                throw failure(destination, "is a folder; gen only replaces files it writes")
            }
            let parent = (destination.path as NSString).deletingLastPathComponent
            // The folders are created below, so an extra file may go there (--report out/r.json).
            let intoCreatedFolder = folders.contains { canonical($0.path) == canonical(parent) }
            if destination.flag != "-o", !parent.isEmpty, !intoCreatedFolder, !manager.fileExists(atPath: parent) {
                throw failure(destination, "cannot be written: the folder '\(parent)' does not exist")
            }
        }
        var created: [String] = []
        var staged: [(temporary: String, final: String)] = []
        func removeStaged() {
            for entry in staged { try? manager.removeItem(atPath: entry.temporary) }
            for folder in created.reversed() where (try? manager.contentsOfDirectory(atPath: folder))?.isEmpty == true {
                try? manager.removeItem(atPath: folder)
            }
        }
        for folder in folders where !manager.fileExists(atPath: folder.path) {
            // Every folder this creates, outermost first, so that a failure removes them all.
            var missing: [String] = []
            var parent = URL(fileURLWithPath: folder.path).standardizedFileURL
            while !manager.fileExists(atPath: parent.path) && parent.path != "/" {
                missing.insert(parent.path, at: 0)
                parent.deleteLastPathComponent()
            }
            do {
                try manager.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
                created += missing
            } catch {
                removeStaged()
                throw GenFailure(diagnostics: [
                    Diagnostic(.error, "\(folder.flag): cannot create the folder: \(error.localizedDescription)",
                        at: SourceLocation(file: folder.path))
                ])
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

    /// Refuses, before any work, an extra destination or folder that is one of `inputs` (the same test
    /// `write` makes, so that a run that must fail does not train first).
    /// Also refuses anything inside `inputFolders` (gen's Templates/ and Toolchains/).
    package static func refuseInputs(
        _ paths: [(path: String, flag: String)], inputs: [(path: String, flag: String)], inputFolders: [String] = []
    ) throws(GenFailure) {
        let read = Dictionary(inputs.map { (canonical($0.path), $0.flag) }, uniquingKeysWith: { first, _ in first })
        let folders = inputFolders.map(canonical)
        for entry in paths {
            let path = canonical(entry.path)
            if let flag = read[path] {
                throw GenFailure(diagnostics: [
                    Diagnostic(.error, "\(entry.flag): '\(entry.path)' is the \(flag) file gen reads; give it a path of its own", at: nil)
                ])
            }
            if let folder = folders.first(where: { path == $0 || path.hasPrefix($0 + "/") }) {
                throw GenFailure(diagnostics: [
                    Diagnostic(.error, "\(entry.flag): '\(entry.path)' is inside gen's own '\(folder)'; give it a path of its own", at: nil)
                ])
            }
        }
    }

    /// The absolute, standardized form of `path` with symbolic links resolved, so that two spellings of
    /// one file compare equal.
    private static func canonical(_ path: String) -> String {
        // Foundation resolves links only in a path that exists, so resolve the longest existing prefix
        // (a symbolic link to the -o folder before gen has written into it) and append the rest.
        var existing = URL(fileURLWithPath: path).standardizedFileURL
        var rest: [String] = []
        while !FileManager.default.fileExists(atPath: existing.path) && existing.path != "/" {
            rest.insert(existing.lastPathComponent, at: 0)
            existing.deleteLastPathComponent()
        }
        var resolved = existing.resolvingSymlinksInPath()
        for component in rest { resolved.appendPathComponent(component) }
        return resolved.path
    }

    private static func failure(_ destination: Destination, _ problem: String) -> GenFailure {
        GenFailure(diagnostics: [
            Diagnostic(.error, "\(destination.flag): '\(destination.path)' \(problem)", at: nil)
        ])
    }
}
