import Foundation
import Postgres
import Randomization

/// Exposure events from SDKs (`POST /api/exposures` of `causeway serve`, `import exposures`): a unit
/// saw an experiment's variation at a time. Stored in the experiment's current phase, unit-first; a
/// retried event (same unit, experiment, phase, time and variation) is stored once.
public enum Exposures {
    /// One event as received. The variation is the arm's name or its index (GrowthBook's
    /// `variationId`).
    public struct Event: Sendable {
        public var unit: String
        public var experiment: String
        public var variation: Variation
        public var timestamp: Date

        public enum Variation: Sendable, Equatable { case name(String), index(Int) }

        public init(unit: String, experiment: String, variation: Variation, timestamp: Date) {
            self.unit = unit
            self.experiment = experiment
            self.variation = variation
            self.timestamp = timestamp
        }
    }

    /// The experiments events may name: each one's id, current phase and arms. The server keeps one
    /// and renews it when the catalog changes.
    public struct Catalog: Sendable {
        let experiments: [String: (id: Int64, phase: Int32, arms: [String])]

        /// No experiments (before the first read of the catalog).
        public static let empty = Catalog(experiments: [:])

        public static func load(in store: Store) throws -> Catalog {
            let rows = try store.connection.query("""
                SELECT e.name, e.id, e.phase, array_agg(a.name ORDER BY a.position) FROM experiments e
                JOIN arms a ON a.experiment_id = e.id GROUP BY e.id
                """).decode((String, Int64, Int32, [String]).self)
            return Catalog(experiments: Dictionary(uniqueKeysWithValues: rows.map { ($0.0, ($0.1, $0.2, $0.3)) }))
        }

        /// The stored row of an event, or why it is refused (the message names the event).
        func resolve(_ event: Event, at position: String) throws -> (Int64, Int32, String) {
            guard !event.unit.isEmpty, event.unit.utf8.count <= 256, !event.unit.utf8.contains(0) else {
                throw PlatformError(.invalidInput, "\(position): \"unit\" must be 1 to 256 bytes without NUL")
            }
            guard let e = experiments[event.experiment] else {
                throw PlatformError(.notFound, "\(position): experiment \"\(event.experiment)\" does not exist")
            }
            switch event.variation {
            case .name(let name):
                guard e.arms.contains(name) else {
                    throw PlatformError(.invalidInput, "\(position): experiment \"\(event.experiment)\" has no arm \"\(name)\" (arms: \(e.arms.joined(separator: ",")))")
                }
                return (e.id, e.phase, name)
            case .index(let index):
                guard e.arms.indices.contains(index) else {
                    throw PlatformError(.invalidInput, "\(position): variation \(index) is out of range for experiment \"\(event.experiment)\" (\(e.arms.count) arms)")
                }
                return (e.id, e.phase, e.arms[index])
            }
        }
    }

    /// What a batch did.
    public struct Stored: Sendable {
        /// Events received.
        public let events: Int
        /// Events new to the store (the rest were there already: a retried batch).
        public let new: Int
    }

    /// Stores a batch in one transaction: every event is checked first (an unknown experiment or arm
    /// refuses the whole batch, naming the event); then COPY into a staging table and one insert that
    /// skips events already stored. Returns after the commit.
    public static func store(_ events: [Event], catalog: Catalog, source: String = "event", in store: Store) throws -> Stored {
        var rows: [(String, Int64, Int32, String, Date)] = []
        rows.reserveCapacity(events.count)
        for (k, event) in events.enumerated() {
            let (id, phase, arm) = try catalog.resolve(event, at: "\(source) \(k + 1)")
            rows.append((event.unit, id, phase, arm, event.timestamp))
        }
        return try write(rows, in: store)
    }

    /// COPYs checked rows into the session's batch table and inserts those not stored yet, in one
    /// transaction.
    static func write(_ rows: [(String, Int64, Int32, String, Date)], in store: Store) throws -> Stored {
        guard !rows.isEmpty else { return Stored(events: 0, new: 0) }
        if !store.sessionTables.contains("causeway_exposure_batch") {
            try store.connection.execute("""
                CREATE TEMP TABLE IF NOT EXISTS causeway_exposure_batch
                (unit text, experiment_id bigint, phase integer, variation text, ts timestamptz) ON COMMIT DELETE ROWS
                """)
            store.sessionTables.insert("causeway_exposure_batch")
        }
        let new = try store.connection.transaction { c in
            _ = try c.copyIn("COPY causeway_exposure_batch (unit, experiment_id, phase, variation, ts) FROM STDIN") { writer in
                for row in rows { try writer.writeRow(row.0, row.1, row.2, row.3, row.4) }
            }
            return try c.query("""
                WITH added AS (
                    INSERT INTO exposures (unit, experiment_id, phase, variation, ts)
                    SELECT unit, experiment_id, phase, variation, ts FROM causeway_exposure_batch
                    ON CONFLICT DO NOTHING RETURNING 1)
                SELECT count(*)::bigint FROM added
                """).decodeOne(Int.self)
        }
        return Stored(events: rows.count, new: new)
    }

