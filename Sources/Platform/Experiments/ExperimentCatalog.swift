import Foundation
import Postgres
import Randomization

/// `experiment create|list|show|start|stop|set|phase`: each call is one transaction.
public enum ExperimentCatalog {
    /// What `experiment create` asks for.
    public struct Definition: Sendable {
        public var name: String
        public var unitType = "user"
        public var design: Experiment.Design = .user
        public var arms: [Arm]
        public var seed: String?
        public var hashVersion: HashVersion = .v2
        public var coverage = 1.0
        public var layer: Namespace?
        public var parameters = Experiment.DesignParameters()

        public init(name: String, arms: [Arm]) {
            self.name = name
            self.arms = arms
        }
    }

    /// Creates a draft experiment; refuses duplicates, bad weights and overlapping layer ranges.
    @discardableResult
    public static func create(_ definition: Definition, in store: Store) throws -> Experiment {
        let d = definition
        guard !d.name.isBlankName else { throw PlatformError("an experiment needs a name") }
        do { try Arm.validate(d.arms) } catch { throw PlatformError.computation("", error) }
        guard d.coverage.isFinite, (0...1).contains(d.coverage) else { throw PlatformError("coverage must be between 0 and 1") }
        let p = d.parameters
        switch d.design {
        case .switchback:
            guard let regions = p.regions, !regions.isEmpty, regions.allSatisfy({ !$0.isEmpty }) else {
                throw PlatformError("a switchback needs \(.regions)")
            }
            guard Set(regions).count == regions.count else { throw PlatformError("\(.regions) lists a region twice") }
            guard let window = p.windowSeconds else { throw PlatformError("a switchback needs \(.window)") }
            do {
                _ = try SwitchbackDesign(arms: d.arms, seed: "check", windowSeconds: window, burnInSeconds: p.burnInSeconds ?? 0,
                                         carryover: p.carryover, periods: p.periods, start: p.start ?? 0)
            } catch { throw PlatformError.computation("", error) }
            guard p.clusters == nil else { throw PlatformError("\(.clusters) belongs to cluster designs") }
            guard d.coverage == 1 else { throw PlatformError("\(.coverage) does not apply to switchbacks") }
        case .cluster, .user:
            guard p.regions == nil, p.windowSeconds == nil, p.burnInSeconds == nil, p.carryover == nil, p.periods == nil, p.start == nil else {
                throw PlatformError("\(.regions), \(.window), \(.burnIn), \(.carryover), \(.periods) and \(.start) belong to switchbacks")
            }
            if d.design == .user, p.clusters != nil { throw PlatformError("\(.clusters) belongs to cluster designs") }
        }
        var parameters = p
        if d.design == .cluster, parameters.clusters == nil { parameters.clusters = "default" }
        if let layer = d.layer {
            guard !layer.id.isEmpty, 0 <= layer.start, layer.start < layer.end, layer.end <= 1 else {
                throw PlatformError("\(.range) must be A:B with 0 ≤ A < B ≤ 1")
            }
        }
        return try store.connection.transaction { c in
            if let layer = d.layer {
                try c.execute("SELECT pg_advisory_xact_lock(hashtext(\("layer:" + layer.id)))")
                let others = try c.query("""
                    SELECT name, range_start, range_end FROM experiments
                    WHERE layer = \(layer.id) AND status <> 'stopped' AND range_start < \(layer.end) AND \(layer.start) < range_end
                    ORDER BY name LIMIT 1
                    """).decode((String, Double, Double).self)
                if let other = others.first {
                    throw PlatformError("range \(Experiment.number(layer.start)):\(Experiment.number(layer.end)) of layer \"\(layer.id)\" "
                                        + "overlaps experiment \"\(other.0)\" (\(Experiment.number(other.1)):\(Experiment.number(other.2)))")
                }
            }
            let seed = d.seed ?? d.name
            // A concurrent create of the same name inserts nothing here and hears the same refusal
            // as a sequential one.
            let ids = try c.query("""
                INSERT INTO experiments (name, unit_type, design, design_params, seed, hash_version, coverage, layer, range_start, range_end)
                VALUES (\(d.name), \(d.unitType), \(d.design.rawValue), \(parameters.json)::jsonb, \(seed), \(Int32(d.hashVersion.rawValue)),
                        \(d.coverage), \(d.layer?.id), \(d.layer?.start), \(d.layer?.end))
                ON CONFLICT (name) DO NOTHING
                RETURNING id
                """).decode(Int64.self)
            guard let id = ids.first else { throw PlatformError(.conflict, "experiment \"\(d.name)\" already exists") }
            try insertArms(d.arms, experiment: id, on: c)
            try c.execute("INSERT INTO experiment_phases (experiment_id, phase, seed) VALUES (\(id), \(1), \(seed))")
            return try Experiment.load(d.name, on: c)
        }
    }

