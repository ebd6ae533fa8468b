import Postgres

extension LiftReport {
    /// What `report lift --verify` found: the kept sums of the experiment's current phase against a
    /// recomputation from its assignment and outcome rows.
    public struct Verification: Sendable {
        /// Per kept table that differs: how many of its rows for this experiment do (a row missing on
        /// one side counts as zeros; numbers agree within 1e-9 relative).
        public let mismatches: [(table: String, rows: Int)]
        /// Units assigned in the phase and unit-metric totals recomputed.
        public let units: Int
        public let totals: Int
        public var agree: Bool { mismatches.isEmpty }
    }

    /// Recomputes the phase's per-arm counts, sums and products from the rows (one scan of the
    /// experiment's assignments and of its units' outcomes) and compares them with the kept ones.
    /// Reads only; run it in the report's snapshot.
    static func verify(_ e: Experiment, on c: Connection) throws -> Verification {
        let id = e.id, phase = Int32(e.phase)
        func differ(_ values: [String]) -> SQLQuery {
            SQLQuery(unsafeSQL: values.map { v in
                "abs(coalesce(k.\(v), 0)::numeric - coalesce(r.\(v), 0)::numeric) > 1e-9 * (1 + abs(coalesce(r.\(v), 0)::numeric))"
            }.joined(separator: " OR "))
        }
        // One statement (the report's transaction is read-only: no temporary table): the units'
        // totals once, then recomputed (r) against kept (k) per table, keys compared with NULL as ''
        // (a FULL JOIN needs an equality).
        let (units, totals, armUnits, sums, products) = try c.query("""
            WITH t AS MATERIALIZED (
                SELECT a.unit, a.arm, o.metric, CASE WHEN m.kind = 'proportion' THEN max(o.value) ELSE sum(o.value) END AS value
                FROM assignments a JOIN outcomes o ON o.unit = a.unit JOIN metrics m ON m.name = o.metric
                WHERE a.experiment_id = \(id) AND a.phase = \(phase)
                GROUP BY a.unit, a.arm, o.metric, m.kind)
            SELECT
              (SELECT count(*) FROM assignments WHERE experiment_id = \(id) AND phase = \(phase)),
              (SELECT count(*) FROM t),
              (SELECT count(*) FROM (
                   SELECT arm, causeway_weight_segment(\(id), \(phase), assigned_at) AS segment, sum(units) AS units
                   FROM (SELECT arm, assigned_at, count(*) AS units FROM assignments
                         WHERE experiment_id = \(id) AND phase = \(phase) GROUP BY 1, 2) g GROUP BY 1, 2) r
               FULL JOIN (SELECT * FROM arm_units WHERE experiment_id = \(id) AND phase = \(phase)) k
                 ON coalesce(k.arm, '') = coalesce(r.arm, '') AND coalesce(k.segment::text, '') = coalesce(r.segment::text, '')
               WHERE \(differ(["units"]))),
              (SELECT count(*) FROM (
                   SELECT arm, metric, count(*) AS units, sum(value) AS total, sum(value * value) AS squares FROM t GROUP BY 1, 2) r
               FULL JOIN (SELECT * FROM arm_metric_sums WHERE experiment_id = \(id) AND phase = \(phase)) k
                 ON coalesce(k.arm, '') = coalesce(r.arm, '') AND k.metric = r.metric
               WHERE \(differ(["units", "total", "squares"]))),
              (SELECT count(*) FROM (
                   SELECT p.arm, p.metric, q.metric AS other, sum(p.value * q.value) AS product
                   FROM t p JOIN t q ON q.unit = p.unit AND p.metric < q.metric GROUP BY 1, 2, 3) r
               FULL JOIN (SELECT * FROM arm_metric_products WHERE experiment_id = \(id) AND phase = \(phase)) k
                 ON coalesce(k.arm, '') = coalesce(r.arm, '') AND k.metric = r.metric AND k.other = r.other
               WHERE \(differ(["product"])))
            """).decodeOne((Int, Int, Int, Int, Int).self)
        let mismatches = [("arm_units", armUnits), ("arm_metric_sums", sums), ("arm_metric_products", products)]
            .filter { $0.1 > 0 }.map { (table: $0.0, rows: $0.1) }
        return Verification(mismatches: mismatches, units: units, totals: totals)
    }
}
