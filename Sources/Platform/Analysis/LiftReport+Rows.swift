import Postgres
import Randomization
import Stats

extension LiftReport {
    /// The statistics of one block of the report: the whole experiment, or one slice of a breakdown
    /// with its units and SRM check.
    struct Block {
        let slice: String?
        /// Per reported (y, x) pair, per arm.
        let statistics: [[String: CovariateSummary]]
        let units: Int
        let sampleRatio: SampleRatioMismatch?
    }

    /// The caps of the metrics a report reads, resolved to values.
    struct ResolvedCaps {
        var ordered: [(metric: String, cap: Metrics.Cap, value: Double)] = []
        var values: [String: Double] { Dictionary(ordered.map { ($0.metric, $0.value) }, uniquingKeysWith: { a, _ in a }) }
        var isEmpty: Bool { ordered.isEmpty }
    }

    /// A fixed cap as it is; a percentile cap as that quantile (PostgreSQL's `percentile_cont`, linear
    /// interpolation as numpy's default) of the values of the experiment's units in the phase that
    /// have one, held-out units left out. A metric without values in the experiment gets no cap.
    static func resolveCaps(_ metrics: [Metrics.Metric], experiment e: Experiment, on c: Connection) throws -> ResolvedCaps {
        var caps = ResolvedCaps()
        var seen = Set<String>()
        for metric in metrics where seen.insert(metric.name).inserted {
            switch metric.cap {
            case nil:
                continue
            case .value(let v)?:
                caps.ordered.append((metric.name, .value(v), v))
            case .percentile(let p)?:
                if let value = try percentileCap(p, metric: metric, experiment: e, on: c) { caps.ordered.append((metric.name, .percentile(p), value)) }
            }
        }
        return caps
    }

    /// A breakdown's most populous named slices; the rest are merged into `(other)`.
    public static let namedSlices = 20

