import Foundation
import Postgres
import Randomization

/// `assign`: sticky assignment of units to arms. Stored assignments never move; new units follow
/// the current weights; held-out units get no arm and are recorded as held out.
public enum Assigner {
    /// Where a unit landed.
    public enum Outcome: Sendable, Equatable {
        case arm(String)
        /// In the universal holdout: no arm, recorded.
        case heldOut
        /// Outside the coverage or the layer's range: not recorded, may enter if coverage grows.
        case notInExperiment
    }

    /// One unit's assignment.
    public struct Single: Sendable {
        public let outcome: Outcome
        /// False when the stored assignment was returned.
        public let isNew: Bool
        /// The unit's cluster, for cluster designs.
        public let cluster: String?
    }

    /// Assigns one unit of a user-split or cluster experiment, storing it (sticky).
    ///
    /// Safe beside any other writer: the experiment's row is held FOR SHARE, so a bulk assignment
    /// or a change of weights (FOR UPDATE) is either done or not begun; two callers assigning the
    /// same unit at once both insert with ON CONFLICT DO NOTHING, and the one that finds the row
    /// taken reads back the stored arm, which both print.
    @discardableResult
    public static func assign(_ name: String, unit: String, in store: Store) throws -> Single {
        try UnitID.check(unit)
        return try store.connection.transaction { c in
            let experiment = try Experiment.load(name, on: c, share: true)
            guard experiment.design != .switchback else {
                throw PlatformError("experiment \"\(name)\" is a switchback: give \(.at) TIME and \(.region) R")
            }
            func stored() throws -> [(String?, Bool)] {
                try c.query("""
                    SELECT arm, held_out FROM assignments
                    WHERE unit = \(unit) AND experiment_id = \(experiment.id) AND phase = \(Int32(experiment.phase))
                    """).decode((String?, Bool).self)
            }
            var cluster: String?
            if experiment.design == .cluster {
                cluster = try clusterOf(unit, mapping: experiment.parameters.clusters ?? "default", on: c)
            }
            if let row = try stored().first {
                return Single(outcome: row.1 ? .heldOut : .arm(row.0 ?? ""), isNew: false, cluster: cluster)
            }
            guard experiment.status == .running else {
                throw PlatformError("experiment \"\(name)\" is \(experiment.status.rawValue); only a running experiment assigns new units")
            }
            let outcome = try decide(unit: unit, cluster: cluster, experiment: experiment, holdout: HoldoutSettings.current(on: c))
            let arm: String?
            switch outcome {
            case .arm(let name): arm = name
            case .heldOut: arm = nil
            case .notInExperiment: return Single(outcome: outcome, isNew: false, cluster: cluster)
            }
            // assigned_at is the clock under the lock, so the weights in force (arm_weights.valid_from,
            // also a clock under the lock) are the ones this arm was drawn with.
            let inserted = try Upkeep.assignOne(unit: unit, experiment: experiment.id, phase: experiment.phase, arm: arm, on: c)
            if !inserted, let row = try stored().first {
                // Another caller stored this unit a moment ago: its arm is the one that sticks.
                return Single(outcome: row.1 ? .heldOut : .arm(row.0 ?? ""), isNew: false, cluster: cluster)
            }
            return Single(outcome: outcome, isNew: true, cluster: cluster)
        }
    }

    static func decide(unit: String, cluster: String?, experiment: Experiment, holdout: Holdout?) throws -> Outcome {
        if let holdout, holdout.group(of: unit) == .heldOut { return .heldOut }
        let split = try experiment.userSplit()
        guard let index = split.assign(cluster ?? unit) else { return .notInExperiment }
        return .arm(experiment.arms[index].name)
    }

    private static func clusterOf(_ unit: String, mapping: String, on c: Connection) throws -> String {
        let rows = try c.query("SELECT cluster FROM unit_clusters WHERE unit = \(unit) AND mapping = \(mapping)").decode(String.self)
        guard let cluster = rows.first else {
            throw PlatformError("unit \"\(unit)\" has no cluster in mapping \"\(mapping)\"; import clusters first")
        }
        return cluster
    }

