// GenSupport/Diagnostics/Diagnostic.swift - One message for the user, with severity and location.

/// A problem (or note) found in the user's input, printed in gcc style.
package struct Diagnostic: Error, Sendable, Hashable {
    package enum Severity: String, Sendable, Hashable {
        case note, warning, error
    }

    package var severity: Severity
    /// Lowercase start, no trailing period; names the thing, what was expected and what was found.
    package var message: String
    package var location: SourceLocation?

    package init(_ severity: Severity, _ message: String, at location: SourceLocation? = nil) {
        self.severity = severity
        self.message = message
        self.location = location
    }

    /// `model.json:14:9: error: layers[2].weights: expected ... [/layers/2/weights]`
    package var formatted: String {
        var text = ""
        if let location { text += location.prefix + ": " }
        text += severity.rawValue + ": "
        if let path = location?.path, location?.pointer?.isEmpty == false { text += path + ": " }
        text += message
        if let pointer = location?.pointer, !pointer.isEmpty { text += " [\(pointer)]" }
        return text
    }
}

/// Thrown when a stage stops because errors were reported; the diagnostics are in the engine.
package struct GenFailure: Error, Sendable {
    package var diagnostics: [Diagnostic]
    package init(diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
}