    /// Per-arm n, Σy, Σy², Σx, Σx², Σxy for every (y, x) pair, computed from the units' totals with
    /// caps applied (the kept sums hold uncapped values), and with `by` per value of that unit
    /// attribute: the 20 largest slices by units, the rest as `(other)`, units without the attribute as
    /// `(none)`. Each slice also gets its SRM check against the weights in force when its units were
    /// assigned. Units without a total count 0, as in the kept sums.
    static func collectRows(_ e: Experiment, pairs: [(y: Metrics.Metric, x: Metrics.Metric?)], caps: [String: Double], by attribute: String?,
                            on c: Connection) throws -> [Block] {
        let (metrics, indices) = columns(pairs)
        let (segment, segments) = try weightSegments(e, on: c)
        var values: [SQLQuery] = []
        var joins: [SQLQuery] = []
        for (k, m) in metrics.enumerated() {
            let t = "t\(k)"
            joins.append("LEFT JOIN unit_totals \(unsafeRaw: t) ON \(unsafeRaw: t).unit = a.unit AND \(unsafeRaw: t).metric = \(m.name)")
            // A unit without a value counts 0, not the cap.
            values.append("\(capped("coalesce(\(unsafeRaw: t).value, 0)", caps[m.name])) AS v\(unsafeRaw: String(k))")
        }
        var sums: [SQLQuery] = ["s", "arm", "seg", "count(*)::float8"]
        for (y, x) in indices {
            let vy = "v\(y)"
            sums.append("sum(\(unsafeRaw: vy))")
            sums.append("sum(\(unsafeRaw: vy) * \(unsafeRaw: vy))")
            if let x {
                let vx = "v\(x)"
                sums.append("sum(\(unsafeRaw: vx))")
                sums.append("sum(\(unsafeRaw: vx) * \(unsafeRaw: vx))")
                sums.append("sum(\(unsafeRaw: vx) * \(unsafeRaw: vy))")
            } else {
                sums.append(contentsOf: ["0::float8", "0::float8", "0::float8"])
            }
        }
        let assigned = try c.query("""
            SELECT coalesce(sum(units), 0)::bigint FROM arm_units WHERE experiment_id = \(e.id) AND phase = \(Int32(e.phase)) AND arm IS NOT NULL
            """).decodeOne(Int.self)
        let slice: SQLQuery = attribute.map { "u.attributes ->> \($0)" } ?? "NULL::text"
        let units: SQLQuery = attribute == nil ? "" : "LEFT JOIN units u ON u.unit = a.unit"
        let query: SQLQuery = """
            SELECT \(SQLQuery.joined(sums, separator: ", "))
            FROM (SELECT \(slice) AS s, a.arm, \(segment) AS seg, \(SQLQuery.joined(values, separator: ", "))
                  FROM assignments a \(units) \(SQLQuery.joined(joins, separator: " "))
                  WHERE a.experiment_id = \(e.id) AND a.phase = \(Int32(e.phase)) AND NOT a.held_out) q
            GROUP BY s, arm, seg
            """
        // Per slice (nil: no attribute): per pair and arm the sums, and per segment the units per arm.
        struct Gathered {
            var stats: [[String: CovariateSummary]]
            var counts: [Int: [Int]]
            var units = 0
            mutating func merge(_ o: Gathered) {
                for k in stats.indices { stats[k].merge(o.stats[k]) { $0 + $1 } }
                counts.merge(o.counts) { zip($0, $1).map { $0 + $1 } }
                units += o.units
            }
        }
        let position = armIndex(e.arms.map(\.name))
        var gathered: [String?: Gathered] = [:]
        // A large experiment reads every unit: merge joins over the tables' unit-ordered primary keys
        // (one metric by country at 10,000,000 units: 8 s here) beat hashing 10,000,000 text keys per
        // table (13 s; 31 s with three metrics, whose hashes spill) and sorting them (23 s).
        let read = try withPlannerOff(assigned >= 500_000 ? ["enable_hashjoin", "enable_sort"] : [], on: c) { try c.query(query) }
        for row in read {
            let name = try row.decode(column: 0, as: String?.self)
            let arm = try row.decode(column: 1, as: String.self)
            let seg = try row.decode(column: 2, as: Int32.self)
            let n = try row.decode(column: 3, as: Double.self)
            var g = gathered[name] ?? Gathered(stats: Array(repeating: [:], count: pairs.count), counts: [:])
            for k in 0..<pairs.count {
                let f = { (j: Int) throws -> Double in try row.decode(column: 4 + 5 * k + j, as: Double.self) }
                g.stats[k][arm, default: .zero] += CovariateSummary(count: n, sumY: try f(0), sumY2: try f(1), sumX: try f(2), sumX2: try f(3), sumXY: try f(4))
            }
            if seg >= 0, let index = position[arm] {
                g.counts[Int(seg), default: Array(repeating: 0, count: e.arms.count)][index] += Int(n)
            }
            g.units += Int(n)
            gathered[name] = g
        }
        func block(_ name: String?, _ g: Gathered) -> Block {
            let checked = g.counts.keys.sorted().compactMap { k -> (counts: [Int], weights: [Double])? in
                segments[k].1.count == e.arms.count ? (g.counts[k]!, segments[k].1) : nil
            }
            return Block(slice: name, statistics: g.stats, units: g.units, sampleRatio: SampleRatioMismatch(segments: checked))
        }
        guard let attribute else {
            return [block(nil, gathered[nil] ?? Gathered(stats: Array(repeating: [:], count: pairs.count), counts: [:]))]
        }
        let named = gathered.compactMap { key, value in key.map { ($0, value) } }.sorted { ($0.1.units, $1.0) > ($1.1.units, $0.0) }
        guard !named.isEmpty else {
            throw PlatformError(.notFound, "no unit of experiment \"\(e.name)\" has the attribute \"\(attribute)\"; unit attributes come from import units")
        }
        var blocks = named.prefix(namedSlices).map { block($0.0, $0.1) }
        if named.count > namedSlices {
            var other = Gathered(stats: Array(repeating: [:], count: pairs.count), counts: [:])
            for (_, g) in named.dropFirst(namedSlices) { other.merge(g) }
            blocks.append(block("(other)", other))
        }
        if let none = gathered[nil] { blocks.append(block("(none)", none)) }
        return blocks
    }
}

