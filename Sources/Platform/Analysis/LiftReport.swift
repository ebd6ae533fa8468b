import Foundation
import Postgres
import Randomization
import Stats

/// `report lift`: per metric and arm, effects against control with honest uncertainty. PostgreSQL
/// keeps per-arm sufficient statistics (n, Σy, Σy², Σx, Σx², Σxy) up to date as outcomes and
/// assignments arrive (schema 0006); cluster designs add per-cluster sums computed on demand.
/// Swift never sees a row.
///
/// A unit's value is the sum of its outcome rows (the maximum, for proportions); assigned units
/// without rows count as 0. Ratio metrics use the delta method on per-unit numerator and
/// denominator sums. The control is the first arm.
public enum LiftReport {
    public struct Options: Sendable {
        public var metrics: [String]
        /// A pre-period metric to adjust mean and proportion metrics with (CUPED).
        public var cuped: String?
        public var correction: MultipleTesting = .holm
        public var confidence = 0.95

        public init(metrics: [String], cuped: String? = nil) {
            self.metrics = metrics
            self.cuped = cuped
        }
    }

    /// One metric in one arm.
    public struct Row: Sendable {
        public let metric: String
        public let kind: Metrics.Kind
        public let arm: String
        public let units: Int
        /// The arm's mean (the ratio Σnumerator/Σdenominator for ratio metrics; CUPED-adjusted when asked).
        public let mean: Double
        /// Against control; nil on the control row.
        public let absolute: Effect?
        public let relative: Effect?
        /// After the correction across metrics and arms.
        public internal(set) var adjustedP: Double? = nil
        public internal(set) var significant = false
        /// A guardrail metric that got significantly worse.
        public internal(set) var guardrailFailed = false
        /// Share of the difference's variance CUPED removed (nil without CUPED).
        public let varianceReduction: Double?

        init(metric: Metrics.Metric, arm: String, units: Int, mean: Double, absolute: Effect? = nil, relative: Effect? = nil,
             varianceReduction: Double? = nil) {
            self.metric = metric.name
            self.kind = metric.kind
            self.arm = arm
            self.units = units
            self.mean = mean
            self.absolute = absolute
            self.relative = relative
            self.varianceReduction = varianceReduction
        }
    }

    public struct Result: Sendable {
        public let experiment: Experiment
        public let rows: [Row]
        public let sampleRatio: SampleRatioMismatch?
        /// Per metric: units with outcome rows but no assignment in this phase (left out, reported).
        public let unassignedUnits: [(metric: String, units: Int)]
        public let correction: MultipleTesting
        public let cuped: String?
        /// How the effects were estimated, in words.
        public let method: String
        /// Switchbacks: per metric, each region's windows with their arm and mean outcome.
        public var timelines: [Timeline] = []
    }

    /// A switchback metric over time: for each region, every period with the arm in force and the
    /// window's mean outcome after the burn-in (nil when nothing was observed).
    public struct Timeline: Sendable {
        public let metric: String
        public let regions: [String]
        /// Unix seconds of period 1 and the window length.
        public let start: Int64
        public let windowSeconds: Int64
        public let windows: [[(period: Int, arm: Int, value: Double?)]]
    }

