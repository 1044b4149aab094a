// EndToEndTests/BadInputCatalogueTests.swift - The catalogue of bad inputs: exact message, exit status, nothing written.
//
// Each folder of Tests/Fixtures/BadInputs holds the files of one case and case.json with the
// arguments, the exact standard error and the exit status expected. gen runs in a copy of the
// folder with `-o out`; `out` must not exist afterwards. GEN_UPDATE_GOLDENS=1 rewrites the expected
// stderr and status (review the diff like any golden).

import Foundation
import Testing

@Suite("Catalogue of bad inputs")
struct BadInputCatalogueTests {
    static let folder = Paths.inRoot("Tests/Fixtures/BadInputs")

    static let cases: [String] = (try? FileManager.default.contentsOfDirectory(atPath: folder).sorted()) ?? []

    struct Expectation: Codable {
        var arguments: [String]
        var status: Int32?
        var stderr: String?
    }

    @Test("the catalogue has at least 30 cases")
    func size() { #expect(Self.cases.count >= 30) }

    @Test("bad input gives the exact located error, a non-zero exit and no output", arguments: cases)
    func rejects(_ name: String) throws {
        let source = Self.folder + "/" + name
        let casePath = source + "/case.json"
        var expectation = try JSONDecoder().decode(
            Expectation.self, from: Data(contentsOf: URL(fileURLWithPath: casePath)))
        let work = Paths.temporaryDirectory("bad-\(name)")
        for file in try FileManager.default.contentsOfDirectory(atPath: source) where file != "case.json" {
            try FileManager.default.copyItem(atPath: source + "/" + file, toPath: work + "/" + file)
        }
        let result = try Shell.run(
            [Paths.genExecutable] + expectation.arguments + ["-o", "out"], in: work,
            environment: ["GEN_HOME": Paths.root, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"])
        #expect(result.status != 0, "gen accepted a bad input")
        #expect(!FileManager.default.fileExists(atPath: work + "/out"), "the output folder was written")
        #expect(result.stdout.isEmpty, "stdout: \(result.stdout)")
        let errorLines = result.stderr.split(separator: "\n").filter { $0.contains("error: ") }
        #expect(!errorLines.isEmpty, "no error: line")
        if ProcessInfo.processInfo.environment["GEN_UPDATE_GOLDENS"] == "1" {
            expectation.status = result.status
            expectation.stderr = result.stderr
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try (encoder.encode(expectation) + Data("\n".utf8)).write(to: URL(fileURLWithPath: casePath))
            return
        }
        #expect(result.status == expectation.status, "exit status")
        #expect(result.stderr == expectation.stderr, "stderr differs:\n\(result.stderr)")
    }
}