    /// The arm in force for a switchback region at a time, with its window and burn-in.
    public struct SwitchbackAssignment: Sendable {
        public let arm: String
        public let region: String
        public let window: SwitchbackDesign.Window
        public let inBurnIn: Bool
        public let switched: Bool
    }

    /// Looks up a switchback's arm in force; nothing is stored (the schedule is a pure function).
    public static func assignSwitchback(_ name: String, region: String, at time: Date, in store: Store) throws -> SwitchbackAssignment {
        let experiment = try Experiment.load(name, on: store.connection)
        guard experiment.design == .switchback else {
            throw PlatformError("experiment \"\(name)\" is a \(experiment.design.rawValue) design; \(.at) and \(.region) are for switchbacks")
        }
        guard experiment.status != .draft else { throw PlatformError("experiment \"\(name)\" is draft; start it first") }
        guard experiment.parameters.regions?.contains(region) ?? false else {
            throw PlatformError("experiment \"\(name)\" has no region \"\(region)\" (regions: \(experiment.parameters.regions?.joined(separator: ",") ?? ""))")
        }
        let design = try experiment.switchbackDesign()
        let t = Int64(time.timeIntervalSince1970.rounded(.down))
        guard let assignment = design.assign(region: region, at: t) else {
            throw PlatformError("\(PostgresTimestamp.format(time).prefix(19)) UTC is outside the experiment's periods")
        }
        return SwitchbackAssignment(arm: experiment.arms[assignment.arm].name, region: region, window: assignment.window,
                                    inBurnIn: assignment.inBurnIn, switched: assignment.switched)
    }

    /// What a bulk assignment did.
    public struct BulkResult: Sendable {
        /// Units per arm (new and already stored), in arm order.
        public var arms: [(name: String, count: Int)]
        public var heldOut: Int
        /// Outside coverage or layer range: not recorded.
        public var notInExperiment: Int
        /// Assignments written now.
        public var new: Int
        /// Units that already had an assignment (left as stored).
        public var existing: Int
    }

    /// Assigns every unit of a CSV file (header `unit`) in one transaction: stored units keep their
    /// arm, new ones are hashed in Swift and written with COPY. The file is streamed, never held:
    /// memory stays flat however many units it names.
    @discardableResult
    public static func assignBulk(_ name: String, unitsFile path: String, in store: Store) throws -> BulkResult {
        try assignBulk(name, source: .file(path), in: store)
    }

    /// Assigns `units` (read from `source`, a file named in errors) in one transaction.
    @discardableResult
    static func assignBulk(_ name: String, units: [String], source path: String, in store: Store) throws -> BulkResult {
        try assignBulk(name, source: UnitSource(path: path) { body in
            for (k, unit) in units.enumerated() { try body(unit, k + 2) }
        }, in: store)
    }

    /// Units to assign, read as often as the path taken needs: a file is read again, not held.
    struct UnitSource {
        /// Named in errors.
        let path: String
        /// Hands each unit with its line to `body`.
        let each: (_ body: (_ unit: String, _ line: Int) throws -> Void) throws -> Void

        static func file(_ path: String) -> UnitSource {
            UnitSource(path: path) { body in
                let file = try CSVReader(path: path, required: ["unit"])
                let column = file.column("unit")! // never nil: required
                while try file.next() { try body(try file.unit(column), file.line) }
            }
        }
    }