    public static func run(_ name: String, options: Options, in store: Store) throws -> Result {
        guard !options.metrics.isEmpty else { throw PlatformError("report lift needs at least one --metric") }
        let c = store.connection
        let experiment = try Experiment.load(name, on: c)
        guard experiment.status != .draft else { throw PlatformError("experiment \"\(name)\" is a draft: nothing to report yet") }
        if experiment.design == .switchback { return try switchback(experiment, options: options, in: store) }
        if experiment.design == .cluster, options.cuped != nil {
            throw PlatformError("--cuped applies to user splits; cluster designs are analysed with cluster-robust errors")
        }
        var covariate: Metrics.Metric?
        if let cuped = options.cuped {
            guard let metric = try Metrics.find(cuped, on: c) else { throw PlatformError("metric \"\(cuped)\" does not exist") }
            guard metric.kind != .ratio else { throw PlatformError("--cuped takes a mean or proportion metric") }
            covariate = metric
        }
        // Each reported metric is a pair (y, x): the metric and the CUPED covariate, or a ratio's
        // numerator and denominator.
        var plan: [(metric: Metrics.Metric, y: Metrics.Metric, x: Metrics.Metric?)] = []
        for metricName in options.metrics {
            guard let metric = try Metrics.find(metricName, on: c) else { throw PlatformError("metric \"\(metricName)\" does not exist") }
            if metric.kind == .ratio {
                // never nil: ratio metrics are created with both parts, which must exist
                plan.append((metric, try Metrics.find(metric.numerator!, on: c)!, try Metrics.find(metric.denominator!, on: c)!))
            } else {
                plan.append((metric, metric, covariate))
            }
        }
        // Per metric, from the kept counts (one read; EXISTS over outcomes could scan millions of other
        // metrics' rows): units with a total, and those of them not assigned in this phase (held out
        // counts as assigned).
        let counted = Dictionary(uniqueKeysWithValues: try c.query("""
            SELECT m.metric, m.units, m.units - coalesce((SELECT sum(s.units) FROM arm_metric_sums s
                WHERE s.experiment_id = \(experiment.id) AND s.phase = \(Int32(experiment.phase)) AND s.metric = m.metric), 0)::bigint
            FROM metric_units m WHERE m.metric = ANY(\(Array(Set(plan.map(\.y.name)))))
            """).decode((String, Int, Int).self).map { ($0.0, (units: $0.1, unassigned: $0.2)) })
        for part in plan where (counted[part.y.name]?.units ?? 0) == 0 {
            throw PlatformError("metric \"\(part.y.name)\" has no outcomes; import them first")
        }
        let statistics = try collect(experiment, pairs: plan.map { ($0.y, $0.x) }, on: c)
        let clustered = experiment.design == .cluster
            ? try collectClusters(experiment, pairs: plan.map { ($0.y, $0.metric.kind == .ratio ? $0.x : nil) }, on: c) : []

        var rows: [Row] = []
        var pending: [(index: Int, p: Double)] = []
        var unassigned: [(String, Int)] = []
        for (k, part) in plan.enumerated() {
            let metric = part.metric
            let stats = statistics[k]
            unassigned.append((metric.name, counted[part.y.name]?.unassigned ?? 0))

            let summaries = experiment.arms.map { stats[$0.name] ?? CovariateSummary(count: 0, sumY: 0, sumY2: 0, sumX: 0, sumX2: 0, sumXY: 0) }
            guard let control = summaries.first, control.count >= 2 else {
                throw PlatformError("arm \"\(experiment.arms[0].name)\" has fewer than two units: nothing to compare")
            }
            let cuped = metric.kind != .ratio && covariate != nil ? CUPED(arms: summaries) : nil
            for (index, arm) in experiment.arms.enumerated() {
                let s = summaries[index]
                let estimate = estimateArm(s, kind: metric.kind, cuped: cuped)
                // The control row, and arms too small to compare, carry no effect.
                guard index > 0, s.count >= 2 else {
                    rows.append(Row(metric: metric, arm: arm.name, units: Int(s.count), mean: estimate.mean))
                    continue
                }
                if clustered.count > k {
                    let byArm = clustered[k]
                    guard let cr = ClusterRobust.difference(control: byArm[experiment.arms[0].name] ?? [], treatment: byArm[arm.name] ?? [],
                                                            ratio: metric.kind == .ratio, confidence: options.confidence) else { continue }
                    let relative = Welch.relative(controlMean: cr.controlEstimate, controlVarianceOfMean: cr.controlVariance,
                                                  treatmentMean: cr.treatmentEstimate, treatmentVarianceOfMean: cr.treatmentVariance,
                                                  confidence: options.confidence)
                    pending.append((rows.count, cr.absolute.pValue))
                    rows.append(Row(metric: metric, arm: arm.name, units: Int(s.count), mean: cr.treatmentEstimate,
                                    absolute: cr.absolute, relative: relative))
                    continue
                }
                let base = estimateArm(control, kind: metric.kind, cuped: cuped)
                let absolute: Effect
                switch (metric.kind, cuped) {
                case (.ratio, _):
                    absolute = normalDifference(control: base, treatment: estimate, confidence: options.confidence)
                case (_, let cuped?):
                    absolute = cuped.absoluteEffect(control: control, treatment: s, confidence: options.confidence)
                default:
                    absolute = Welch.absolute(control: control.outcome, treatment: s.outcome, confidence: options.confidence)
                }
                let relative = Welch.relative(controlMean: base.mean, controlVarianceOfMean: base.varianceOfMean,
                                              treatmentMean: estimate.mean, treatmentVarianceOfMean: estimate.varianceOfMean,
                                              confidence: options.confidence)
                pending.append((rows.count, absolute.pValue))
                rows.append(Row(metric: metric, arm: arm.name, units: Int(s.count), mean: estimate.mean,
                                absolute: absolute, relative: relative,
                                varianceReduction: cuped?.varianceReduction(control: control, treatment: s)))
            }
        }
        let guardrails = Dictionary(plan.map { ($0.metric.name, $0.metric) }, uniquingKeysWith: { first, _ in first })
        correct(&rows, pending: pending, options: options, guardrails: guardrails)
        let srm = try ExperimentCatalog.counts(experiment, in: store).sampleRatio
        return Result(experiment: experiment, rows: rows, sampleRatio: srm, unassignedUnits: unassigned,
                      correction: options.correction, cuped: options.cuped,
                      method: experiment.design == .cluster ? "cluster-robust (CR1) errors over clusters" : "Welch t intervals per unit")
    }

