// GenSupport/JSON/JSONValue.swift - A parsed JSON value that remembers where it was written.

/// A JSON value with the line and column of its first character.
///
/// Objects keep their keys in file order so that free-form metadata is written back unchanged.
package struct JSONValue: Sendable {
    package indirect enum Kind: Sendable {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
        case array([JSONValue])
        case object([(key: String, value: JSONValue)])
        /// A number's JSON text as it was read (in free-form metadata carried from a model file, so that
        /// numbers keep every digit); only writers meet it.
        case verbatim(String)
    }

    package var kind: Kind
    package var line: Int32
    package var column: Int32

    package init(_ kind: Kind, line: Int32 = 0, column: Int32 = 0) {
        self.kind = kind
        self.line = line
        self.column = column
    }

    /// The JSON type name used in messages: "a number", "an array", ...
    package var typeDescription: String {
        switch kind {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        case .verbatim: return "a number"
        }
    }
}
