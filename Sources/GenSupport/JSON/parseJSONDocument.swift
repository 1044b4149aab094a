// GenSupport/JSON/parseJSONDocument.swift - Parses a file's bytes, turning a syntax error into a diagnostic.

/// Parses `bytes` as JSON; on a syntax error reports it at its line and column and returns nil.
package func parseJSONDocument(file: String, bytes: [UInt8], diagnostics: DiagnosticEngine) -> JSONValue? {
    do {
        return try JSONParser.parse(bytes)
    } catch {
        diagnostics.error(
            "invalid JSON: \(error.message)", at: SourceLocation(file: file, line: error.line, column: error.column))
        return nil
    }
}