    /// Adjusts the pending rows' p-values across every (metric, arm) comparison, marks the
    /// significant ones, and flags guardrail metrics that got significantly worse.
    static func correct(_ rows: inout [Row], pending: [(index: Int, p: Double)], options: Options,
                        guardrails: [String: Metrics.Metric]) {
        let adjusted = options.correction.adjust(pending.map(\.p))
        for (k, item) in pending.enumerated() {
            let p = adjusted[k]
            let significant = p < 1 - options.confidence
            let metric = guardrails[rows[item.index].metric]
            let worse = (rows[item.index].absolute?.estimate ?? 0) * ((metric?.higherIsBetter ?? true) ? 1 : -1) < 0
            rows[item.index].adjustedP = p
            rows[item.index].significant = significant
            rows[item.index].guardrailFailed = (metric?.guardrail ?? false) && significant && worse
        }
    }

    struct ArmEstimate {
        let mean: Double
        let varianceOfMean: Double
    }

    /// An arm's point estimate and the variance of that estimate.
    static func estimateArm(_ s: CovariateSummary, kind: Metrics.Kind, cuped: CUPED?) -> ArmEstimate {
        let n = s.count
        switch kind {
        case .ratio:
            // Delta method for Σnumerator / Σdenominator over units (numerator in y, denominator in x).
            let ratio = s.sumY / s.sumX
            let meanD = s.sumX / n
            let varN = (s.sumY2 - s.sumY * s.sumY / n) / (n - 1)
            let varD = (s.sumX2 - s.sumX * s.sumX / n) / (n - 1)
            let cov = (s.sumXY - s.sumX * s.sumY / n) / (n - 1)
            return ArmEstimate(mean: ratio, varianceOfMean: (varN - 2 * ratio * cov + ratio * ratio * varD) / (n * meanD * meanD))
        default:
            if let cuped {
                let adjusted = cuped.adjusted(s)
                return ArmEstimate(mean: adjusted.mean, varianceOfMean: adjusted.variance / n)
            }
            return ArmEstimate(mean: s.sumY / n, varianceOfMean: s.outcome.variance / n)
        }
    }

    static func normalDifference(control: ArmEstimate, treatment: ArmEstimate, confidence: Double) -> Effect {
        let estimate = treatment.mean - control.mean
        let se = (control.varianceOfMean + treatment.varianceOfMean).squareRoot()
        let z = Normal.quantile(1 - (1 - confidence) / 2)
        return Effect(estimate: estimate, standardError: se, lower: estimate - z * se, upper: estimate + z * se,
                      pValue: se > 0 ? 2 * Normal.survival(abs(estimate / se)) : .nan, degreesOfFreedom: nil)
    }

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

    /// One column per metric of a unit's total (unit_totals has one row per unit and metric).
    static func pivotColumns(_ metrics: [Metrics.Metric]) -> [SQLQuery] {
        metrics.enumerated().map { k, m in "max(value) FILTER (WHERE metric = \(m.name)) AS v\(unsafeRaw: String(k))" }
    }

