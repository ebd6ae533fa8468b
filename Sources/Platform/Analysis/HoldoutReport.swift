import Foundation
import Postgres
import Randomization
import Stats

/// `report holdout`: the measurement group against the universal holdout, overall and over time —
/// the incremental value of the whole programme.
///
/// The population is every unit with an assignment or an outcome of the chosen metrics. Swift
/// classifies it with the holdout's hash (a pure function) and sends the two groups back with
/// COPY; PostgreSQL sums each group's per-unit values overall and per period. Units without
/// outcomes in a period count as 0 there.
public enum HoldoutReport {
    public enum Period: String, Sendable, CaseIterable { case day, week, month }

    public struct Line: Sendable {
        public let metric: String
        /// nil for the overall line.
        public let period: Date?
        public let measurementMean: Double
        public let holdoutMean: Double
        /// Measurement − holdout (Welch), and measurement / holdout − 1 (delta method).
        public let absolute: Effect
        public let relative: Effect
    }

    public struct Result: Sendable {
        public let holdout: Holdout
        public let measurementUnits: Int
        public let holdoutUnits: Int
        public let lines: [Line]
    }

    public static func run(metrics: [String], period: Period = .day, in store: Store) throws -> Result {
        guard !metrics.isEmpty else { throw PlatformError("report holdout needs at least one \(.metric)") }
        let c = store.connection
        guard let holdout = try HoldoutSettings.current(on: c) else {
            throw PlatformError(.wrongState, "no holdout is set (holdout set \(.percent) P)")
        }
        var kinds: [String: Metrics.Kind] = [:]
        for name in metrics {
            guard let metric = try Metrics.find(name, on: c) else { throw PlatformError("metric \"\(name)\" does not exist") }
            guard metric.kind != .ratio else { throw PlatformError("report holdout takes mean and proportion metrics") }
            kinds[name] = metric.kind
        }
        return try c.transaction { c in
            var population = Set<String>()
            try c.copyOutRows("""
                COPY (SELECT unit FROM assignments UNION SELECT unit FROM outcomes WHERE metric = ANY(\(metrics))) TO STDOUT
                """) { row in population.insert(try row.decode(String.self)) }
            try c.execute("CREATE TEMP TABLE holdout_groups (unit text PRIMARY KEY, grp text NOT NULL) ON COMMIT DROP")
            var counts: [Holdout.Group: Int] = [:]
            try c.copyIn("COPY holdout_groups (unit, grp) FROM STDIN") { writer in
                for unit in population {
                    let group = holdout.group(of: unit)
                    counts[group, default: 0] += 1
                    guard group != .general else { continue }
                    try writer.writeRow(unit, group.rawValue)
                }
            }
            try c.execute("ANALYZE holdout_groups")
            let nMeasurement = Double(counts[.measurement] ?? 0), nHoldout = Double(counts[.heldOut] ?? 0)
            guard nMeasurement >= 2, nHoldout >= 2 else {
                throw PlatformError("the holdout and measurement groups need at least two units each (have \(Int(nHoldout)) and \(Int(nMeasurement)))")
            }
            var lines: [Line] = []
            for metric in metrics {
                let aggregate = kinds[metric] == .proportion ? "max(value)" : "sum(value)"
                let bucket = "date_trunc('\(period.rawValue)', ts)" // from the enum: safe to splice
                let rows = try c.query("""
                    WITH y AS (SELECT unit, \(unsafeRaw: bucket) AS period, GROUPING(\(unsafeRaw: bucket)) AS overall,
                                      \(unsafeRaw: aggregate) AS v
                               FROM outcomes WHERE metric = \(metric)
                               GROUP BY GROUPING SETS ((unit, \(unsafeRaw: bucket)), (unit)))
                    SELECT y.overall = 1, y.period, g.grp, coalesce(sum(y.v), 0), coalesce(sum(y.v * y.v), 0)
                    FROM y JOIN holdout_groups g ON g.unit = y.unit
                    WHERE y.overall = 1 OR y.period IS NOT NULL
                    GROUP BY y.overall, y.period, g.grp
                    ORDER BY y.overall DESC, y.period
                    """).decode((Bool, Date?, String, Double, Double).self)
                // The (unit) grouping set gives the overall totals (untimed outcomes included);
                // the (unit, period) set the series.
                var byPeriod: [Date?: [String: (Double, Double)]] = [:]
                var order: [Date?] = [nil]
                for (overall, p, group, sum, squares) in rows {
                    let key: Date? = overall ? nil : p
                    if !overall, byPeriod[key] == nil { order.append(key) }
                    byPeriod[key, default: [:]][group] = (sum, squares)
                }
                for p in order {
                    let m = byPeriod[p]?[Holdout.Group.measurement.rawValue] ?? (0, 0)
                    let h = byPeriod[p]?[Holdout.Group.heldOut.rawValue] ?? (0, 0)
                    let ms = SampleSummary(count: nMeasurement, sum: m.0, sumOfSquares: m.1)
                    let hs = SampleSummary(count: nHoldout, sum: h.0, sumOfSquares: h.1)
                    let absolute = Welch.absolute(control: hs, treatment: ms)
                    let relative = Welch.relative(controlMean: hs.mean, controlVarianceOfMean: hs.variance / hs.count,
                                                  treatmentMean: ms.mean, treatmentVarianceOfMean: ms.variance / ms.count)
                    lines.append(Line(metric: metric, period: p, measurementMean: ms.mean, holdoutMean: hs.mean,
                                      absolute: absolute, relative: relative))
                }
            }
            return Result(holdout: holdout, measurementUnits: Int(nMeasurement), holdoutUnits: Int(nHoldout), lines: lines)
        }
    }
}
