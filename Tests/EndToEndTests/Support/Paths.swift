// EndToEndTests/Support/Paths.swift - Locations in the source tree, found from this file's path.

import Foundation

enum Paths {
    /// The package root (three levels above this file).
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    static func inRoot(_ relative: String) -> String { root + "/" + relative }

    /// A fresh temporary folder for one test.
    static func temporaryDirectory(_ label: String) -> String {
        let path = NSTemporaryDirectory() + "sprig-\(label)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The built `gen` executable next to the test bundle.
    static var genExecutable: String {
        let bundle = Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }?.bundleURL
            ?? URL(fileURLWithPath: CommandLine.arguments[0])
        var directory = bundle.deletingLastPathComponent()
        if !FileManager.default.fileExists(atPath: directory.appendingPathComponent("gen").path) {
            directory = URL(fileURLWithPath: root + "/.build/debug")
        }
        return directory.appendingPathComponent("gen").path
    }
}
