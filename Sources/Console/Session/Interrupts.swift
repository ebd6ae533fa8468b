import Foundation
import Platform

/// The SIGINT handler's pipe: written from the handler, read by the watcher thread.
nonisolated(unsafe) private var interruptPipe: (read: Int32, write: Int32) = (-1, -1)

/// Ctrl-C in the interactive console, as in psql: while a command runs, the first press asks the
/// server to cancel the statement it is running (the command fails with "canceling statement due to
/// user request", its transaction rolls back, the session goes on). A second press during the same
/// command ends the console with status 130: a command busy in Swift (training a model, say) has no
/// statement to cancel, and closing the connection rolls back what it had not committed. At the
/// prompt, Ctrl-C does nothing. Scripts keep the default: Ctrl-C ends them.
final class Interrupts: @unchecked Sendable {
    static let shared = Interrupts()

    private let lock = NSLock()
    private var canceller: StatementCanceller?
    private var running = false
    private var presses = 0

    /// Takes SIGINT over for the rest of the process (interactive sessions only: they own the
    /// terminal). The handler only writes a byte to a pipe (async-signal-safe); a thread of ours
    /// reads it and acts. (A dispatch signal source missed presses while the main thread computed.)
    func install() {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return }
        interruptPipe = (ends[0], ends[1])
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in
            var byte: UInt8 = 1
            _ = write(interruptPipe.write, &byte, 1)
        }
        action.sa_flags = SA_RESTART
        sigemptyset(&action.sa_mask)
        sigaction(SIGINT, &action, nil)
        Thread.detachNewThread { [self] in
            var byte: UInt8 = 0
            while read(interruptPipe.read, &byte, 1) == 1 { pressed() }
        }
    }

    /// The session's connection changed (nil: closed).
    func connected(_ canceller: StatementCanceller?) { lock.withLock { self.canceller = canceller } }

    func commandStarted() { lock.withLock { running = true; presses = 0 } }

    func commandEnded() { lock.withLock { running = false } }

    private func pressed() {
        func say(_ text: String) { try? FileHandle.standardError.write(contentsOf: Data(text.utf8)) }
        let (running, presses, canceller) = lock.withLock { () -> (Bool, Int, StatementCanceller?) in
            if self.running { self.presses += 1 }
            return (self.running, self.presses, self.canceller)
        }
        guard running else { return }
        if presses == 1 {
            canceller?.cancel()
            say("\r\u{1B}[KCancel request sent (Ctrl-C again to stop the console)\n")  // over the progress bar's line
        } else {
            say("\r\u{1B}[Kcauseway: interrupted; what the command had not committed is rolled back\n")
            exit(130)
        }
    }
}
