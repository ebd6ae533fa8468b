import Foundation
import Postgres

/// `import series FILE.csv --metric M [--sparse] [--fill previous|linear]`: a panel of one value per
/// unit and period (header `unit,period,value`), replacing the metric's panel in one transaction.
///
/// A period is a date or a time (`1969` alone is January 1, 1969). An outcome panel must be complete
/// on a regular calendar (yearly on January 1, monthly on the 1st, or a fixed step): a missing cell,
/// a duplicate cell or an irregular calendar is an error naming the unit and period, unless `fill`
/// fills missing cells (from the nearest earlier period, or linearly between neighbours), which the
/// import counts and names. A sparse series (a predictor: schooling every five years) is stored as it
/// is; only duplicates are refused.
public enum SeriesImport {
    public enum Fill: String, Sendable, CaseIterable { case previous, linear }

    public struct Result: Sendable {
        public let metric: String
        public let units: Int
        public let periods: Int
        public let rows: Int
        public let filled: Int
        public let step: String?
    }

    /// `1969` → January 1, 1969 UTC; otherwise a date or time as the store reads them.
    public static func period(_ text: String) -> Date? {
        if text.count == 4, let year = Int(text), year >= 1000 { return Timestamps.parse("\(year)-01-01") }
        return Timestamps.parse(text)
    }

    public static func run(path: String, metric: String, sparse: Bool = false, fill: Fill? = nil, in store: Store) throws -> Result {
        guard !metric.isBlankName else { throw PlatformError("a series needs a \(.metric) name") }
        if sparse, fill != nil { throw PlatformError("a sparse series is stored as it is: fill applies to complete panels") }
        let file = try CSVReader(path: path, required: ["unit", "period", "value"])
        let (u, p, v) = (file.column("unit")!, file.column("period")!, file.column("value")!)
        var cells: [String: [Date: (value: Double, line: Int)]] = [:]
        var rows = 0
        while try file.next() {
            let unit = try file.unit(u)
            let text = try file.string(p)
            guard let time = period(text) else { throw file.error(p, "is \"\(text)\", not a period such as 1969, 2026-11-01 or 2026-11-01T10:00:00Z") }
            let value = try file.number(v)
            if let earlier = cells[unit]?[time] {
                throw PlatformError(.invalidFile, "\(path):\(file.line): unit \"\(unit)\" has period \(text) twice (also line \(earlier.line))")
            }
            cells[unit, default: [:]][time] = (value, file.line)
            rows += 1
        }
        guard rows > 0 else { throw PlatformError(.invalidFile, "\(path): no rows") }
        let periods = Set(cells.values.flatMap(\.keys)).sorted()
        var step: String?
        var filled = 0
        var stored: [(String, Date, Double)] = []
        if sparse {
            for (unit, byPeriod) in cells { for (t, c) in byPeriod { stored.append((unit, t, c.value)) } }
        } else {
            step = try calendar(periods, path: path)
            for (unit, byPeriod) in cells.sorted(by: { $0.key < $1.key }) {
                var values: [Double?] = periods.map { byPeriod[$0]?.value }
                if let missing = values.firstIndex(where: { $0 == nil }) {
                    guard let fill else {
                        throw PlatformError(.invalidFile, "\(path): unit \"\(unit)\" has no value for period \(label(periods[missing], step: step)); a panel must be complete (fill previous|linear fills gaps)")
                    }
                    filled += try fillGaps(&values, with: fill, unit: unit, periods: periods, step: step, path: path)
                }
                for (k, t) in periods.enumerated() { stored.append((unit, t, values[k]!)) }
            }
        }
        try store.connection.transaction { c in
            try c.execute("DELETE FROM series WHERE metric = \(metric)")
            _ = try c.copyIn("COPY series (unit, metric, period, value) FROM STDIN") { writer in
                for (unit, t, value) in stored { try writer.writeRow(unit, metric, t, value) }
            }
            try c.execute("""
                INSERT INTO series_metrics (metric, sparse, step, units, periods, filled, fill)
                VALUES (\(metric), \(sparse), \(step), \(Int32(cells.count)), \(Int32(periods.count)), \(Int32(filled)), \(filled > 0 ? fill?.rawValue : nil))
                ON CONFLICT (metric) DO UPDATE SET sparse = excluded.sparse, step = excluded.step, units = excluded.units,
                    periods = excluded.periods, filled = excluded.filled, fill = excluded.fill, imported_at = now()
                """)
        }
        return Result(metric: metric, units: cells.count, periods: periods.count, rows: stored.count, filled: filled, step: step)
    }

    /// The step of a regular calendar (`year`, `month` or a number of seconds), or an error naming
    /// the first gap that breaks it.
    static func calendar(_ periods: [Date], path: String) throws -> String? {
        guard periods.count >= 2 else { return nil }
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let parts = periods.map { utc.dateComponents([.year, .month, .day, .hour, .minute, .second, .nanosecond], from: $0) }
        let midnight = parts.allSatisfy { $0.hour == 0 && $0.minute == 0 && $0.second == 0 && ($0.nanosecond ?? 0) == 0 }
        func check(_ step: String, _ index: (DateComponents) -> Int) throws -> String {
            for k in 1..<periods.count where index(parts[k]) != index(parts[k - 1]) + 1 {
                throw PlatformError(.invalidFile, "\(path): irregular calendar: periods \(label(periods[k - 1], step: step)) and \(label(periods[k], step: step)) are not one \(step) apart")
            }
            return step
        }
        if midnight, parts.allSatisfy({ $0.month == 1 && $0.day == 1 }) { return try check("year") { $0.year! } }
        if midnight, parts.allSatisfy({ $0.day == 1 }) { return try check("month") { $0.year! * 12 + $0.month! } }
        let step = periods[1].timeIntervalSince(periods[0])
        for k in 1..<periods.count where abs(periods[k].timeIntervalSince(periods[k - 1]) - step) > 1e-6 {
            throw PlatformError(.invalidFile, "\(path): irregular calendar: \(label(periods[k - 1], step: nil)) to \(label(periods[k], step: nil)) is not the step of \(Int(step)) s between the first two periods")
        }
        return step.truncatingRemainder(dividingBy: 86_400) == 0 ? "\(Int(step / 86_400)) days" : "\(Int(step)) s"
    }