    /// `import exposures FILE.csv`: header `unit,experiment,variation,timestamp` (the variation an arm
    /// name or index), for SDK logs collected elsewhere. One transaction; a bad line refuses the file.
    public static func importCSV(path: String, in store: Store) throws -> Stored {
        let file = try CSVReader(path: path, required: ["unit", "experiment", "variation", "timestamp"])
        let (u, e, v, t) = (file.column("unit")!, file.column("experiment")!, file.column("variation")!, file.column("timestamp")!)
        let catalog = try Catalog.load(in: store)
        var rows: [(String, Int64, Int32, String, Date)] = []
        while try file.next() {
            let text = try file.string(t)
            guard let time = Timestamps.parse(text) else {
                throw file.error(t, "is \"\(text)\", not a time such as 2026-11-22T10:15:00Z")
            }
            let variation = try file.string(v)
            let event = Event(unit: try file.unit(u), experiment: try file.string(e),
                              variation: Int(variation).map(Event.Variation.index) ?? .name(variation), timestamp: time)
            let resolved: (Int64, Int32, String)
            do { resolved = try catalog.resolve(event, at: "\(path):\(file.line)") } catch let error as PlatformError {
                throw PlatformError(.invalidFile, error.message)
            }
            rows.append((event.unit, resolved.0, resolved.1, resolved.2, time))
        }
        return try write(rows, in: store)
    }

    /// Exposed units of an experiment's current phase per arm (by the arm each unit was stored
    /// with), the SRM check on them, and the events whose variation differs from the stored arm: an
    /// SDK that disagreed with Causeway.
    public struct Counts: Sendable {
        public let arms: [(name: String, exposed: Int)]
        /// Exposed units with no stored assignment in this phase.
        public let unassigned: Int
        /// Units whose exposure named another arm than the stored one.
        public let disagreeing: Int
        public let sampleRatio: SampleRatioMismatch?
    }

    public static func counts(_ e: Experiment, on c: Connection) throws -> Counts {
        // Per exposed unit, its distinct variations against its stored row: no row (unassigned), held
        // out, or an arm that the variations should all equal; and the weight segment it was assigned
        // in, so that SRM compares each unit with the weights in force then.
        let (segment, segments) = try LiftReport.weightSegments(e, on: c)
        let rows = try c.query("""
            SELECT a.arm, a.unit IS NULL, \(segment)::int, count(*)::bigint,
                   count(*) FILTER (WHERE a.held_out OR NOT (x.variations <@ ARRAY[a.arm]))::bigint
            FROM (SELECT unit, array_agg(DISTINCT variation) AS variations FROM exposures
                  WHERE experiment_id = \(e.id) AND phase = \(Int32(e.phase)) GROUP BY unit) x
            LEFT JOIN assignments a ON a.unit = x.unit AND a.experiment_id = \(e.id) AND a.phase = \(Int32(e.phase))
            GROUP BY 1, 2, 3
            """).decode((String?, Bool, Int32, Int, Int).self)
        let position = Dictionary(uniqueKeysWithValues: e.arms.enumerated().map { ($1.name, $0) })
        var perArm = [Int](repeating: 0, count: e.arms.count)
        var bySegment: [Int: [Int]] = [:]
        var unassigned = 0, disagreeing = 0
        for (arm, missing, seg, units, wrong) in rows {
            if missing { unassigned += units; continue }
            disagreeing += wrong
            guard let arm, let k = position[arm] else { continue }
            perArm[k] += units
            if seg >= 0 { bySegment[Int(seg), default: [Int](repeating: 0, count: e.arms.count)][k] += units }
        }
        let checked = bySegment.keys.sorted().compactMap { k -> (counts: [Int], weights: [Double])? in
            segments[k].1.count == e.arms.count ? (bySegment[k]!, segments[k].1) : nil
        }
        return Counts(arms: zip(e.arms, perArm).map { ($0.name, $1) }, unassigned: unassigned, disagreeing: disagreeing,
                      sampleRatio: SampleRatioMismatch(segments: checked))
    }
}
