// EndToEndTests/Support/Shell.swift - Runs a program and captures its output and exit status.

import Foundation

struct ShellResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

enum Shell {
    /// Runs `arguments[0]` (looked up on PATH) with the rest as arguments.
    @discardableResult
    static func run(_ arguments: [String], in directory: String? = nil, environment: [String: String]? = nil)
        throws -> ShellResult
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if let environment { process.environment = environment }
        // Output goes to temporary files: no pipe can fill up and block the child.
        let base = NSTemporaryDirectory() + "sprig-shell-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: base + ".out", contents: nil)
        FileManager.default.createFile(atPath: base + ".err", contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: base + ".out")
            try? FileManager.default.removeItem(atPath: base + ".err")
        }
        let outHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".out"))
        let errHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".err"))
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try outHandle.close()
        try errHandle.close()
        let outData = FileManager.default.contents(atPath: base + ".out") ?? Data()
        let errData = FileManager.default.contents(atPath: base + ".err") ?? Data()
        return ShellResult(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// True when `tool` is on PATH.
    static func has(_ tool: String) -> Bool {
        (try? run(["sh", "-c", "command -v \(tool)"]))?.status == 0
    }
}
