// GenSupport/Diagnostics/DiagnosticEngine.swift - Collects every diagnostic of a stage before stopping.

/// Collects diagnostics so that a stage reports all the errors it can find, then stops at `checkpoint()`.
///
/// One engine belongs to one run of the pipeline; it is not shared between threads.
package final class DiagnosticEngine {
    package private(set) var diagnostics: [Diagnostic] = []

    package init() {}

    package var errorCount: Int { diagnostics.filter { $0.severity == .error }.count }
    package var hasErrors: Bool { errorCount > 0 }

    package func emit(_ diagnostic: Diagnostic) { diagnostics.append(diagnostic) }

    package func error(_ message: String, at location: SourceLocation? = nil) {
        emit(Diagnostic(.error, message, at: location))
    }

    package func warning(_ message: String, at location: SourceLocation? = nil) {
        emit(Diagnostic(.warning, message, at: location))
    }

    package func note(_ message: String, at location: SourceLocation? = nil) {
        emit(Diagnostic(.note, message, at: location))
    }

    /// Stops the pipeline when any error has been reported so far.
    /// - Throws: `GenFailure` carrying every diagnostic collected.
    package func checkpoint() throws(GenFailure) {
        if hasErrors { throw GenFailure(diagnostics: diagnostics) }
    }
}
