// GenSupport/JSON/JSONObjectReader.swift - Reads the members of one JSON object, reporting located errors.

/// Reads typed members of a JSON object. Every problem becomes a located diagnostic and the
/// accessor returns nil, so a reader can keep going and report all problems of a file at once.
package struct JSONObjectReader {
    package let value: JSONValue
    package let members: [(key: String, value: JSONValue)]
    package let pointer: String
    package let file: String
    package let diagnostics: DiagnosticEngine

    /// Returns nil (after reporting) when `value` is not an object.
    package init?(
        _ value: JSONValue, pointer: String, file: String, diagnostics: DiagnosticEngine, what: String = "an object"
    ) {
        guard case .object(let members) = value.kind else {
            diagnostics.error(
                "expected \(what), found \(value.typeDescription)",
                at: SourceLocation(file: file, value: value, pointer: pointer))
            return nil
        }
        self.value = value
        self.members = members
        self.pointer = pointer
        self.file = file
        self.diagnostics = diagnostics
    }

    package func member(_ key: String) -> JSONValue? { members.first { $0.key == key }?.value }
    package func has(_ key: String) -> Bool { member(key) != nil }
    package func pointer(of key: String) -> String { JSONPath.append(key, to: pointer) }

    /// The location of a member's value, or of the object itself when the member is missing.
    package func location(of key: String) -> SourceLocation {
        if let child = member(key) { return SourceLocation(file: file, value: child, pointer: pointer(of: key)) }
        return SourceLocation(file: file, value: value, pointer: pointer(of: key))
    }

    package var location: SourceLocation { SourceLocation(file: file, value: value, pointer: pointer) }

    /// Reports every key not in `allowed` (the reader never guesses what an unknown key means).
    package func rejectUnknownKeys(allowed: [String], context: String = "") {
        for (key, child) in members where !allowed.contains(key) {
            diagnostics.error(
                "unknown key '\(key)'\(context); expected one of \(allowed.map { "'\($0)'" }.joined(separator: ", "))",
                at: SourceLocation(file: file, value: child, pointer: pointer(of: key)))
        }
    }

    package func required(_ key: String, _ expectation: String) -> JSONValue? {
        guard let child = member(key) else {
            diagnostics.error("missing required key '\(key)' (\(expectation))", at: location(of: key))
            return nil
        }
        return child
    }

    package func requiredString(_ key: String) -> String? {
        guard let child = required(key, "a string") else { return nil }
        return string(child, key: key)
    }

    package func optionalString(_ key: String) -> String? {
        guard let child = member(key) else { return nil }
        return string(child, key: key)
    }

    private func string(_ child: JSONValue, key: String) -> String? {
        guard case .string(let text) = child.kind else {
            diagnostics.error("expected a string, found \(child.typeDescription)", at: location(of: key))
            return nil
        }
        return text
    }

    package func optionalBool(_ key: String) -> Bool? {
        guard let child = member(key) else { return nil }
        guard case .bool(let flag) = child.kind else {
            diagnostics.error("expected true or false, found \(child.typeDescription)", at: location(of: key))
            return nil
        }
        return flag
    }

    /// A finite number.
    package func number(_ child: JSONValue, pointer: String) -> Double? {
        guard case .number(let number) = child.kind else {
            diagnostics.error(
                "expected a number, found \(child.typeDescription)",
                at: SourceLocation(file: file, value: child, pointer: pointer))
            return nil
        }
        guard number.isFinite else {
            diagnostics.error(
                "number is too large to be finite", at: SourceLocation(file: file, value: child, pointer: pointer))
            return nil
        }
        return number
    }

    /// A whole number within `range`.
    package func integer(_ child: JSONValue, pointer: String, range: ClosedRange<Int>, what: String) -> Int? {
        guard let number = number(child, pointer: pointer) else { return nil }
        guard number == number.rounded(), number >= Double(range.lowerBound), number <= Double(range.upperBound)
        else {
            diagnostics.error(
                "expected \(what) a whole number from \(range.lowerBound) to \(range.upperBound), found \(JSONWriter.number(number))",
                at: SourceLocation(file: file, value: child, pointer: pointer))
            return nil
        }
        return Int(number)
    }

    /// An array of whole numbers, each within `range`, of the given length if `count` is set.
    package func integerArray(
        _ key: String, count: Int?, range: ClosedRange<Int>, what: String
    ) -> [Int]? {
        guard let child = member(key) else { return nil }
        guard case .array(let elements) = child.kind else {
            diagnostics.error("expected \(what), found \(child.typeDescription)", at: location(of: key))
            return nil
        }
        if let count, elements.count != count {
            diagnostics.error("expected \(what), found \(elements.count) elements", at: location(of: key))
            return nil
        }
        var values: [Int] = []
        for (position, element) in elements.enumerated() {
            guard
                let value = integer(
                    element, pointer: JSONPath.append(String(position), to: pointer(of: key)), range: range,
                    what: "an element of \(what),")
            else { return nil }
            values.append(value)
        }
        return values
    }

    package func optionalStringArray(_ key: String) -> [String]? {
        guard let child = member(key) else { return nil }
        guard case .array(let elements) = child.kind else {
            diagnostics.error("expected an array of strings, found \(child.typeDescription)", at: location(of: key))
            return nil
        }
        var values: [String] = []
        for element in elements {
            guard case .string(let text) = element.kind else {
                diagnostics.error("expected an array of strings", at: location(of: key))
                return nil
            }
            values.append(text)
        }
        return values
    }
}

extension SourceLocation {
    /// The location of a parsed JSON value.
    package init(file: String, value: JSONValue, pointer: String) {
        self.init(
            file: file, line: value.line > 0 ? Int(value.line) : nil,
            column: value.column > 0 ? Int(value.column) : nil, pointer: pointer)
    }
}