    /// Writes the arms and the weights in force from now. `valid_from` is the clock after the
    /// experiment's lock was taken: every unit assigned under the old weights (which held the lock
    /// before) has an earlier `assigned_at`, every unit under the new ones a later one, so the weight
    /// segment of each unit is exact.
    private static func insertArms(_ arms: [Arm], experiment id: Int64, phase: Int = 1, on c: Connection) throws {
        try c.execute("""
            INSERT INTO arm_weights (experiment_id, phase, weights, valid_from)
            VALUES (\(id), \(Int32(phase)), \(arms.map(\.weight)), clock_timestamp())
            ON CONFLICT (experiment_id, phase, valid_from) DO UPDATE SET weights = excluded.weights
            """)
        try Upkeep.weightsChanged(experiment: id, phase: phase, on: c)
        try c.execute("DELETE FROM arms WHERE experiment_id = \(id)")
        for (position, arm) in arms.enumerated() {
            try c.execute("""
                INSERT INTO arms (experiment_id, position, name, weight) VALUES (\(id), \(Int16(position)), \(arm.name), \(arm.weight))
                """)
        }
    }

    /// Every experiment, by name.
    public static func list(in store: Store) throws -> [Experiment] {
        try Experiment.loadAll(on: store.connection)
    }

    /// One experiment, or "does not exist".
    public static func get(_ name: String, in store: Store) throws -> Experiment {
        try Experiment.load(name, on: store.connection)
    }

    /// An experiment with its counts and SRM check (nil for a switchback, whose units are windows),
    /// from one snapshot: what `experiment show` reports.
    public static func show(_ name: String, in store: Store) throws -> (experiment: Experiment, counts: Counts?) {
        try store.connection.transaction(.repeatableRead, readOnly: true) { c in
            let experiment = try Experiment.load(name, on: c)
            guard experiment.design != .switchback else { return (experiment, nil) }
            var counted = try counts(experiment, in: store)
            let exposed = try c.query("""
                SELECT EXISTS (SELECT 1 FROM exposures WHERE experiment_id = \(experiment.id) AND phase = \(Int32(experiment.phase)))
                """).decodeOne(Bool.self)
            if exposed { counted.exposures = try Exposures.counts(experiment, on: c) }
            return (experiment, counted)
        }
    }

    /// What `experiment show` reports beyond the definition: counts for the current phase and SRM.
    public struct Counts: Sendable {
        /// Assigned units per arm, in arm order.
        public var arms: [(name: String, count: Int)]
        public var heldOut: Int
        /// χ² against the configured weights, when at least two weighted arms have units (clusters,
        /// for a cluster design).
        public var sampleRatio: SampleRatioMismatch?
        /// Units that SDKs reported exposed, per arm, with their own SRM check; nil without exposures.
        public var exposures: Exposures.Counts? = nil
    }

    /// Assignment counts per arm for the current phase, computed by PostgreSQL, with the SRM check
    /// against the weights in force when each unit was assigned.
    public static func counts(_ experiment: Experiment, in store: Store) throws -> Counts {
        // Kept per arm and weight segment as units are assigned (schema 0006).
        let rows = try store.connection.query("""
            SELECT u.segment::text, w.weights, u.arm, u.arm IS NULL, u.units
            FROM arm_units u
            LEFT JOIN arm_weights w ON w.experiment_id = u.experiment_id AND w.phase = u.phase AND w.valid_from = u.segment
            WHERE u.experiment_id = \(experiment.id) AND u.phase = \(Int32(experiment.phase)) AND u.units <> 0
            """).decode((String?, [Double]?, String?, Bool, Int).self)
        let position = armIndex(experiment.arms.map(\.name))
        var totals = [Int](repeating: 0, count: experiment.arms.count)
        var heldOut = 0
        var segments: [String: (counts: [Int], weights: [Double])] = [:]
        for (segment, weights, arm, held, count) in rows {
            if held { heldOut += count; continue }
            guard let arm, let index = position[arm] else { continue }
            totals[index] += count
            guard let segment, let parsed = weights else { continue }
            guard parsed.count == experiment.arms.count else { continue }
            segments[segment, default: ([Int](repeating: 0, count: parsed.count), parsed)].counts[index] += count
        }
        var srm = SampleRatioMismatch(segments: segments.keys.sorted().map { segments[$0]! }) // never nil: key from the dictionary
        if experiment.design == .cluster {
            // Randomized per cluster: units of a cluster move together, so the test counts clusters.
            let clusters = try store.connection.query("""
                SELECT a.arm, count(DISTINCT c.cluster) FROM assignments a
                JOIN unit_clusters c ON c.unit = a.unit AND c.mapping = \(experiment.parameters.clusters ?? "default")
                WHERE a.experiment_id = \(experiment.id) AND a.phase = \(Int32(experiment.phase)) AND NOT a.held_out
                GROUP BY a.arm
                """).decode((String?, Int).self)
            var perArm = [Int](repeating: 0, count: experiment.arms.count)
            for (arm, count) in clusters { if let arm, let index = position[arm] { perArm[index] = count } }
            srm = SampleRatioMismatch(counts: perArm, weights: experiment.arms.map(\.weight))
        }
        return Counts(arms: zip(experiment.arms, totals).map { ($0.name, $1) }, heldOut: heldOut, sampleRatio: srm)
    }