extension LiftReport {
    /// The weight segments of the experiment's phase, oldest first, and an SQL expression giving the
    /// segment index of an assignment row `a` (−1 before the first): a unit's segment is the last one
    /// that began at or before its assignment, the rule of the kept counts (schema 0006).
    static func weightSegments(_ e: Experiment, on c: Connection) throws -> (SQLQuery, [(String, [Double])]) {
        let segments = try c.query("""
            SELECT valid_from::text, weights FROM arm_weights
            WHERE experiment_id = \(e.id) AND phase = \(Int32(e.phase)) ORDER BY valid_from
            """).decode((String, [Double]).self)
        guard !segments.isEmpty else { return ("-1", []) }
        let cases = segments.enumerated().reversed().map { k, s in
            "WHEN a.assigned_at >= \(s.0)::timestamptz THEN \(unsafeRaw: String(k))" as SQLQuery
        }
        return ("CASE \(SQLQuery.joined(cases, separator: " ")) ELSE -1 END", segments)
    }
}

extension CovariateSummary {
    static var zero: CovariateSummary { CovariateSummary(count: 0, sumY: 0, sumY2: 0, sumX: 0, sumX2: 0, sumXY: 0) }

    static func + (a: CovariateSummary, b: CovariateSummary) -> CovariateSummary {
        var sum = a
        sum += b
        return sum
    }

    static func += (a: inout CovariateSummary, b: CovariateSummary) {
        a.count += b.count
        a.sumY += b.sumY
        a.sumY2 += b.sumY2
        a.sumX += b.sumX
        a.sumX2 += b.sumX2
        a.sumXY += b.sumXY
    }
}

extension LiftReport {
    /// The kept sums with caps applied, without reading every unit: a cap changes only the units
    /// above it, so per arm the report takes away what those units add beyond their caps —
    /// Σy − Σ(y − y'), Σy² − Σ(y² − y'²), Σxy − Σ(xy − x'y') with y' = min(y, cap) — reading the units
    /// over a cap (the top 1% for a 99th-percentile cap) and nothing else.
    static func applyCaps(_ e: Experiment, pairs: [(y: Metrics.Metric, x: Metrics.Metric?)], caps: [String: Double],
                          to statistics: inout [[String: CovariateSummary]], on c: Connection) throws {
        for (k, pair) in pairs.enumerated() {
            let cy = caps[pair.y.name], cx = pair.x.flatMap { caps[$0.name] }
            guard cy != nil || cx != nil else { continue }
            var over: [SQLQuery] = []
            if let cy { over.append("(metric = \(pair.y.name) AND value > \(cy)::float8)") }
            if let cx, let x = pair.x { over.append("(metric = \(x.name) AND value > \(cx)::float8)") }
            let x = pair.x?.name ?? pair.y.name
            let rows = try lookingUpEachUnit(on: c) { try c.query("""
                SELECT a.arm, coalesce(ty.value, 0), coalesce(tx.value, 0)
                FROM (SELECT DISTINCT unit FROM unit_totals WHERE \(SQLQuery.joined(over, separator: " OR "))) o
                JOIN assignments a ON a.unit = o.unit AND a.experiment_id = \(e.id) AND a.phase = \(Int32(e.phase)) AND NOT a.held_out
                LEFT JOIN unit_totals ty ON ty.unit = o.unit AND ty.metric = \(pair.y.name)
                LEFT JOIN unit_totals tx ON tx.unit = o.unit AND tx.metric = \(x)
                """).decode((String, Double, Double).self) }
            for (arm, y, xv) in rows {
                guard var s = statistics[k][arm] else { continue }
                let y2 = min(y, cy ?? .infinity)
                s.sumY -= y - y2
                s.sumY2 -= y * y - y2 * y2
                if pair.x != nil {
                    let x2 = min(xv, cx ?? .infinity)
                    s.sumX -= xv - x2
                    s.sumX2 -= xv * xv - x2 * x2
                    s.sumXY -= xv * y - x2 * y2
                }
                statistics[k][arm] = s
            }
        }
    }