    /// Assigns the units of `source` in one transaction. `runLength` is the number of units per
    /// sorted run of the optimistic pass (the default, 2^20, holds 32 MB of short ids whatever the
    /// file's size); tests shorten it.
    static func assignBulk(_ name: String, source: UnitSource, runLength: Int = 1 << 20, in store: Store) throws -> BulkResult {
        try store.connection.transaction { c in
            try Upkeep.bulkMemory(on: c)
            let experiment = try Experiment.load(name, on: c, lock: true)
            guard experiment.design != .switchback else {
                throw PlatformError("experiment \"\(name)\" is a switchback: its units are region and time windows")
            }
            guard experiment.status == .running else {
                throw PlatformError("experiment \"\(name)\" is \(experiment.status.rawValue); only a running experiment assigns units")
            }
            let holdout = try HoldoutSettings.current(on: c)
            let split = try experiment.userSplit()
            // The weights in force must be the ones drawn with (see `assign`). The transaction's start,
            // now(), is the column's default and serves when no change of weights committed after it
            // (the common case: one value for the whole COPY, nothing to parse per row); otherwise
            // each row carries the clock under the lock.
            let (clock, weightsChangedSinceStart) = try c.query("""
                SELECT clock_timestamp()::text, now() < coalesce(max(valid_from), '-infinity')
                FROM arm_weights WHERE experiment_id = \(experiment.id) AND phase = \(Int32(experiment.phase))
                """).decodeOne((String, Bool).self)
            let assignedAt: String? = weightsChangedSinceStart ? clock : nil
            var clusters: [String: String] = [:]
            let mapping = experiment.parameters.clusters ?? "default"
            if experiment.design == .cluster {
                try c.copyOutRows("COPY (SELECT unit, cluster FROM unit_clusters WHERE mapping = \(mapping)) TO STDOUT") { row in
                    let (unit, cluster) = try row.decode((String, String).self)
                    clusters[unit] = cluster
                }
            }
            // A unit's arm index, -1 when held out, nil when outside the experiment.
            let decide = { (unit: String, line: Int) throws -> Int? in
                var key = unit
                if experiment.design == .cluster {
                    guard let cluster = clusters[unit] else {
                        throw PlatformError("\(source.path):\(line): unit \"\(unit)\" has no cluster in mapping \"\(mapping)\"")
                    }
                    key = cluster
                }
                if let holdout, holdout.group(of: unit) == .heldOut { return -1 }
                return split.assign(key)
            }
            let bulk = Bulk(experiment: experiment, assignedAt: assignedAt, source: source, runLength: runLength, decide: decide)
            try Upkeep.prepareBatch(on: c)
            // Optimistic unless the file begins with stored units: every unit is new, straight into
            // assignments with COPY. A stored one breaks the primary key, which undoes the pass (a
            // savepoint) for the careful one.
            if try !bulk.headIsStored(on: c) {
                do {
                    return try c.transaction { c in try bulk.sendNew(on: c, progress: store.progress) }
                } catch let error as PostgresError where error.code == .uniqueViolation {
                }
            }
            return try bulk.sendCarefully(on: c)
        }
    }

    /// One bulk assignment's two passes.
    private struct Bulk {
        let experiment: Experiment
        let assignedAt: String?
        let source: UnitSource
        let runLength: Int
        let decide: (String, Int) throws -> Int?

        /// Every count zero, each arm named.
        var nothingYet: BulkResult {
            BulkResult(arms: experiment.arms.map { ($0.name, 0) }, heldOut: 0, notInExperiment: 0, new: 0, existing: 0)
        }

        var columns: SQLQuery {
            assignedAt == nil ? "unit, experiment_id, phase, arm, held_out" : "unit, experiment_id, phase, arm, held_out, assigned_at"
        }

        func write(_ unit: String, _ index: Int, to writer: CopyInWriter) throws {
            let arm = index < 0 ? nil : experiment.arms[index].name
            if let assignedAt {
                try writer.writeRow(unit, experiment.id, Int32(experiment.phase), arm, index < 0, assignedAt)
            } else {
                try writer.writeRow(unit, experiment.id, Int32(experiment.phase), arm, index < 0)
            }
        }