    /// draft → running. A switchback without a start begins at the current window.
    @discardableResult
    public static func start(_ name: String, in store: Store, now: Date = Date()) throws -> Experiment {
        try store.connection.transaction { c in
            var experiment = try Experiment.load(name, on: c, lock: true)
            guard experiment.status == .draft else {
                throw PlatformError("experiment \"\(name)\" is \(experiment.status.rawValue); only a draft can start")
            }
            if experiment.design == .switchback, experiment.parameters.start == nil, let window = experiment.parameters.windowSeconds {
                let t = Int64(now.timeIntervalSince1970.rounded(.down))
                experiment.parameters.start = SwitchbackDesign.floorDiv(t, window) * window
            }
            try c.execute("""
                UPDATE experiments SET status = 'running', started_at = \(now), design_params = \(experiment.parameters.json)::jsonb
                WHERE id = \(experiment.id)
                """)
            return try Experiment.load(name, on: c)
        }
    }

    /// running → stopped. Stored assignments stay.
    @discardableResult
    public static func stop(_ name: String, in store: Store, now: Date = Date()) throws -> Experiment {
        try store.connection.transaction { c in
            let experiment = try Experiment.load(name, on: c, lock: true)
            guard experiment.status == .running else {
                throw PlatformError("experiment \"\(name)\" is \(experiment.status.rawValue); only a running experiment can stop")
            }
            try c.execute("UPDATE experiments SET status = 'stopped', stopped_at = \(now) WHERE id = \(experiment.id)")
            return try Experiment.load(name, on: c)
        }
    }

    /// Changes weights or coverage. A running experiment keeps its arm names (only weights move);
    /// stored assignments never move, new units follow the new weights.
    @discardableResult
    public static func set(_ name: String, arms: [Arm]?, coverage: Double?, in store: Store) throws -> Experiment {
        guard arms != nil || coverage != nil else { throw PlatformError("experiment set needs \(.arms) or \(.coverage)") }
        if let arms { do { try Arm.validate(arms) } catch { throw PlatformError.computation("", error) } }
        if let coverage { guard coverage.isFinite, (0...1).contains(coverage) else { throw PlatformError("coverage must be between 0 and 1") } }
        return try store.connection.transaction { c in
            let experiment = try Experiment.load(name, on: c, lock: true)
            guard experiment.status != .stopped else { throw PlatformError("experiment \"\(name)\" is stopped and cannot change") }
            if let coverage, experiment.design == .switchback, coverage != 1 {
                throw PlatformError("\(.coverage) does not apply to switchbacks")
            }
            if let arms {
                if experiment.status == .running, arms.map(\.name) != experiment.arms.map(\.name) {
                    throw PlatformError("experiment \"\(name)\" is running: its arms keep their names and order "
                                        + "(\(experiment.arms.map(\.name).joined(separator: ","))); only weights can change")
                }
                try insertArms(arms, experiment: experiment.id, phase: experiment.phase, on: c)
            }
            if let coverage { try c.execute("UPDATE experiments SET coverage = \(coverage) WHERE id = \(experiment.id)") }
            return try Experiment.load(name, on: c)
        }
    }

    /// Starts a new phase with a new seed: the only way to re-randomize. Earlier phases' assignments stay on record.
    @discardableResult
    public static func newPhase(_ name: String, seed: String?, in store: Store) throws -> Experiment {
        try store.connection.transaction { c in
            let experiment = try Experiment.load(name, on: c, lock: true)
            guard experiment.status != .stopped else { throw PlatformError("experiment \"\(name)\" is stopped") }
            let phase = experiment.phase + 1
            let newSeed = seed ?? "\(name)#\(phase)"
            let used = try c.query("SELECT count(*) FROM experiment_phases WHERE experiment_id = \(experiment.id) AND seed = \(newSeed)")
                .decodeOne(Int.self)
            guard used == 0 else { throw PlatformError("seed \"\(newSeed)\" was used by an earlier phase; a new phase needs a new seed") }
            try c.execute("UPDATE experiments SET phase = \(Int32(phase)), seed = \(newSeed) WHERE id = \(experiment.id)")
            try c.execute("INSERT INTO experiment_phases (experiment_id, phase, seed) VALUES (\(experiment.id), \(Int32(phase)), \(newSeed))")
            try c.execute("""
                INSERT INTO arm_weights (experiment_id, phase, weights) VALUES (\(experiment.id), \(Int32(phase)), \(experiment.arms.map(\.weight)))
                """)
            try Upkeep.weightsChanged(experiment: experiment.id, phase: phase, on: c)
            return try Experiment.load(name, on: c)
        }
    }
}