    /// Per arm and cluster: units, Σy and Σx for every (y, x) pair, from the experiment's cluster mapping.
    static func collectClusters(_ e: Experiment, pairs: [(y: Metrics.Metric, x: Metrics.Metric?)], on c: Connection)
        throws -> [[String: [ClusterSummary]]] {
        var metrics: [Metrics.Metric] = []
        func column(_ m: Metrics.Metric) -> Int {
            if let k = metrics.firstIndex(where: { $0.name == m.name }) { return k }
            metrics.append(m)
            return metrics.count - 1
        }
        let indices = pairs.map { (y: column($0.y), x: $0.x.map(column)) }
        var sums: [SQLQuery] = ["a.arm", "m.cluster", "count(*)::float8"]
        for (y, x) in indices {
            sums.append("coalesce(sum(v\(unsafeRaw: String(y))), 0)")
            sums.append(x.map { "coalesce(sum(v\(unsafeRaw: String($0))), 0)" } ?? "0::float8")
        }
        let query: SQLQuery = """
            WITH a AS (SELECT unit, arm FROM assignments
                       WHERE experiment_id = \(e.id) AND phase = \(Int32(e.phase)) AND NOT held_out),
                 u AS (SELECT unit, \(SQLQuery.joined(pivotColumns(metrics), separator: ", ")) FROM unit_totals
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

    /// Switchbacks: outcome rows (with `ts` and `region`) are grouped by region and window in SQL,
    /// split at the burn-in; Swift drops the burn-in of every window whose arm switched, takes each
    /// window's mean and regresses it on the arm with region and time-of-day fixed effects,
    /// clustering by region-day. Each non-control arm is compared with control on their windows.
    static func switchback(_ e: Experiment, options: Options, in store: Store) throws -> Result {
        guard options.cuped == nil else { throw PlatformError("--cuped applies to user splits") }
        let c = store.connection
        let design = try e.switchbackDesign()
        let regions = e.parameters.regions ?? []
        var rows: [Row] = []
        var timelines: [Timeline] = []
        var pending: [(index: Int, p: Double)] = []
        var loaded: [String: Metrics.Metric] = [:]
        for name in options.metrics {
            guard let metric = try Metrics.find(name, on: c) else { throw PlatformError("metric \"\(name)\" does not exist") }
            loaded[name] = metric
            guard metric.kind != .ratio else { throw PlatformError("ratio metrics in switchbacks are not built yet") }
            let parts = try c.query("""
                WITH o AS (SELECT region, extract(epoch FROM ts)::float8 - \(design.start) AS t, value FROM outcomes
                           WHERE metric = \(name) AND ts IS NOT NULL AND region = ANY(\(regions)) AND ts >= to_timestamp(\(Double(design.start))))
                SELECT region, floor(t / \(Double(design.windowSeconds)))::bigint AS w,
                       t - floor(t / \(Double(design.windowSeconds))) * \(Double(design.windowSeconds)) < \(Double(design.burnInSeconds)) AS early,
                       count(*)::float8, sum(value)
                FROM o GROUP BY 1, 2, 3
                """).decode((String, Int64, Bool, Double, Double).self)
            guard !parts.isEmpty else {
                throw PlatformError("metric \"\(name)\" has no outcomes with ts and a region of \(e.name) since its first period")
            }
            struct Cell { var count = 0.0, sum = 0.0 }
            var cells: [String: [Int64: (early: Cell, late: Cell)]] = [:]
            for (region, w, early, count, sum) in parts {
                var entry = cells[region]?[w] ?? (Cell(), Cell())
                if early { entry.early.count += count; entry.early.sum += sum } else { entry.late.count += count; entry.late.sum += sum }
                cells[region, default: [:]][w] = entry
            }
            var windows: [(arm: Int, window: SwitchbackRegression.Window)] = []
            var observed: [[Int: Double]] = Array(repeating: [:], count: regions.count) // period → window mean
            for (r, region) in regions.enumerated() {
                for (w, entry) in cells[region] ?? [:] {
                    let period = Int(w) + 1
                    if let limit = design.periods, period > limit { continue }
                    let arm = design.armIndex(region: region, period: period)
                    let switched = period == 1 || design.armIndex(region: region, period: period - 1) != arm
                    let count = entry.late.count + (switched ? 0 : entry.early.count)
                    let sum = entry.late.sum + (switched ? 0 : entry.early.sum)
                    guard count > 0 else { continue }
                    observed[r][period] = sum / count
                    let start = design.start + w * design.windowSeconds
                    let slot = Int(((start % 86_400) + 86_400) % 86_400 / design.windowSeconds)
                    let day = Int(SwitchbackDesign.floorDiv(start, 86_400))
                    windows.append((arm, .init(value: sum / count, treated: arm != 0, region: r, slot: slot,
                                              cluster: r * 10_000_000 + day)))
                }
            }
            let lastPeriod = design.periods ?? observed.compactMap { $0.keys.max() }.max() ?? 0
            timelines.append(Timeline(metric: name, regions: regions, start: design.start, windowSeconds: design.windowSeconds,
                                      windows: regions.enumerated().map { r, region in
                                          (1...max(lastPeriod, 1)).map { ($0, design.armIndex(region: region, period: $0), observed[r][$0]) }
                                      }))
            let control = windows.filter { $0.arm == 0 }.map(\.window)
            let controlMean = control.isEmpty ? .nan : control.reduce(0) { $0 + $1.value } / Double(control.count)
            rows.append(Row(metric: metric, arm: e.arms[0].name, units: control.count, mean: controlMean))
            // The optimal design's windows and blocks do not depend on the arm compared: built once per metric.
            let blocked = horvitzThompsonRegions(design, regions: regions, observed: observed, last: lastPeriod)
            for index in 1..<e.arms.count {
                let mine = windows.filter { $0.arm == index }.map(\.window)
                let mean = mine.isEmpty ? .nan : mine.reduce(0) { $0 + $1.value } / Double(mine.count)
                let effect: Effect?
                if design.carryover != nil {
                    effect = mine.isEmpty || control.isEmpty ? nil : blocked.flatMap {
                        SwitchbackHorvitzThompson.estimate($0, treated: index, control: 0, probabilities: Arm.fractions(design.arms),
                                                           confidence: options.confidence)
                    }
                } else {
                    effect = SwitchbackRegression.estimate(control + mine, confidence: options.confidence)
                }
                if let effect { pending.append((rows.count, effect.pValue)) }
                rows.append(Row(metric: metric, arm: e.arms[index].name, units: mine.count, mean: mean, absolute: effect))
            }
        }
        correct(&rows, pending: pending, options: options, guardrails: loaded)
        let method: String
        if let m = design.carryover {
            method = "Horvitz–Thompson estimator of Bojinov, Simchi-Levi & Zhao for the optimal design (carryover \(m)): "
                + "effect of an arm held for \(m + 1) windows, window means centred per region, conservative variance, "
                + "normal interval; "
                + "burn-in after each switch excluded; units = windows"
        } else {
            method = "regression of window means on the arm with region and time-of-day fixed effects, CR1 errors by region-day; "
                + "burn-in after each switch excluded; units = windows"
        }
        return Result(experiment: e, rows: rows, sampleRatio: nil, unassignedUnits: [], correction: options.correction,
                      cuped: nil, method: method, timelines: timelines)
    }

    /// The optimal design's data for the Horvitz–Thompson estimator: each region's randomization
    /// blocks with their draws, and every observed window after the first m periods with the blocks
    /// its last m + 1 windows touch; window means centred per region. Nil without a carryover order
    /// or with no period after the first m.
    static func horvitzThompsonRegions(_ design: SwitchbackDesign, regions: [String], observed: [[Int: Double]],
                                       last: Int) -> [SwitchbackHorvitzThompson.Region]? {
        guard let m = design.carryover, last > m else { return nil }
        let points = design.randomizationPoints(upTo: last)
        let ordinal = Dictionary(uniqueKeysWithValues: points.enumerated().map { ($0.element, $0.offset) })
        func block(_ period: Int) -> Int { ordinal[design.randomizationPeriod(for: period)]! } // never nil: points cover 1…last
        let data = regions.enumerated().map { r, region in
            SwitchbackHorvitzThompson.Region(
                blockArms: points.map { design.armIndex(region: region, period: $0) },
                periods: ((m + 1)...last).compactMap { t in
                    observed[r][t].map { .init(value: $0, blocks: block(t - m)...block(t)) }
                })
        }
        return SwitchbackHorvitzThompson.centred(data)
    }
}
