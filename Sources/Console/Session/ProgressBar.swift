import Foundation
import Platform

/// The progress bar on standard error while a command runs on a terminal: nothing for the first
/// half second (most commands are done by then), then one line redrawn ten times a second, such as
///
///     sending rows [=========>          ] 48%  0:03  eta 0:03  480,000/1,000,000
///     sending rows [====================] 100%  0:07  PostgreSQL is finishing |
///     0006_lift_sums.sql  |  0:12
///     fitting the X-learner  /  0:04  3 base learners fitted
///     report lift  -  0:02                      (a command that reports no phase)
///
/// and erased before the command prints its result or error.
final class ProgressBar: @unchecked Sendable {
    private let write: @Sendable (String) -> Void
    private let columns: @Sendable () -> Int
    private let lock = NSLock()
    private var started = 0.0
    private var snapshot: WorkProgress.Snapshot?
    private var drawn = false
    private var frame = 0
    private var timer: DispatchSourceTimer?

    /// Seconds before the first drawing.
    static let delay = 0.5

    init(write: @escaping @Sendable (String) -> Void, columns: @escaping @Sendable () -> Int) {
        self.write = write
        self.columns = columns
    }

    /// The bar on this process's standard error, sized to its terminal.
    static func standardError() -> ProgressBar {
        ProgressBar(write: { text in try? FileHandle.standardError.write(contentsOf: Data(text.utf8)) },
                    columns: {
                        var size = winsize()
                        return ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 80
                    })
    }

    /// What long work reports into (one for the bar's life: it keeps the phase's count).
    private(set) lazy var progress = WorkProgress { [weak self] snapshot in self?.update(snapshot) }

    /// A command starts: the clock starts, and (unless `ticking` is false, for tests) a timer redraws.
    /// Until the work reports a phase, the line names the command: every command past the delay
    /// shows that it is working and for how long.
    func start(_ command: String, at now: Double = ProgressBar.now(), ticking: Bool = true) {
        lock.withLock {
            started = now
            snapshot = WorkProgress.Snapshot(phase: command, done: 0, total: nil)
            drawn = false
            frame = 0
        }
        guard ticking else { return }
        let timer = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
        timer.schedule(deadline: .now() + Self.delay, repeating: 0.1)
        timer.setEventHandler { [weak self] in self?.tick() }
        lock.withLock { self.timer = timer }
        timer.resume()
    }

    func update(_ snapshot: WorkProgress.Snapshot) { lock.withLock { self.snapshot = snapshot } }

    /// Redraws the line, once the delay has passed and some work was reported.
    func tick(at now: Double = ProgressBar.now()) {
        let width = columns()
        lock.withLock {
            guard let line = Self.line(snapshot, elapsed: now - started, frame: frame, columns: width) else { return }
            frame += 1
            drawn = true
            write("\r" + line + "\u{1B}[K")
        }
    }

    /// The command ended: stop redrawing and erase the line, if one was drawn.
    func finish() {
        let timer = lock.withLock { () -> DispatchSourceTimer? in defer { self.timer = nil }; return self.timer }
        timer?.cancel()
        lock.withLock {
            if drawn { write("\r\u{1B}[K") }
            drawn = false
            snapshot = nil
        }
    }

    /// The text of the line, cut to `columns`; nil before the delay or after the end. The
    /// command is on the line above (the user just typed it), so the line starts with the phase.
    static func line(_ snapshot: WorkProgress.Snapshot?, elapsed: Double, frame: Int, columns: Int) -> String? {
        guard elapsed >= delay, let s = snapshot else { return nil }
        var text = s.phase
        let clock = Self.clock(elapsed)
        if let total = s.total, total > 0 {
            let fraction = min(1, max(0, Double(s.done) / Double(total)))
            let cells = 20, full = Int(fraction * Double(cells))
            let bar = String(repeating: "=", count: full) + (full < cells ? ">" + String(repeating: " ", count: cells - full - 1) : "")
            text += " [\(bar)] \(Int(fraction * 100))%  " + clock
            if s.done >= total {
                text += "  " + (s.afterwards.map { $0 + " " } ?? "") + spinner(frame)
            } else {
                if fraction > 0.02 { text += "  eta " + Self.clock(elapsed / fraction - elapsed) }
                text += "  \(grouped(s.done))/\(grouped(total))"
            }
        } else {
            text += "  " + spinner(frame) + "  " + clock
            if s.done > 0 || s.unit != nil { text += "  \(grouped(s.done))" + (s.unit.map { " " + $0 } ?? "") }
        }
        return String(text.prefix(max(10, columns - 1)))
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    private static func spinner(_ frame: Int) -> String { ["|", "/", "-", "\\"][frame % 4] }

    /// m:ss, or h:mm:ss past an hour.
    static func clock(_ seconds: Double) -> String {
        let s = Int(max(0, seconds).rounded(.down))
        let two = { (n: Int) in n < 10 ? "0\(n)" : "\(n)" }
        return s >= 3600 ? "\(s / 3600):\(two(s / 60 % 60)):\(two(s % 60))" : "\(s / 60):\(two(s % 60))"
    }

    /// 1234567 → 1,234,567.
    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (k, ch) in digits.enumerated() {
            if k > 0, (digits.count - k) % 3 == 0 { out += "," }
            out.append(ch)
        }
        return (n < 0 ? "-" : "") + out
    }
}
