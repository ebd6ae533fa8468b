import Postgres

/// How the writers keep the lift sums (schema 0007): each use case that writes outcomes,
/// assignments or arm weights calls these in its own transaction, on its batch. No trigger does it
/// for them, so that Citus can distribute the tables; writes made outside Causeway are not tracked
/// (`db rebuild-sums` recomputes, `report lift --verify` compares).
enum Upkeep {
    /// Makes and empties the session's batch tables: `causeway_outcome_batch (unit, metric, value,
    /// ts, region)` and `causeway_assigned (unit, experiment_id, phase, arm, held_out, assigned_at)`.
    static func prepareBatch(on c: Connection) throws {
        try bulkMemory(on: c)
        try c.execute("SELECT causeway_prepare_batch()")
    }

    /// A bulk writer's transaction may hash and sort a million rows in memory rather than spill
    /// them to disk: PostgreSQL's defaults (work_mem 4 MB, maintenance_work_mem 64 MB) are sized
    /// for many small queries. Server memory, this transaction only.
    static func bulkMemory(on c: Connection) throws {
        try c.execute("SET LOCAL work_mem = '256MB'")
        try c.execute("SET LOCAL maintenance_work_mem = '512MB'")
    }

    /// The table an import of `metric` copies its rows into: for a metric without rows, a new table
    /// that `addFreshOutcomes` makes its partition (`fresh`); otherwise `causeway_outcome_batch`.
    static func outcomesTarget(metric: String, on c: Connection) throws -> (table: String, fresh: Bool) {
        let table = try c.query("SELECT causeway_outcomes_target(\(metric))").decodeOne(String.self)
        return (table, table != "causeway_outcome_batch")
    }

    /// The rows copied into a metric's new table become its partition, with their totals and sums;
    /// returns the units with a total.
    static func addFreshOutcomes(metric: String, on c: Connection) throws -> Int {
        try c.query("SELECT causeway_add_fresh_outcomes(\(metric))").decodeOne(Int.self)
    }

    /// Inserts `causeway_outcome_batch` into outcomes and adds it to the sums; returns its units.
    @discardableResult
    static func addOutcomes(on c: Connection) throws -> Int {
        try c.query("SELECT causeway_add_outcomes()").decodeOne(Int.self)
    }

    /// Inserts `causeway_assigned` into assignments and adds it to the sums.
    static func addAssignments(on c: Connection) throws {
        try c.execute("SELECT causeway_add_assignments()")
    }

    /// Adds `causeway_assigned`, already written to assignments by the caller, to the sums.
    static func countAssigned(on c: Connection) throws {
        try c.execute("SELECT causeway_count_assigned(1)")
    }

    /// Stores one unit's assignment (nil arm: held out) unless the unit has one for the phase, and
    /// adds it to the sums; true when this call stored it.
    static func assignOne(unit: String, experiment: Int64, phase: Int, arm: String?, on c: Connection) throws -> Bool {
        try c.query("SELECT causeway_assign_one(\(unit), \(experiment), \(Int32(phase)), \(arm))").decodeOne(Bool.self)
    }

    /// After a write to arm_weights: the phase's units counted again per weight segment.
    static func weightsChanged(experiment: Int64, phase: Int, on c: Connection) throws {
        try c.execute("SELECT causeway_weights_changed(\(experiment), \(Int32(phase)))")
    }
}
