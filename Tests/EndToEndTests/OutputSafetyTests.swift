// EndToEndTests/OutputSafetyTests.swift - gen replaces only its own files and writes all or nothing.

import Foundation
import Testing

@Suite("Output folder safety")
struct OutputSafetyTests {
    @Test("a folder where an output file would go is an error; nothing is removed or written")
    func folderInTheWay() throws {
        let directory = Paths.temporaryDirectory("safety")
        let blocker = directory + "/out/tiny.c"
        try FileManager.default.createDirectory(atPath: blocker, withIntermediateDirectories: true)
        try "keep me".write(toFile: blocker + "/important.txt", atomically: true, encoding: .utf8)
        try "mine".write(toFile: directory + "/out/notes.txt", atomically: true, encoding: .utf8)
        let result = try Shell.run(
            [Paths.genExecutable, Paths.inRoot("Examples/tiny.json"), "--target", "host", "-o", "out"], in: directory)
        #expect(result.status == 1)
        #expect(result.stderr == "error: -o: 'out/tiny.c' is a folder; gen only replaces files it writes\n")
        #expect(FileManager.default.fileExists(atPath: blocker + "/important.txt"))
        let left = try FileManager.default.contentsOfDirectory(atPath: directory + "/out").sorted()
        #expect(left == ["notes.txt", "tiny.c"], "gen wrote or removed files: \(left)")
    }

    @Test("other files in the output folder are kept; a second run rewrites nothing")
    func othersKept() throws {
        let directory = Paths.temporaryDirectory("keep")
        try FileManager.default.createDirectory(atPath: directory + "/out", withIntermediateDirectories: true)
        try "mine".write(toFile: directory + "/out/notes.txt", atomically: true, encoding: .utf8)
        let arguments = [Paths.genExecutable, Paths.inRoot("Examples/tiny.json"), "--target", "host", "-o", "out", "--quiet"]
        #expect(try Shell.run(arguments, in: directory).status == 0)
        let first = try FileManager.default.attributesOfItem(atPath: directory + "/out/tiny.c")[.modificationDate] as? Date
        Thread.sleep(forTimeInterval: 1.1)
        #expect(try Shell.run(arguments, in: directory).status == 0)
        let second = try FileManager.default.attributesOfItem(atPath: directory + "/out/tiny.c")[.modificationDate] as? Date
        #expect(first == second, "an unchanged file was rewritten")
        #expect(try String(contentsOfFile: directory + "/out/notes.txt", encoding: .utf8) == "mine")
    }

    @Test("--report may name a file in the output folder that gen creates; another missing folder is an error")
    func reportIntoNewOutputFolder() throws {
        let directory = Paths.temporaryDirectory("report_into_out")
        let ok = try Shell.run(
            [Paths.genExecutable, Paths.inRoot("Examples/tiny.json"), "--target", "host", "-o", "new/out", "--report",
             "new/out/r.json", "--quiet"], in: directory)
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(FileManager.default.fileExists(atPath: directory + "/new/out/r.json"))
        #expect(FileManager.default.fileExists(atPath: directory + "/new/out/tiny.c"))
        let bad = try Shell.run(
            [Paths.genExecutable, Paths.inRoot("Examples/tiny.json"), "--target", "host", "-o", "other", "--report",
             "missing/r.json"], in: directory)
        #expect(bad.status == 1)
        #expect(bad.stderr == "error: --report: 'missing/r.json' cannot be written: the folder 'missing' does not exist\n")
        #expect(!FileManager.default.fileExists(atPath: directory + "/other"), "nothing written on failure")
    }

    @Test("--report, --plot and -o may not write into gen's own Templates/ or Toolchains/; nothing there changes")
    func resourcesAreNotOutputs() throws {
        let directory = Paths.temporaryDirectory("into_resources")
        let toolchain = Paths.inRoot("Toolchains/host.json")
        let before = try Data(contentsOf: URL(fileURLWithPath: toolchain))
        for arguments in [["-o", "out", "--report", toolchain], ["-o", "out", "--plot", Paths.inRoot("Toolchains")],
                          ["-o", Paths.inRoot("Templates/c")]] {
            let result = try Shell.run(
                [Paths.genExecutable, Paths.inRoot("Examples/tiny.json"), "--target", "host", "--quiet"] + arguments, in: directory,
                environment: ["GEN_HOME": Paths.root, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"])
            #expect(result.status == 1 && result.stderr.contains("is inside gen's own"), "\(arguments): \(result.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: toolchain)) == before)
        #expect(!FileManager.default.fileExists(atPath: directory + "/out"))
        #expect(!FileManager.default.fileExists(atPath: Paths.inRoot("Templates/c/tiny.c")))
    }

    @Test("a write that fails after gen created nested output folders removes all of them and its temporary files")
    func failedWriteRemovesCreatedFolders() throws {
        let directory = Paths.temporaryDirectory("nested_cleanup")
        // The report's temporary file cannot be written: a folder already holds its name.
        try FileManager.default.createDirectory(atPath: directory + "/reports/r.json.tmp-gen", withIntermediateDirectories: true)
        let result = try Shell.run(
            [Paths.genExecutable, Paths.inRoot("Examples/tiny.json"), "--target", "host", "-o", "a/b/c", "--report", "reports/r.json", "--quiet"],
            in: directory, environment: ["GEN_HOME": Paths.root, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"])
        #expect(result.status == 1 && result.stderr.contains("--report: 'reports/r.json' cannot be written"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/a"), "a created folder was left")
        #expect(!FileManager.default.fileExists(atPath: directory + "/reports/r.json"))
    }

    @Test("a --report reaching a generated file through a symbolic link to the -o folder is refused, before gen writes into it")
    func reportThroughLinkedFolder() throws {
        let directory = Paths.temporaryDirectory("linked_out")
        try FileManager.default.createDirectory(atPath: directory + "/real", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: directory + "/link", withDestinationPath: "real")
        let result = try Shell.run(
            [Paths.genExecutable, Paths.inRoot("Examples/tiny.json"), "--target", "host", "-o", "real", "--report", "link/tiny.c", "--quiet"],
            in: directory, environment: ["GEN_HOME": Paths.root, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"])
        #expect(result.status == 1 && result.stderr == "error: --report: 'link/tiny.c' is a file gen writes for -o; give it a path of its own\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/real").isEmpty)
    }
}