    /// A percentile cap's value, PostgreSQL's `percentile_cont` over the values of the experiment's
    /// units in the phase, read from the top: the kept counts give N, so the quantile is the
    /// interpolation between the values of descending ranks K − 1 and K − 2 (K = N − ⌊p(N − 1)⌋); those
    /// are among the units above a threshold taken from a 1% sample of the metric's values, read
    /// with their assignments. When the threshold turns out too high, or the tail is large (a low
    /// percentile, a small experiment), it is `percentile_cont` over the whole join.
    static func percentileCap(_ p: Double, metric: Metrics.Metric, experiment e: Experiment, fromTheTopAbove minimum: Int = 100_000,
                              on c: Connection) throws -> Double? {
        let whole: SQLQuery = """
            SELECT percentile_cont(\(p)) WITHIN GROUP (ORDER BY t.value)
            FROM assignments a JOIN unit_totals t ON t.unit = a.unit AND t.metric = \(metric.name)
            WHERE a.experiment_id = \(e.id) AND a.phase = \(Int32(e.phase)) AND NOT a.held_out
            """
        let n = try c.query("""
            SELECT coalesce(sum(units), 0)::bigint FROM arm_metric_sums
            WHERE experiment_id = \(e.id) AND phase = \(Int32(e.phase)) AND arm IS NOT NULL AND metric = \(metric.name)
            """).decodeOne(Int.self)
        guard n > 0 else { return nil }
        let h = p * Double(n - 1), lo = h.rounded(.down)
        let k = n - Int(lo)
        guard n >= minimum, Double(k) <= 0.2 * Double(n),
              let id = try c.query("SELECT id FROM metrics WHERE name = \(metric.name)").decode(Int32.self).first else {
            return try c.query(whole).decode(Double?.self).first ?? nil
        }
        // The sample's quantile (about 100,000 values) twice as deep into the tail as needed, so that the
        // threshold is below the experiment's K-th largest value unless its values differ a lot from
        // the metric's.
        let depth = min(0.5, 2 * Double(k) / Double(n))
        guard let threshold = try c.query("""
            SELECT percentile_disc(\(1 - depth)) WITHIN GROUP (ORDER BY value) FROM \(sample(metricID: id, units: n))
            """).decode(Double?.self).first ?? nil else {
            return try c.query(whole).decode(Double?.self).first ?? nil
        }
        let top = try lookingUpEachUnit(on: c) { try c.query("""
            SELECT t.value FROM unit_totals t
            JOIN assignments a ON a.unit = t.unit AND a.experiment_id = \(e.id) AND a.phase = \(Int32(e.phase)) AND NOT a.held_out
            WHERE t.metric = \(metric.name) AND t.value >= \(threshold)::float8
            ORDER BY t.value DESC LIMIT \(Int64(k))
            """).decode(Double.self) }
        guard top.count == k else { return try c.query(whole).decode(Double?.self).first ?? nil }
        let below = top[k - 1], above = k >= 2 ? top[k - 2] : top[k - 1]
        return below + (h - lo) * (above - below)
    }

    /// Runs a query over a small share of the units with every join as an index lookup per unit:
    /// the planner would otherwise hash all of the experiment's assignments (seconds at 10,000,000)
    /// to join a tail of 100,000 units.
    static func lookingUpEachUnit<T>(on c: Connection, _ body: () throws -> T) throws -> T {
        try withPlannerOff(["enable_hashjoin", "enable_mergejoin"], on: c, body)
    }

    /// Runs `body` with these planner settings (`enable_…`) off, and back to their defaults after it,
    /// within the report's transaction.
    static func withPlannerOff<T>(_ settings: [String], on c: Connection, _ body: () throws -> T) throws -> T {
        for name in settings { try c.execute("SET LOCAL \(unsafeRaw: name) = off") }
        defer { for name in settings { _ = try? c.execute("SET LOCAL \(unsafeRaw: name) TO DEFAULT") } }
        return try body()
    }

