import Foundation
import ReconcileCore

/// Apply progress on stderr: on a terminal one line rewritten in place; otherwise a log line
/// at most every 10 seconds, so an hours-long flush does not flood a CI log.
final class ProgressLine: @unchecked Sendable {
    static let shared = ProgressLine(interactive: isatty(2) == 1)

    private let interactive: Bool
    private let lock = NSLock()
    private var open = false
    private var lastLogged: Date?

    init(interactive: Bool) {
        self.interactive = interactive
    }

    func print(_ line: String) {
        lock.withLock {
            if open { Terminal.writeAll(2, "\n") }
            open = false
            lastLogged = nil
        }
        Terminal.writeError(TerminalText.escaped(line))
    }

    func update(_ text: String) {
        let line = TerminalText.escaped(text)
        lock.withLock {
            if interactive {
                Terminal.writeAll(2, "\r\u{1B}[K\(line)")
                open = true
            } else if lastLogged.map({ Date().timeIntervalSince($0) >= 10 }) ?? true {
                Terminal.writeAll(2, "\(line)\n")
                lastLogged = Date()
            }
        }
    }
}
