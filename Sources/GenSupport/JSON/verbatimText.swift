// GenSupport/JSON/verbatimText.swift - The JSON text of one parsed value, as the file wrote it.

/// `value` with every number replaced by its text as written in `bytes` (a `.verbatim` scalar), so that
/// writing it back keeps every digit (9007199254740993 is no Double) while objects and arrays are laid
/// out as the writer lays out everything else.
package func keepingNumberText(_ value: JSONValue, in bytes: [UInt8]) -> JSONValue {
    var out = value
    switch value.kind {
    case .number:
        if let text = verbatimText(of: value, in: bytes) { out.kind = .verbatim(text) }
    case .array(let elements):
        out.kind = .array(elements.map { keepingNumberText($0, in: bytes) })
    case .object(let members):
        out.kind = .object(members.map { (key: $0.key, value: keepingNumberText($0.value, in: bytes)) })
    case .null, .bool, .string, .verbatim:
        break
    }
    return out
}

/// The text of `value` in the document `bytes` it was parsed from (located by its line and column), with
/// the whitespace between tokens removed: strings and numbers keep their exact characters, so a number
/// with more digits than a Double holds is carried unchanged. Nil if `value` has no location in `bytes`.
package func verbatimText(of value: JSONValue, in bytes: [UInt8]) -> String? {
    // The parser counts columns in bytes from the start of the line (after a byte-order mark on line 1).
    var line: Int32 = 1
    var index = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
    while line < value.line, index < bytes.count {
        if bytes[index] == UInt8(ascii: "\n") { line += 1 }
        index += 1
    }
    index += Int(value.column) - 1
    guard line == value.line, value.column >= 1, index < bytes.count else { return nil }
    var out: [UInt8] = []
    var depth = 0
    var inString = false
    var escaped = false
    while index < bytes.count {
        let byte = bytes[index]
        index += 1
        if inString {
            out.append(byte)
            if escaped {
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                inString = false
                if depth == 0 { break }
            }
            continue
        }
        switch byte {
        case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
            if depth == 0 && !out.isEmpty { return String(decoding: out, as: UTF8.self) }
            continue
        case UInt8(ascii: "\""):
            inString = true
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            depth += 1
        case UInt8(ascii: "}"), UInt8(ascii: "]"):
            if depth == 0 { return String(decoding: out, as: UTF8.self) }
            depth -= 1
            out.append(byte)
            if depth == 0 { return String(decoding: out, as: UTF8.self) }
            continue
        case UInt8(ascii: ","):
            if depth == 0 { return String(decoding: out, as: UTF8.self) }
        default:
            break
        }
        out.append(byte)
    }
    return out.isEmpty ? nil : String(decoding: out, as: UTF8.self)
}
