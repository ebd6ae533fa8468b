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
        /// Also recompute the kept sums from the rows and say whether they agree (`--verify`).
        public var verify = false

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
        /// With `verify`: the kept sums against the rows.
        public var verification: Verification? = nil
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

    /// The report, every figure from one snapshot of the store.
    public static func run(_ name: String, options: Options, in store: Store) throws -> Result {
        try store.connection.transaction(.repeatableRead, readOnly: true) { c in
            var result = try report(name, options: options, in: store)
            if options.verify { result.verification = try verify(result.experiment, on: c) }
            return result
        }
    }

    static func report(_ name: String, options: Options, in store: Store) throws -> Result {
        guard !options.metrics.isEmpty else { throw PlatformError("report lift needs at least one \(.metric)") }
        let c = store.connection
        let experiment = try Experiment.load(name, on: c)
        guard experiment.status != .draft else { throw PlatformError("experiment \"\(name)\" is a draft: nothing to report yet") }
        if experiment.design == .switchback { return try switchback(experiment, options: options, in: store) }
        if experiment.design == .cluster, options.cuped != nil {
            throw PlatformError("\(.cuped) applies to user splits; cluster designs are analysed with cluster-robust errors")
        }
        let (covariate, plan) = try pairs(options, on: c)
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
                let (absolute, relative) = compare(control: control, treatment: s, kind: metric.kind, cuped: cuped,
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

    /// A unit-level arm against control: the absolute effect (Welch, CUPED-adjusted Welch, or the
    /// delta method's normal difference for ratios) and the relative one (delta method).
    static func compare(control: CovariateSummary, treatment: CovariateSummary, kind: Metrics.Kind, cuped: CUPED?,
                        confidence: Double) -> (absolute: Effect, relative: Effect) {
        let base = estimateArm(control, kind: kind, cuped: cuped), estimate = estimateArm(treatment, kind: kind, cuped: cuped)
        let absolute: Effect
        switch (kind, cuped) {
        case (.ratio, _):
            absolute = DeltaMethod.difference(control: base, treatment: estimate, confidence: confidence)
        case (_, let cuped?):
            absolute = cuped.absoluteEffect(control: control, treatment: treatment, confidence: confidence)
        default:
            absolute = Welch.absolute(control: control.outcome, treatment: treatment.outcome, confidence: confidence)
        }
        let relative = Welch.relative(controlMean: base.mean, controlVarianceOfMean: base.varianceOfMean,
                                      treatmentMean: estimate.mean, treatmentVarianceOfMean: estimate.varianceOfMean,
                                      confidence: confidence)
        return (absolute, relative)
    }

    /// Each reported metric as a pair (y, x): the metric and the CUPED covariate, or a ratio's
    /// numerator and denominator; and the covariate itself.
    static func pairs(_ options: Options, on c: Connection) throws
        -> (covariate: Metrics.Metric?, plan: [(metric: Metrics.Metric, y: Metrics.Metric, x: Metrics.Metric?)]) {
        var covariate: Metrics.Metric?
        if let cuped = options.cuped {
            guard let metric = try Metrics.find(cuped, on: c) else { throw PlatformError(.notFound, "metric \"\(cuped)\" does not exist") }
            guard metric.kind != .ratio else { throw PlatformError("\(.cuped) takes a mean or proportion metric") }
            covariate = metric
        }
        var plan: [(metric: Metrics.Metric, y: Metrics.Metric, x: Metrics.Metric?)] = []
        for metricName in options.metrics {
            guard let metric = try Metrics.find(metricName, on: c) else {
                throw PlatformError(.notFound, "metric \"\(metricName)\" does not exist")
            }
            if metric.kind == .ratio {
                // never nil: ratio metrics are created with both parts, which must exist
                plan.append((metric, try Metrics.find(metric.numerator!, on: c)!, try Metrics.find(metric.denominator!, on: c)!))
            } else {
                plan.append((metric, metric, covariate))
            }
        }
        return (covariate, plan)
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

    /// An arm's point estimate and the variance of that estimate.
    static func estimateArm(_ s: CovariateSummary, kind: Metrics.Kind, cuped: CUPED?) -> MeanEstimate {
        switch kind {
        case .ratio:
            return DeltaMethod.ratio(s)
        default:
            if let cuped {
                let adjusted = cuped.adjusted(s)
                return MeanEstimate(mean: adjusted.mean, varianceOfMean: adjusted.variance / s.count)
            }
            return MeanEstimate(mean: s.sumY / s.count, varianceOfMean: s.outcome.variance / s.count)
        }
    }
}
