import Postgres
import Stats

extension LiftReport {
    /// Per-arm n, Σy, Σy², Σx, Σx², Σxy for every (y, x) pair over assigned, not held-out units of
    /// the current phase, read from the sums the store keeps as outcomes and assignments arrive
    /// (schema 0006): one statement, so every figure comes from the same snapshot.
    static func collect(_ e: Experiment, pairs: [(y: Metrics.Metric, x: Metrics.Metric?)], on c: Connection)
        throws -> [[String: CovariateSummary]] {
        let names = Array(Set(pairs.flatMap { [$0.y.name] + ($0.x.map { [$0.name] } ?? []) }))
        let rows = try c.query("""
            SELECT 0, arm, '', '', sum(units)::float8, 0::float8 FROM arm_units
            WHERE experiment_id = \(e.id) AND phase = \(Int32(e.phase)) AND arm IS NOT NULL GROUP BY arm
            UNION ALL
            SELECT 1, arm, metric, metric, total::float8, squares::float8 FROM arm_metric_sums
            WHERE experiment_id = \(e.id) AND phase = \(Int32(e.phase)) AND arm IS NOT NULL AND metric = ANY(\(names))
            UNION ALL
            SELECT 2, arm, metric, other, product::float8, 0::float8 FROM arm_metric_products
            WHERE experiment_id = \(e.id) AND phase = \(Int32(e.phase)) AND arm IS NOT NULL
              AND metric = ANY(\(names)) AND other = ANY(\(names))
            """).decode((Int32, String, String, String, Double, Double).self)
        struct Pair: Hashable { let a: String, b: String; init(_ x: String, _ y: String) { (a, b) = x < y ? (x, y) : (y, x) } }
        var units: [String: Double] = [:]
        var own: [String: [String: (sum: Double, squares: Double)]] = [:]
        var products: [String: [Pair: Double]] = [:]
        for (kind, arm, metric, other, value, squares) in rows {
            switch kind {
            case 0: units[arm] = value
            case 1: own[arm, default: [:]][metric] = (value, squares)
            default: products[arm, default: [:]][Pair(metric, other)] = value
            }
        }
        var result = [[String: CovariateSummary]](repeating: [:], count: pairs.count)
        for (arm, n) in units {
            for (k, pair) in pairs.enumerated() {
                let y = own[arm]?[pair.y.name] ?? (0, 0)
                guard let x = pair.x else {
                    result[k][arm] = CovariateSummary(count: n, sumY: y.sum, sumY2: y.squares, sumX: 0, sumX2: 0, sumXY: 0)
                    continue
                }
                let sx = own[arm]?[x.name] ?? (0, 0)
                let sumXY = x.name == pair.y.name ? y.squares : products[arm]?[Pair(pair.y.name, x.name)] ?? 0
                result[k][arm] = CovariateSummary(count: n, sumY: y.sum, sumY2: y.squares, sumX: sx.sum, sumX2: sx.squares, sumXY: sumXY)
            }
        }
        return result
    }

    /// One column per metric of a unit's total (unit_totals has one row per unit and metric), capped
    /// where the metric has a cap.
    static func pivotColumns(_ metrics: [Metrics.Metric], caps: [String: Double] = [:]) -> [SQLQuery] {
        // A unit without a value stays without one.
        metrics.enumerated().map { k, m in
            "\(capped("max(value) FILTER (WHERE metric = \(m.name))", caps[m.name])) AS v\(unsafeRaw: String(k))"
        }
    }

    /// The distinct metrics of (y, x) pairs, each once, and each pair as positions in that list: one
    /// column per metric in the queries that read units' totals.
    static func columns(_ pairs: [(y: Metrics.Metric, x: Metrics.Metric?)]) -> ([Metrics.Metric], [(y: Int, x: Int?)]) {
        var metrics: [Metrics.Metric] = []
        func column(_ m: Metrics.Metric) -> Int {
            if let k = metrics.firstIndex(where: { $0.name == m.name }) { return k }
            metrics.append(m)
            return metrics.count - 1
        }
        let indices = pairs.map { (y: column($0.y), x: $0.x.map(column)) }
        return (metrics, indices)
    }

    /// Per arm and cluster: units, Σy and Σx for every (y, x) pair, from the experiment's cluster mapping.
    static func collectClusters(_ e: Experiment, pairs: [(y: Metrics.Metric, x: Metrics.Metric?)], caps: [String: Double] = [:], on c: Connection)
        throws -> [[String: [ClusterSummary]]] {
        let (metrics, indices) = columns(pairs)
        var sums: [SQLQuery] = ["a.arm", "m.cluster", "count(*)::float8"]
        for (y, x) in indices {
            sums.append("coalesce(sum(v\(unsafeRaw: String(y))), 0)")
            sums.append(x.map { "coalesce(sum(v\(unsafeRaw: String($0))), 0)" } ?? "0::float8")
        }
        let query: SQLQuery = """
            WITH a AS (SELECT unit, arm FROM assignments
                       WHERE experiment_id = \(e.id) AND phase = \(Int32(e.phase)) AND NOT held_out),
                 u AS (SELECT unit, \(SQLQuery.joined(pivotColumns(metrics, caps: caps), separator: ", ")) FROM unit_totals
                       WHERE metric = ANY(\(metrics.map(\.name))) GROUP BY unit)
            SELECT \(SQLQuery.joined(sums, separator: ", "))
            FROM a JOIN unit_clusters m ON m.unit = a.unit AND m.mapping = \(e.parameters.clusters ?? "default")
            LEFT JOIN u ON u.unit = a.unit
            GROUP BY a.arm, m.cluster
            """
        var result = [[String: [ClusterSummary]]](repeating: [:], count: pairs.count)
        for row in try c.query(query) {
            let arm = try row.decode(column: 0, as: String.self)
            let n = try row.decode(column: 2, as: Double.self)
            for k in 0..<pairs.count {
                let y = try row.decode(column: 3 + 2 * k, as: Double.self), x = try row.decode(column: 4 + 2 * k, as: Double.self)
                result[k][arm, default: []].append(ClusterSummary(count: n, sumY: y, sumX: x))
            }
        }
        return result
    }
}
