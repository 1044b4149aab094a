// GenDriver/ResourceLocator.swift - Finds the folder that holds Templates/ and Toolchains/.

import Foundation

/// Templates and toolchains are data beside the package, not SwiftPM resources (on Linux a copied
/// binary cannot find its resource bundle). Searched in order: an explicit folder, `$GEN_HOME`,
/// the executable's ancestors, `<exe>/../share/sprig`, the working directory's ancestors.
package enum ResourceLocator {
    package static func find(explicit: String?, environment: [String: String], executable: String?, workingDirectory: String)
        -> (root: String?, tried: [String])
    {
        var candidates: [String] = []
        if let explicit { candidates.append(explicit) }
        if let home = environment["GEN_HOME"] { candidates.append(home) }
        if let executable {
            let exeDir = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
            candidates += ancestors(of: exeDir.path)
            candidates.append(exeDir.deletingLastPathComponent().appendingPathComponent("share/sprig").path)
        }
        candidates += ancestors(of: workingDirectory)
        for candidate in candidates where isResourceRoot(candidate) { return (candidate, candidates) }
        return (nil, candidates)
    }

    private static func ancestors(of path: String) -> [String] {
        var result: [String] = []
        var url = URL(fileURLWithPath: path).standardizedFileURL
        while true {
            result.append(url.path)
            let parent = url.deletingLastPathComponent()
            if parent.path == url.path { break }
            url = parent
        }
        return result
    }

    private static func isResourceRoot(_ path: String) -> Bool {
        let manager = FileManager.default
        return manager.fileExists(atPath: path + "/Templates/c/model.c.mustache")
            && manager.fileExists(atPath: path + "/Toolchains")
    }
}
