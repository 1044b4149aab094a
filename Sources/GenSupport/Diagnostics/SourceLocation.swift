// GenSupport/Diagnostics/SourceLocation.swift - Where in an input file a diagnostic points.

/// A place in an input file: the file as the user named it, a 1-based line and column when known,
/// and the JSON pointer of the value (always known for JSON inputs, even when the line is not).
package struct SourceLocation: Sendable, Hashable {
    /// The file as typed on the command line; never made absolute, so messages and goldens are stable.
    package var file: String
    package var line: Int?
    package var column: Int?
    /// RFC 6901 pointer such as `/layers/2/weights`.
    package var pointer: String?

    package init(file: String, line: Int? = nil, column: Int? = nil, pointer: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.pointer = pointer
    }

    /// The `file:line:col` prefix in the form editors and compilers use.
    package var prefix: String {
        var text = file
        if let line { text += ":\(line)" }
        if let column { text += ":\(column)" }
        return text
    }

    /// The pointer written as a JSON path for people: `/layers/3/weights/shape` -> `layers[3].weights.shape`.
    package var path: String? {
        guard let pointer else { return nil }
        return JSONPath.dotted(fromPointer: pointer)
    }
}

/// Converts between RFC 6901 JSON pointers and the dotted paths used in messages.
package enum JSONPath {
    package static func dotted(fromPointer pointer: String) -> String {
        if pointer.isEmpty { return "(top level)" }
        var out = ""
        for raw in pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            let token = raw.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            if !token.isEmpty, token.allSatisfy(\.isNumber) {
                out += "[\(token)]"
            } else {
                out += out.isEmpty ? token : ".\(token)"
            }
        }
        return out
    }

    /// Appends one reference token to a pointer, escaping `~` and `/`.
    package static func append(_ token: String, to pointer: String) -> String {
        pointer + "/" + token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}
