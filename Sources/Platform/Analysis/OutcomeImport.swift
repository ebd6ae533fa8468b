import Foundation
import Postgres

/// Metric definitions and `import outcomes FILE.csv --metric M`.
public enum Metrics {
    public enum Kind: String, Sendable, CaseIterable { case mean, proportion, ratio }

    /// A metric as stored.
    public struct Metric: Sendable, Equatable {
        public var name: String
        public var kind: Kind
        public var numerator: String?
        public var denominator: String?
        public var guardrail: Bool
        public var higherIsBetter: Bool
        /// Each unit's value is capped before analysis: at a fixed value, or at a percentile of the
        /// experiment's units' values in the phase (mean metrics only; at most one of the two).
        public var cap: Cap?

        public init(name: String, kind: Kind, numerator: String? = nil, denominator: String? = nil,
                    guardrail: Bool = false, higherIsBetter: Bool = true, cap: Cap? = nil) {
            self.name = name
            self.kind = kind
            self.numerator = numerator
            self.denominator = denominator
            self.guardrail = guardrail
            self.higherIsBetter = higherIsBetter
            self.cap = cap
        }
    }

    /// How a metric's unit values are capped (GrowthBook's "capping": absolute or percentile).
    public enum Cap: Sendable, Equatable, CustomStringConvertible {
        case value(Double)
        /// A quantile in (0, 1) of the experiment's units' values in the phase (units with a value).
        case percentile(Double)

        public var description: String {
            switch self {
            case .value(let v): return "capped at \(String(format: "%g", v))"
            case .percentile(let p): return "capped at the \(String(format: "%g", p * 100))th percentile"
            }
        }

        var fixed: Double? { if case .value(let v) = self { v } else { nil } }
        var quantile: Double? { if case .percentile(let p) = self { p } else { nil } }

        /// Refuses caps that are not finite or percentiles outside (0, 1).
        func validate(metric: String) throws {
            switch self {
            case .value(let v):
                guard v.isFinite else { throw PlatformError(.invalidInput, "metric \"\(metric)\": \(.cap) must be a finite number") }
            case .percentile(let p):
                guard p.isFinite, p > 0, p < 1 else {
                    throw PlatformError(.invalidInput, "metric \"\(metric)\": \(.capPercentile) must be between 0 and 1, exclusive (0.99 for the 99th); got \(String(format: "%g", p))")
                }
            }
        }
    }

    /// Defines a metric (ratio metrics name their numerator and denominator metrics).
    @discardableResult
    public static func create(_ metric: Metric, in store: Store) throws -> Metric {
        guard !metric.name.isBlankName else { throw PlatformError("a metric needs a name") }
        if metric.kind == .ratio {
            guard let n = metric.numerator, let d = metric.denominator else {
                throw PlatformError("a ratio metric needs \(.numerator) and \(.denominator)")
            }
            for part in [n, d] where try find(part, on: store.connection) == nil {
                throw PlatformError("metric \"\(part)\" does not exist; import its outcomes first")
            }
        } else if metric.numerator != nil || metric.denominator != nil {
            throw PlatformError("\(.numerator) and \(.denominator) belong to ratio metrics")
        }
        if let cap = metric.cap {
            try cap.validate(metric: metric.name)
            guard metric.kind == .mean else {
                throw PlatformError(.invalidInput, "metric \"\(metric.name)\": only mean metrics are capped (a ratio's parts carry their own caps; a proportion is 0 or 1)")
            }
        }
        try store.connection.transaction { c in
            guard try find(metric.name, on: c) == nil else { throw PlatformError("metric \"\(metric.name)\" already exists") }
            try c.execute("""
                INSERT INTO metrics (name, kind, numerator, denominator, guardrail, higher_is_better, cap, cap_percentile)
                VALUES (\(metric.name), \(metric.kind.rawValue), \(metric.numerator), \(metric.denominator), \(metric.guardrail),
                        \(metric.higherIsBetter), \(metric.cap?.fixed), \(metric.cap?.quantile))
                """)
        }
        return metric
    }

    /// Sets or removes a mean metric's cap (`metric set NAME --cap V | --cap-percentile P | --no-cap`).
    @discardableResult
    public static func setCap(_ name: String, to cap: Cap?, in store: Store) throws -> Metric {
        try store.connection.transaction { c in
            guard var metric = try load(where: "name = \(name)", lock: true, on: c).first else {
                throw PlatformError(.notFound, "metric \"\(name)\" does not exist")
            }
            if let cap {
                try cap.validate(metric: name)
                guard metric.kind == .mean else {
                    throw PlatformError(.invalidInput, "metric \"\(name)\" is a \(metric.kind.rawValue) metric: only mean metrics are capped (a ratio's parts carry their own caps; a proportion is 0 or 1)")
                }
            }
            try c.execute("UPDATE metrics SET cap = \(cap?.fixed), cap_percentile = \(cap?.quantile) WHERE name = \(name)")
            metric.cap = cap
            return metric
        }
    }

