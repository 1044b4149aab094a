// GenSupport/JSON/JSONWriter.swift - Writes JSON values byte-for-byte deterministically.

/// Writes `JSONValue`s with two-space indentation, keys in the order given, and numbers in
/// Swift's shortest round-trip form; arrays of scalars stay on one line so tensors remain readable.
package enum JSONWriter {
    package static func write(_ value: JSONValue) -> String {
        var out = ""
        write(value, indent: 0, into: &out)
        out += "\n"
        return out
    }

    /// Formats a number: integers without a fraction, others in shortest round-trip form.
    package static func number(_ value: Double) -> String {
        precondition(value.isFinite, "non-finite numbers cannot be written as JSON")
        if value == value.rounded(), abs(value) < 1e15 {
            return String(Int64(value))
        }
        return "\(value)"
    }

    package static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    private static func isScalar(_ value: JSONValue) -> Bool {
        switch value.kind {
        case .null, .bool, .number, .string, .verbatim: return true
        case .array, .object: return false
        }
    }

    private static func write(_ value: JSONValue, indent: Int, into out: inout String) {
        let pad = String(repeating: "  ", count: indent)
        let innerPad = String(repeating: "  ", count: indent + 1)
        switch value.kind {
        case .null: out += "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .number(let number): out += Self.number(number)
        case .string(let text): out += quoted(text)
        case .verbatim(let text): out += text
        case .array(let elements):
            if elements.isEmpty { out += "[]"; return }
            if elements.allSatisfy(isScalar) {
                out += "["
                for (position, element) in elements.enumerated() {
                    if position > 0 { out += ", " }
                    write(element, indent: 0, into: &out)
                }
                out += "]"
                return
            }
            out += "[\n"
            for (position, element) in elements.enumerated() {
                out += innerPad
                write(element, indent: indent + 1, into: &out)
                out += position + 1 < elements.count ? ",\n" : "\n"
            }
            out += pad + "]"
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            out += "{\n"
            for (position, member) in members.enumerated() {
                out += innerPad + quoted(member.key) + ": "
                write(member.value, indent: indent + 1, into: &out)
                out += position + 1 < members.count ? ",\n" : "\n"
            }
            out += pad + "}"
        }
    }
}

/// Shorthands to build JSON values in code.
extension JSONValue {
    package static func num(_ value: Double) -> JSONValue { JSONValue(.number(value)) }
    package static func int(_ value: Int) -> JSONValue { JSONValue(.number(Double(value))) }
    package static func str(_ value: String) -> JSONValue { JSONValue(.string(value)) }
    package static func bool(_ value: Bool) -> JSONValue { JSONValue(.bool(value)) }
    package static func arr(_ values: [JSONValue]) -> JSONValue { JSONValue(.array(values)) }
    package static func obj(_ members: [(String, JSONValue)]) -> JSONValue {
        JSONValue(.object(members.map { (key: $0.0, value: $0.1) }))
    }
    package static func numbers(_ values: [Double]) -> JSONValue { .arr(values.map { .num($0) }) }
    package static func ints(_ values: [Int]) -> JSONValue { .arr(values.map { .int($0) }) }
    package static let null = JSONValue(.null)
}
