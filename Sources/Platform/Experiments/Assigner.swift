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
    /// arm, new ones are hashed in Swift and written with COPY.
    @discardableResult
    public static func assignBulk(_ name: String, unitsFile path: String, in store: Store) throws -> BulkResult {
        try assignBulk(name, units: try readUnits(path), source: path, in: store)
    }

    /// Assigns `units` (each with the line that named it in `source`) in one transaction.
    @discardableResult
    public static func assignBulk(_ name: String, units: [(unit: String, line: Int)], source path: String, in store: Store) throws -> BulkResult {
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
            var stored: [String: Int] = [:] // unit → arm index, or -1 when held out
            let position = armIndex(experiment.arms.map(\.name))
            // Only the file's units that are already assigned come back: the file's ids go to the
            // server, which joins them with the experiment's assignments (a table of millions is
            // hashed there, not copied into a dictionary here).
            try c.execute("CREATE TEMP TABLE causeway_bulk_units (unit text) ON COMMIT DROP")
            try c.copyIn("COPY causeway_bulk_units (unit) FROM STDIN") { writer in
                for (unit, _) in units { try writer.writeRow(unit) }
            }
            try c.execute("ANALYZE causeway_bulk_units")
            try c.copyOutRows("""
                COPY (SELECT a.unit, a.arm FROM assignments a JOIN causeway_bulk_units b ON b.unit = a.unit
                      WHERE a.experiment_id = \(experiment.id) AND a.phase = \(Int32(experiment.phase))) TO STDOUT
                """) { row in
                let (unit, arm) = try row.decode((String, String?).self)
                stored[unit] = arm.flatMap { position[$0] } ?? -1
            }
            try c.execute("DROP TABLE causeway_bulk_units")
            var clusters: [String: String] = [:]
            if experiment.design == .cluster {
                let mapping = experiment.parameters.clusters ?? "default"
                try c.copyOutRows("COPY (SELECT unit, cluster FROM unit_clusters WHERE mapping = \(mapping)) TO STDOUT") { row in
                    let (unit, cluster) = try row.decode((String, String).self)
                    clusters[unit] = cluster
                }
                if let missing = units.first(where: { clusters[$0.unit] == nil }) {
                    throw PlatformError("\(path):\(missing.line): unit \"\(missing.unit)\" has no cluster in mapping \"\(mapping)\"")
                }
            }
            var result = BulkResult(arms: experiment.arms.map { ($0.name, 0) }, heldOut: 0, notInExperiment: 0, new: 0, existing: 0)
            var seen = Set<String>()
            seen.reserveCapacity(units.count)
            var fresh: [(unit: String, arm: Int)] = [] // arm -1: held out
            fresh.reserveCapacity(units.count)
            for (unit, _) in units where seen.insert(unit).inserted {
                if let index = stored[unit] {
                    result.existing += 1
                    if index >= 0 { result.arms[index].count += 1 } else { result.heldOut += 1 }
                } else if let holdout, holdout.group(of: unit) == .heldOut {
                    fresh.append((unit, -1))
                    result.heldOut += 1
                } else if let index = split.assign(clusters[unit] ?? unit) {
                    fresh.append((unit, index))
                    result.arms[index].count += 1
                } else {
                    result.notInExperiment += 1
                }
            }
            result.new = fresh.count
            let phaseNumber = Int32(experiment.phase)
            // Rows in key order make the primary-key btree append instead of splitting pages
            // (1M rows: 3.7 s sorted, 5.1 s shuffled).
            fresh.sort { $0.unit < $1.unit }
            // Straight into assignments (COPY inserts in batches: 5.0 s for 1,000,000 rows where
            // INSERT … SELECT from a staging table took 6.9 s), then the same rows into the session's
            // batch table, from which the sums are kept (0.4 s more).
            try Upkeep.prepareBatch(on: c)
            let columns: SQLQuery = assignedAt == nil ? "unit, experiment_id, phase, arm, held_out" : "unit, experiment_id, phase, arm, held_out, assigned_at"
            for (table, phase) in [("assignments", "sending assignments"), ("causeway_assigned", "keeping the sums")] {
                try c.copyIn("COPY \(identifier: table) (\(columns)) FROM STDIN") { writer in
                    store.progress.watch(writer, phase, rows: fresh.count)
                    for (unit, index) in fresh {
                        let arm = index < 0 ? nil : experiment.arms[index].name
                        if let assignedAt {
                            try writer.writeRow(unit, experiment.id, phaseNumber, arm, index < 0, assignedAt)
                        } else {
                            try writer.writeRow(unit, experiment.id, phaseNumber, arm, index < 0)
                        }
                    }
                }
            }
            try Upkeep.countAssigned(on: c)
            if fresh.count >= 10_000 { try c.execute("ANALYZE assignments") }
            return result
        }
    }

    /// The unit ids of a CSV file with a `unit` column; an empty id is an error naming its line.
    static func readUnits(_ path: String) throws -> [(unit: String, line: Int)] {
        let file = try CSVReader(path: path, required: ["unit"])
        let column = file.column("unit")! // never nil: required above
        var units: [(unit: String, line: Int)] = []
        while try file.next() { units.append((try file.unit(column), file.line)) }
        return units
    }
}
