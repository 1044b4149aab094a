// EndToEndTests/GoldenTests.swift - Generated/ holds the reviewed output; regenerating must give the same bytes.
//
// To accept a change: GEN_UPDATE_GOLDENS=1 swift test --filter GoldenTests (or Scripts/update-goldens.sh),
// then review `git diff Generated/` and commit it with the code.

import Foundation
import GenDriver
import GenSupport
import Testing

@Suite("Golden outputs in Generated/")
struct GoldenTests {
    struct Case: CustomStringConvertible, Sendable {
        var model: String
        var target: String
        var arguments: [String]
        /// The folder under Generated/<target>/; the model's file stem by default.
        var folder: String
        var description: String { "\(folder) \(target)" }
    }

    static let cases: [Case] = {
        guard let data = FileManager.default.contents(atPath: Paths.inRoot("Generated/goldens.json")),
            let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let entries = root["cases"] as? [[String: Any]]
        else { return [] }
        return entries.flatMap { entry in
            (entry["targets"] as? [String] ?? []).map {
                Case(
                    model: entry["model"] as? String ?? "", target: $0, arguments: entry["arguments"] as? [String] ?? [],
                    folder: entry["folder"] as? String
                        ?? URL(fileURLWithPath: entry["model"] as? String ?? "").deletingPathExtension().lastPathComponent)
            }
        }
    }()

    static var updating: Bool { ProcessInfo.processInfo.environment["GEN_UPDATE_GOLDENS"] == "1" }

    /// Runs the built `gen` from the package root, exactly as a user would, into `directory`.
    static func generate(_ testCase: Case, into directory: String) throws -> ShellResult {
        try Shell.run(
            [Paths.genExecutable, testCase.model, "--target", testCase.target, "-o", directory] + testCase.arguments,
            in: Paths.root)
    }

    @Test("regenerating gives byte-identical files", arguments: cases)
    func matchesGolden(_ testCase: Case) throws {
        let golden = Paths.inRoot("Generated/\(testCase.target)/\(testCase.folder)")
        let fresh = Paths.temporaryDirectory("golden")
        let result = try Self.generate(testCase, into: fresh)
        try #require(result.status == 0, "gen failed: \(result.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: fresh).sorted()
        if Self.updating {
            try? FileManager.default.removeItem(atPath: golden)
            try FileManager.default.createDirectory(atPath: golden, withIntermediateDirectories: true)
            for file in files { try FileManager.default.copyItem(atPath: fresh + "/" + file, toPath: golden + "/" + file) }
            print("warning: rewrote golden \(golden); review git diff")
            return
        }
        let committed = (try? FileManager.default.contentsOfDirectory(atPath: golden).sorted()) ?? []
        #expect(committed == files, "golden missing or file set differs: run GEN_UPDATE_GOLDENS=1 swift test --filter GoldenTests")
        for file in files where committed.contains(file) {
            let expected = FileManager.default.contents(atPath: golden + "/" + file)
            let actual = FileManager.default.contents(atPath: fresh + "/" + file)
            if expected != actual {
                let diff = try Shell.run(["diff", "-u", golden + "/" + file, fresh + "/" + file])
                Issue.record("\(file) differs from its golden:\n\(diff.stdout.prefix(3000))")
            }
        }
    }

    @Test("a second run into another folder, from another working directory, gives the same bytes")
    func deterministic() throws {
        let testCase = Case(
            model: Paths.inRoot("Examples/digits_cnn.json"), target: "mcu",
            arguments: ["--calib", Paths.inRoot("Tests/Fixtures/digits/digits_calib.npz")], folder: "digits_cnn")
        let first = Paths.temporaryDirectory("det1")
        let second = Paths.temporaryDirectory("det2")
        #expect(try Self.generate(testCase, into: first).status == 0)
        let other = try Shell.run(
            [Paths.genExecutable, testCase.model, "--target", "mcu", "-o", second] + testCase.arguments, in: "/tmp")
        #expect(other.status == 0, "\(other.stderr)")
        for file in try FileManager.default.contentsOfDirectory(atPath: first) {
            let a = FileManager.default.contents(atPath: first + "/" + file)
            let b = FileManager.default.contents(atPath: second + "/" + file)
            #expect(a == b, "\(file) differs between runs")
            let text = String(decoding: a ?? Data(), as: UTF8.self)
            #expect(!text.contains(Paths.root), "\(file) contains an absolute path")
            #expect(!text.contains("/tmp/") && !text.contains(NSTemporaryDirectory()), "\(file) names a temporary path")
            // No dates or times: nothing like 2026-11-23 or 10:52:07.
            #expect(text.range(of: #"\b(19|20)\d\d-\d\d-\d\d\b"#, options: .regularExpression) == nil, "\(file) has a date")
            #expect(text.range(of: #"\b\d\d:\d\d:\d\d\b"#, options: .regularExpression) == nil, "\(file) has a time")
        }
    }

    @Test("committed golden C compiles cleanly with gcc and clang", arguments: cases)
    func goldenCompiles(_ testCase: Case) throws {
        let stem = URL(fileURLWithPath: testCase.model).deletingPathExtension().lastPathComponent
        let golden = Paths.inRoot("Generated/\(testCase.target)/\(testCase.folder)")
        for compiler in ["gcc", "clang"] {
            let result = try Shell.run(
                [compiler] + CHarness.strictFlags + ["-O2", "-c", golden + "/\(stem).c", "-o", "/dev/null"])
            #expect(result.status == 0, "\(compiler): \(result.stderr)")
        }
    }
}