        /// Each distinct unit of the source with its decision, in sorted runs of `runLength` (rows in
        /// key order make the primary key's B-tree fill pages in order: 1,000,000 rows into a table
        /// of 2,000,000, 1.7 s sorted, 2.9 s shuffled). Returns the number of runs.
        @discardableResult
        func eachDistinct(_ body: (String, Int?) throws -> Void) throws -> Int {
            var run: [(unit: String, index: Int?)] = []
            run.reserveCapacity(1024)
            var runs = 0
            func flush() throws {
                guard !run.isEmpty else { return }
                run.sort { $0.unit.utf8.lexicographicallyPrecedes($1.unit.utf8) }
                var previous: String?
                for (unit, index) in run where unit != previous {
                    try body(unit, index)
                    previous = unit
                }
                run.removeAll(keepingCapacity: true)
                runs += 1
            }
            try source.each { unit, line in
                run.append((unit, try decide(unit, line)))
                if run.count == runLength { try flush() }
            }
            try flush()
            return runs
        }

        /// Every unit is new: rows into assignments as they are decided, counted per arm here, and
        /// the arms' counts kept from those counts. Units that have totals already (outcomes came
        /// first) add to the metric sums too: their rows go again, from the source, into the batch
        /// table the sums are kept from. A unit repeated in different runs breaks the primary key
        /// (the careful pass then), unless it is outside the experiment: those are counted once by
        /// the server when the source has more than one run.
        func sendNew(on c: Connection, progress: WorkProgress) throws -> BulkResult {
            var result = nothingYet
            var runs = 0
            try c.copyIn("COPY assignments (\(columns)) FROM STDIN") { writer in
                progress.watch(writer, "sending assignments", rows: nil)
                runs = try eachDistinct { unit, index in
                    guard let index else {
                        result.notInExperiment += 1
                        return
                    }
                    try write(unit, index, to: writer)
                    if index >= 0 { result.arms[index].count += 1 } else { result.heldOut += 1 }
                    result.new += 1
                }
            }
            if runs > 1, result.notInExperiment > 0 {
                try c.execute("CREATE TEMP TABLE causeway_outside (unit text) ON COMMIT DROP")
                try c.copyIn("COPY causeway_outside (unit) FROM STDIN") { writer in
                    try eachDistinct { unit, index in if index == nil { try writer.writeRow(unit) } }
                }
                result.notInExperiment = try c.query("SELECT count(DISTINCT unit) FROM causeway_outside").decodeOne(Int.self)
            }
            // Statistics that know the new rows, before the sums read them (the planner would
            // otherwise look a million units up one by one in a phase it believes empty).
            if result.new >= 10_000 { try c.execute("ANALYZE assignments") }
            // The sums' lock before unit_totals is read: a large import swaps a metric's totals
            // under it, and a reader holding unit_totals while waiting for it would deadlock that.
            try c.execute("SELECT causeway_lock_sums()")
            let e = experiment.id, phase = Int32(experiment.phase)
            let (hasTotals, before) = try c.query("""
                SELECT EXISTS (SELECT 1 FROM unit_totals),
                       (SELECT coalesce(sum(units), 0)::int8 FROM arm_units WHERE experiment_id = \(e) AND phase = \(phase))
                """).decodeOne((Bool, Int).self)
            // The units' totals add to the metric sums: from the new rows, sent again into the batch
            // table, when they are a small part of the phase; otherwise the phase's sums are computed
            // again from all its assignments, in parallel on the server.
            let resum = hasTotals && result.new * 3 >= before + result.new
            if hasTotals && !resum {
                try c.copyIn("COPY causeway_assigned (\(columns)) FROM STDIN") { writer in
                    progress.watch(writer, "keeping the sums", rows: result.new)
                    try eachDistinct { unit, index in if let index { try write(unit, index, to: writer) } }
                }
                try Upkeep.countAssigned(on: c)
            } else {
                try c.execute("""
                    SELECT causeway_count_arms(\(e), \(phase), coalesce(\(assignedAt)::timestamptz, now()),
                                               \(result.arms.map(\.name)), \(result.arms.map(\.count)), \(result.heldOut))
                    """)
                if resum { try c.execute("SELECT causeway_sum_phase(\(e), \(phase))") }
            }
            return result
        }