    /// Every metric, by name.
    public static func list(in store: Store) throws -> [Metric] {
        try load(where: "TRUE", on: store.connection)
    }

    static func find(_ name: String, on c: Connection) throws -> Metric? {
        try load(where: "name = \(name)", on: c).first
    }

    private static func load(where condition: SQLQuery, lock: Bool = false, on c: Connection) throws -> [Metric] {
        try c.query("""
            SELECT name, kind, numerator, denominator, guardrail, higher_is_better, cap, cap_percentile FROM metrics
            WHERE \(condition) ORDER BY name \(unsafeRaw: lock ? "FOR UPDATE" : "")
            """).decode((String, String, String?, String?, Bool, Bool, Double?, Double?).self).map {
            Metric(name: $0.0, kind: Kind(rawValue: $0.1) ?? .mean, numerator: $0.2, denominator: $0.3, guardrail: $0.4, higherIsBetter: $0.5,
                   cap: $0.6.map(Cap.value) ?? $0.7.map(Cap.percentile))
        }
    }

    /// What an import did.
    public struct ImportResult: Sendable {
        public let metric: String
        public let rows: Int
        public let units: Int
        public let created: Bool
    }

    /// Loads `unit,value[,ts][,region]` rows into a metric (created as `kind`, default mean, when new)
    /// in one transaction. A value that is not a finite number, a proportion outside {0, 1} or a bad
    /// time is an error naming the line and field; nothing is written then.
    @discardableResult
    public static func importOutcomes(path: String, metric name: String, kind: Kind?, in store: Store) throws -> ImportResult {
        guard !name.isBlankName else { throw PlatformError("\(.metric) needs a name") }
        let file = try CSVReader(path: path, required: ["unit", "value"])
        let unitColumn = file.column("unit")!, valueColumn = file.column("value")! // never nil: required
        let tsColumn = file.column("ts"), regionColumn = file.column("region")
        let existing = try find(name, on: store.connection)
        let effectiveKind = existing?.kind ?? kind ?? .mean
        if let existing, let kind, existing.kind != kind {
            throw PlatformError("metric \"\(name)\" is a \(existing.kind.rawValue) metric, not \(kind.rawValue)")
        }
        guard effectiveKind != .ratio else {
            throw PlatformError("a ratio metric has no outcomes of its own; import its numerator and denominator")
        }
        var created = false
        var rows = 0, units = 0
        try store.connection.transaction { c in
            if existing == nil {
                // Another import may create the metric at the same moment: the first wins, the other
                // appends to it when the kinds agree.
                created = try c.execute("""
                    INSERT INTO metrics (name, kind) VALUES (\(name), \(effectiveKind.rawValue)) ON CONFLICT (name) DO NOTHING
                    """) == 1
                if !created, let now = try find(name, on: c), now.kind != effectiveKind {
                    throw PlatformError(.conflict, "metric \"\(name)\" was just created as a \(now.kind.rawValue) metric, not \(effectiveKind.rawValue)")
                }
            }
            // Rows go to the server as they are read and checked: a bad line aborts the COPY, and
            // the transaction with it, so nothing of the file is kept. A metric's first rows go
            // straight into the table that becomes its partition; later ones into the session's
            // batch, from which the totals and sums are kept.
            try Upkeep.prepareBatch(on: c)
            let target = try Upkeep.outcomesTarget(metric: name, on: c)
            try c.copyIn("COPY \(identifier: target.table) (unit, metric, value, ts, region) FROM STDIN") { writer in
                store.progress.watch(writer, "reading and sending rows", reader: file)
                while try file.next() {
                    let unit = try file.unit(unitColumn)
                    let value = try file.number(valueColumn)
                    if effectiveKind == .proportion, value != 0, value != 1 {
                        throw file.error(valueColumn, "is \(file.excerpt(valueColumn)); a proportion metric takes 0 or 1")
                    }
                    var ts: Date?
                    if let tsColumn, !file.isEmpty(tsColumn) {
                        var t = try file.string(tsColumn)
                        if t.utf8.count == 16 { t += ":00" }
                        guard let parsed = Timestamps.parse(t) else {
                            throw file.error(tsColumn, "is \"\(file.excerpt(tsColumn))\", not a time such as 2026-11-22T10:15:00Z")
                        }
                        ts = parsed
                    }
                    let region = try regionColumn.flatMap { try file.optionalString($0) }
                    try writer.writeRow(unit, name, value, ts, region)
                }
            }
            rows = file.rows
            units = target.fresh ? try Upkeep.addFreshOutcomes(metric: name, on: c) : try Upkeep.addOutcomes(on: c)
        }
        return ImportResult(metric: name, rows: rows, units: units, created: created)
    }
}
