// GenDriver/ProgressReporter.swift - Progress lines for long steps (verification now, training later).

import Foundation

/// Shows progress on standard error: one rewritten line on a terminal, a plain line at each
/// quarter when the output is not a terminal, nothing when quiet.
package final class ProgressReporter {
    package enum Mode: Sendable {
        case terminal, lines, quiet
    }

    private let mode: Mode
    private let clock: () -> Double
    private let start: Double
    private var lastQuarter = -1

    /// Chooses the mode from `quiet`; the time of creation is the start of the work (for the ETA). and whether standard error is a terminal.
    package init(quiet: Bool, clock: @escaping () -> Double = { Date().timeIntervalSinceReferenceDate }) {
        self.mode = quiet ? .quiet : (isatty(STDERR_FILENO) == 1 ? .terminal : .lines)
        self.clock = clock
        self.start = clock()
    }

    package init(mode: Mode, clock: @escaping () -> Double) {
        self.mode = mode
        self.clock = clock
        self.start = clock()
    }

    /// Reports `done` of `total` units of `task`, with extra text such as a loss or an accuracy.
    /// Returns the text written (empty when nothing was written), for tests.
    @discardableResult
    package func update(_ task: String, done: Int, total: Int, detail: String = "") -> String {
        let elapsed = clock() - start
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        var text = "\(task): \(done)/\(total) (\(Int((fraction * 100).rounded(.down)))%)"
        if !detail.isEmpty { text += ", " + detail }
        // An estimate from under 5 % of the work is noise; wait for more.
        if done < total, fraction >= 0.05 {
            text += ", ETA \(Int((elapsed / fraction - elapsed).rounded()))s"
        }
        switch mode {
        case .quiet:
            return ""
        case .terminal:
            let line = "\r" + text + (done >= total ? "\n" : "")
            FileHandle.standardError.write(Data(line.utf8))
            return line
        case .lines:
            let quarter = Int(fraction * 4)
            guard quarter > lastQuarter else { return "" }
            lastQuarter = quarter
            FileHandle.standardError.write(Data((text + "\n").utf8))
            return text + "\n"
        }
    }
}
