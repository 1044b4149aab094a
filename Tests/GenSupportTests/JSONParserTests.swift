// GenSupportTests/JSONParserTests.swift - The located JSON parser.

import GenSupport
import Testing

@Suite("JSON parser")
struct JSONParserTests {
    func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue { try JSONParser.parse(Array(text.utf8)) }

    @Test("records line and column of every value")
    func positions() throws {
        let value = try parse("{\n  \"a\": [1, 2.5e1],\n  \"b\": \"x\\u00e9\"\n}")
        guard case .object(let members) = value.kind else { Issue.record("not an object"); return }
        #expect(members.map(\.key) == ["a", "b"])
        let a = members[0].value
        #expect(a.line == 2 && a.column == 8)
        guard case .array(let items) = a.kind, case .number(let second) = items[1].kind else {
            Issue.record("bad array"); return
        }
        #expect(second == 25)
        #expect(items[1].line == 2 && items[1].column == 12)
        guard case .string(let text) = members[1].value.kind else { Issue.record("bad string"); return }
        #expect(text == "xé")
    }

    @Test("rejects what RFC 8259 rejects, at the right place", arguments: [
        ("[1,]", 1, 4), ("{\"a\" 1}", 1, 6), ("[01]", 1, 3), ("[NaN]", 1, 2), ("{\"a\":1,\"a\":2}", 1, 8),
        ("[1] x", 1, 5), ("\"abc", 1, 5), ("[\n\t-]", 2, 3), ("", 1, 1),
    ])
    func rejects(_ input: (String, Int, Int)) {
        do {
            _ = try parse(input.0)
            Issue.record("accepted \(input.0)")
        } catch {
            #expect(error.line == input.1 && error.column == input.2, "\(error.message) at \(error.line):\(error.column)")
        }
    }

    @Test("limits nesting depth")
    func depth() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: JSONSyntaxError.self) { try parse(deep) }
    }

    @Test("writer output parses back to the same numbers")
    func roundTrip() throws {
        let numbers = [0.1, -2.5e-7, 123456789.0, 1e-5, 3.0]
        let text = JSONWriter.write(.numbers(numbers))
        guard case .array(let items) = try parse(text).kind else { Issue.record("not an array"); return }
        #expect(items.compactMap { if case .number(let n) = $0.kind { n } else { nil } } == numbers)
    }
}