        /// Some units are stored already (or repeat in different runs): the file's units and
        /// decisions go to a session table, the server joins them with the stored assignments, and
        /// only the new ones are inserted. Stored units keep their arm.
        func sendCarefully(on c: Connection) throws -> BulkResult {
            let e = experiment.id, phase = Int32(experiment.phase)
            // The file's distinct units of each run with their decisions, then each one's stored
            // assignment in one join on the server.
            try c.execute("CREATE TEMP TABLE causeway_bulk_units (unit text NOT NULL, arm text, held_out boolean, included boolean NOT NULL) ON COMMIT DROP")
            var runs = 0
            try c.copyIn("COPY causeway_bulk_units (unit, arm, held_out, included) FROM STDIN") { writer in
                runs = try eachDistinct { unit, index in
                    try writer.writeRow(unit, index.flatMap { $0 >= 0 ? experiment.arms[$0].name : nil }, index.map { $0 < 0 }, index != nil)
                }
            }
            try c.execute("ANALYZE causeway_bulk_units")
            try c.execute("""
                CREATE TEMP TABLE causeway_bulk_status ON COMMIT DROP AS
                SELECT b.unit, b.arm, b.held_out, b.included, a.unit IS NOT NULL AS stored, a.arm AS stored_arm
                FROM causeway_bulk_units b LEFT JOIN assignments a ON a.unit = b.unit AND a.experiment_id = \(e) AND a.phase = \(phase)
                """)
            // A unit repeats only in different runs: with one run, every row is a distinct unit.
            let units: SQLQuery = runs > 1 ? "count(DISTINCT unit)" : "count(*)"
            var result = nothingYet
            let position = armIndex(experiment.arms.map(\.name))
            func tally(_ query: SQLQuery, _ add: (inout BulkResult, Int) -> Void) throws {
                try c.copyOutRows(query) { row in
                    let (arm, units) = try row.decode((String?, Int).self)
                    if let arm, let k = position[arm] { result.arms[k].count += units } else if arm == nil { result.heldOut += units }
                    add(&result, units)
                }
            }
            try tally("COPY (SELECT stored_arm, \(units) FROM causeway_bulk_status WHERE stored GROUP BY stored_arm) TO STDOUT") {
                $0.existing += $1
            }
            result.notInExperiment = try c.query("SELECT \(units) FROM causeway_bulk_status WHERE NOT stored AND NOT included").decodeOne(Int.self)
            try c.execute("""
                INSERT INTO causeway_assigned (unit, experiment_id, phase, arm, held_out, assigned_at)
                SELECT DISTINCT ON (unit) unit, \(e), \(phase), arm, held_out, coalesce(\(assignedAt)::timestamptz, now())
                FROM causeway_bulk_status WHERE included AND NOT stored ORDER BY unit
                """)
            try tally("COPY (SELECT arm, count(*) FROM causeway_assigned GROUP BY arm) TO STDOUT") { $0.new += $1 }
            if result.new > 0 { try Upkeep.addAssignments(on: c) }
            if result.new >= 10_000 { try c.execute("ANALYZE assignments") }
            return result
        }

        /// Whether one of the source's first 1,000 units is stored already: the optimistic pass
        /// would then send the whole file only to fail on the primary key (PostgreSQL drops the rest
        /// of a failed COPY, and libpq reports the error only at its end).
        func headIsStored(on c: Connection) throws -> Bool {
            struct EndOfHead: Error {}
            var head: [String] = []
            do {
                try source.each { unit, _ in
                    head.append(unit)
                    if head.count == 1000 { throw EndOfHead() }
                }
            } catch is EndOfHead {}
            guard !head.isEmpty else { return false }
            // `+ 0`: through the primary key (1,000 lookups), never the block-range index, which the
            // planner favours for a phase it believes empty and which then reads every range the
            // phase's id falls in.
            return try c.query("""
                SELECT EXISTS (SELECT 1 FROM assignments WHERE unit = ANY(\(head)) AND experiment_id + 0 = \(experiment.id)
                                                          AND phase + 0 = \(Int32(experiment.phase)))
                """).decodeOne(Bool.self)
        }
    }
}