    static func fillGaps(_ values: inout [Double?], with fill: Fill, unit: String, periods: [Date], step: String?, path: String) throws -> Int {
        var count = 0
        for k in values.indices where values[k] == nil {
            let before = values[..<k].lastIndex { $0 != nil }
            let after = values[(k + 1)...].firstIndex { $0 != nil }
            switch (fill, before, after) {
            case (.previous, let b?, _):
                values[k] = values[b]
            case (.linear, let b?, let a?):
                let fraction = Double(k - b) / Double(a - b)
                values[k] = values[b]! + fraction * (values[a]! - values[b]!)
            default:
                throw PlatformError(.invalidFile, "\(path): unit \"\(unit)\" has no value for period \(label(periods[k], step: step)) and none \(fill == .previous ? "before it" : "on both sides") to fill from")
            }
            count += 1
        }
        return count
    }

    /// A period as people read it: the year alone for yearly panels, the date for daily or monthly
    /// ones, the time otherwise.
    public static func label(_ period: Date, step: String?) -> String {
        let text = Timestamps.format(period)
        if step == "year" { return String(text.prefix(4)) }
        if text.hasSuffix(" 00:00:00") { return String(text.prefix(10)) }
        return text
    }
}

extension SeriesImport {
    /// What `series from-metric` aggregates by.
    public enum Key: String, Sendable, CaseIterable { case unit, region }
    public enum Period: String, Sendable, CaseIterable { case day, week, month, year }

    /// `series from-metric SOURCE --metric NEW --by unit|region --period day|week|month|year`: the
    /// outcome rows of a metric that carry a time, summed per unit (or region) and calendar period
    /// (UTC; weeks start on Monday), as a complete panel: a unit with no row in a period has 0 there,
    /// counted as filled. Rows without a time, or without a region when aggregating by region, are
    /// left out and counted. One transaction; the panel NEW is replaced.
    public static func fromMetric(_ source: String, into metric: String, by key: Key, period: Period,
                                  in store: Store) throws -> (result: Result, leftOut: Int) {
        guard !metric.isBlankName else { throw PlatformError("a series needs a \(.metric) name") }
        return try store.connection.transaction { c in
            try c.execute("SET LOCAL TimeZone = 'UTC'")
            guard try c.query("SELECT EXISTS (SELECT 1 FROM metrics WHERE name = \(source))").decodeOne(Bool.self) else {
                throw PlatformError(.notFound, "metric \"\(source)\" does not exist")
            }
            let column: SQLQuery = key == .unit ? "unit" : "region"
            let counted = try c.query("""
                SELECT count(*) FILTER (WHERE ts IS NOT NULL AND \(column) IS NOT NULL)::bigint,
                       count(*) FILTER (WHERE ts IS NULL OR \(column) IS NULL)::bigint
                FROM outcomes WHERE metric = \(source)
                """).decode((Int, Int).self)[0]
            guard counted.0 > 0 else {
                throw PlatformError(.insufficientData, "metric \"\(source)\" has no outcome rows with a time\(key == .region ? " and a region" : ""): import outcomes with a ts\(key == .region ? " and region" : "") column")
            }
            try c.execute("DELETE FROM series WHERE metric = \(metric)")
            // One statement: the sums are read once and counted beside the cells they fill.
            let shape = try c.query("""
                WITH sums AS (SELECT \(column) AS unit, date_trunc(\(period.rawValue), ts) AS period, sum(value) AS value
                              FROM outcomes WHERE metric = \(source) AND ts IS NOT NULL AND \(column) IS NOT NULL GROUP BY 1, 2),
                     periods AS (SELECT generate_series(min(period), max(period), \("1 " + period.rawValue)::interval) AS period FROM sums),
                     units AS (SELECT DISTINCT unit FROM sums),
                     added AS (INSERT INTO series (unit, metric, period, value)
                               SELECT u.unit, \(metric), p.period, coalesce(s.value, 0) FROM units u CROSS JOIN periods p
                               LEFT JOIN sums s ON s.unit = u.unit AND s.period = p.period
                               RETURNING 1)
                SELECT (SELECT count(*) FROM units)::bigint, (SELECT count(*) FROM periods)::bigint,
                       (SELECT count(*) FROM added)::bigint, (SELECT count(*) FROM sums)::bigint
                """).decode((Int, Int, Int, Int).self)[0]
            let zeroFilled = shape.2 - shape.3
            try c.execute("""
                INSERT INTO series_metrics (metric, sparse, step, units, periods, filled, fill)
                VALUES (\(metric), false, \(period.rawValue), \(Int32(shape.0)), \(Int32(shape.1)), \(Int32(zeroFilled)), \(zeroFilled > 0 ? "zero" : nil))
                ON CONFLICT (metric) DO UPDATE SET sparse = false, step = excluded.step, units = excluded.units, periods = excluded.periods,
                    filled = excluded.filled, fill = excluded.fill, imported_at = now()
                """)
            return (Result(metric: metric, units: shape.0, periods: shape.1, rows: shape.2, filled: zeroFilled, step: period.rawValue), counted.1)
        }
    }
}