    /// A value expression capped from above: `cap` where it is larger, itself otherwise (NULL stays
    /// NULL; `least()` would turn NULL into the cap). No cap: the expression as it is.
    static func capped(_ value: SQLQuery, _ cap: Double?) -> SQLQuery {
        guard let cap else { return value }
        return "CASE WHEN \(value) > \(cap)::float8 THEN \(cap)::float8 ELSE \(value) END"
    }

    /// A metric's unit-totals partition with the TABLESAMPLE percentage that reads about 100,000 of
    /// its `units` values.
    static func sample(metricID id: Int32, units: Int) -> SQLQuery {
        "\(unsafeRaw: "unit_totals_m\(id)") TABLESAMPLE SYSTEM (\(min(100, max(0.01, 1e7 / Double(units)))))"
    }

    /// The share of a metric's values above a cap, from a sample of about 100,000 of them.
    static func tailShare(metric: String, above cap: Double, on c: Connection) throws -> Double {
        guard let (id, units) = try c.query("""
            SELECT m.id, coalesce(u.units, 0)::bigint FROM metrics m LEFT JOIN metric_units u ON u.metric = m.name WHERE m.name = \(metric)
            """).decode((Int32, Int).self).first, units > 0 else { return 0 }
        return try c.query("""
            SELECT coalesce(avg((value > \(cap)::float8)::int), 0)::float8 FROM \(sample(metricID: id, units: units))
            """).decodeOne(Double.self)
    }
}

extension LiftReport {
    /// `--exposed`: per-arm sums over the units SDKs reported exposed in the phase. A unit's value is
    /// its outcome rows at or after its first exposure (rows without a time all count; the maximum
    /// for proportions); a CUPED covariate, a pre-period metric, keeps all its rows. Caps apply.
    static func collectExposed(_ e: Experiment, pairs: [(y: Metrics.Metric, x: Metrics.Metric?)], covariate: Metrics.Metric?,
                               caps: [String: Double], on c: Connection) throws -> [[String: CovariateSummary]] {
        var result: [[String: CovariateSummary]] = []
        for pair in pairs {
            func value(_ m: Metrics.Metric, alias: String, sinceExposure: Bool) -> (join: SQLQuery, column: SQLQuery) {
                let aggregate: SQLQuery = m.kind == .proportion ? "max(o.value)" : "sum(o.value)"
                let since: SQLQuery = sinceExposure ? "AND (o.ts IS NULL OR o.ts >= f.t)" : ""
                let join: SQLQuery = """
                    LEFT JOIN (SELECT o.unit, \(aggregate) AS v FROM outcomes o JOIN f ON f.unit = o.unit
                               WHERE o.metric = \(m.name) \(since) GROUP BY o.unit) \(unsafeRaw: alias) ON \(unsafeRaw: alias).unit = f.unit
                    """
                return (join, capped("coalesce(\(unsafeRaw: alias).v, 0)", caps[m.name]))
            }
            let y = value(pair.y, alias: "ty", sinceExposure: true)
            let x = pair.x.map { value($0, alias: "tx", sinceExposure: $0.name != covariate?.name) }
            let vx: SQLQuery = x?.column ?? "0::float8"
            let rows = try c.query("""
                WITH f AS (SELECT x.unit, min(x.ts) AS t, a.arm FROM exposures x
                           JOIN assignments a ON a.unit = x.unit AND a.experiment_id = x.experiment_id AND a.phase = x.phase AND NOT a.held_out
                           WHERE x.experiment_id = \(e.id) AND x.phase = \(Int32(e.phase)) GROUP BY x.unit, a.arm)
                SELECT arm, count(*)::float8, sum(vy), sum(vy * vy), sum(vx), sum(vx * vx), sum(vx * vy)
                FROM (SELECT f.arm, \(y.column) AS vy, \(vx) AS vx FROM f \(y.join) \(x?.join ?? "")) q
                GROUP BY arm
                """).decode((String, Double, Double, Double, Double, Double, Double).self)
            result.append(Dictionary(uniqueKeysWithValues: rows.map {
                ($0.0, CovariateSummary(count: $0.1, sumY: $0.2, sumY2: $0.3, sumX: $0.4, sumX2: $0.5, sumXY: $0.6))
            }))
        }
        return result
    }
}
