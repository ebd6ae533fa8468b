import Foundation
import Postgres

/// How far a long command has come, for the console's progress bar (a terminal's only; scripts
/// and pipes see nothing). Work is a sequence of phases, each with a count done and, when known,
/// a total. Safe to call from any thread; callers report per chunk of work, not per row.
public final class WorkProgress: @unchecked Sendable {
    /// What the bar draws.
    public struct Snapshot: Sendable, Equatable {
        public var phase: String
        public var done: Int
        /// Nil when the work cannot be counted (a statement running on the server).
        public var total: Int?
        /// What a step is, for an uncounted phase's tally ("base learners fitted").
        public var unit: String?
        /// What is still going on once every step is done ("PostgreSQL is finishing").
        public var afterwards: String?

        public init(phase: String, done: Int, total: Int?, unit: String? = nil, afterwards: String? = nil) {
            self.phase = phase
            self.done = done
            self.total = total
            self.unit = unit
            self.afterwards = afterwards
        }
    }

    /// Reports to nobody.
    public static let silent = WorkProgress(nil)

    private let sink: (@Sendable (Snapshot) -> Void)?
    private let lock = NSLock()
    private var current = Snapshot(phase: "", done: 0, total: nil)

    /// `sink` receives every change (from the thread that made it).
    public init(_ sink: (@Sendable (Snapshot) -> Void)?) { self.sink = sink }

    /// Starts a phase of `total` steps (nil: not known); `unit` names a step for the tally of a
    /// phase without a total.
    public func begin(_ phase: String, total: Int? = nil, unit: String? = nil, afterwards: String? = nil) {
        guard let sink else { return }
        sink(lock.withLock { current = Snapshot(phase: phase, done: 0, total: total, unit: unit, afterwards: afterwards); return current })
    }

    /// `steps` more of the current phase are done.
    public func advance(by steps: Int = 1) {
        guard let sink else { return }
        sink(lock.withLock { current.done += steps; return current })
    }

    /// The current phase has `done` steps done.
    public func set(done: Int) {
        guard let sink else { return }
        sink(lock.withLock { current.done = done; return current })
    }

    /// A counter for a pure module's loop: each call adds one step (a replicate, a round, a fold).
    public var step: (@Sendable () -> Void)? {
        guard sink != nil else { return nil }
        return { @Sendable [self] in advance() }
    }

    /// Counts the bytes of its file `reader` has handed out, as the phase `phase`, at each batch
    /// `writer` hands to the server: rows are read and sent as one stream.
    func watch(_ writer: CopyInWriter, _ phase: String, reader: CSVReader) {
        guard sink != nil else { return }
        begin(phase, total: reader.fileSize, afterwards: "PostgreSQL is finishing")
        writer.onFlush = { [self] _ in set(done: reader.position) }
    }

    /// Counts `total` rows into `writer` as the phase `phase`; when every row is sent, the bar
    /// shows the server finishing the COPY (its triggers included).
    public func watch(_ writer: CopyInWriter, _ phase: String, rows total: Int?) {
        guard sink != nil else { return }
        begin(phase, total: total, afterwards: "PostgreSQL is finishing")
        writer.onFlush = { [self] rows in set(done: rows) }
    }
}
