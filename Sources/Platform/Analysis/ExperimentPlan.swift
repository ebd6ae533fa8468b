import Foundation
import Postgres
import Randomization
import Stats

/// `experiment plan`: before an experiment (or on a draft one), how many units and days it needs to
/// detect an effect, or which effect a given number of units can detect. The normal approximation,
/// two-sided, as statsmodels' `NormalIndPower`; each treatment arm is compared with control at a
/// level split across the comparisons (Bonferroni: the strictest step of Holm and of
/// Benjamini–Hochberg), so that the report's correction keeps the planned power.
public enum ExperimentPlan {
    public struct Request: Sendable {
        /// The metric whose variance is used; nil with a given baseline.
        public var metric: String?
        /// Read the variance from this experiment's units in its current phase.
        public var experiment: String?
        /// A given baseline instead of stored data: mean and unit-level standard deviation.
        public var baselineMean: Double?
        public var baselineSD: Double?
        /// A given conversion rate instead of stored data (σ = √(p(1 − p))).
        public var proportion: Double?
        /// The effect to detect (absolute, or relative to the baseline mean with `relative`)...
        public var mde: Double?
        /// ...or the units available in all, to give the effect they can detect.
        public var units: Int?
        public var relative = false
        public var arms = [Arm(name: "control", weight: 50), Arm(name: "treatment", weight: 50)]
        public var alpha = 0.05
        public var power = 0.8
        public var unitsPerDay: Double?
        /// A pre-period metric: the variance is reduced by CUPED's 1 − ρ² (ρ from stored data).
        public var cuped: String?
        /// The sequential tuning parameter when the report will be read sequentially.
        public var sequential: Double?
        public var correction: MultipleTesting = .holm

        public init() {}
    }

    public struct Plan: Sendable {
        public let metric: String?
        /// Where the mean and variance came from, in words.
        public let source: String
        public let baselineMean: Double?
        /// The unit-level standard deviation planned with (CUPED-adjusted when asked).
        public let standardDeviation: Double
        /// The share of variance CUPED removes (ρ²), when planned with CUPED.
        public let varianceReduction: Double?
        /// The level of each comparison after the split.
        public let alphaPerComparison: Double
        public let comparisons: Int
        public let power: Double
        public let unitsPerArm: [(arm: String, units: Int)]
        public let totalUnits: Int
        public let days: Int?
        /// The absolute effect planned for (given, or the minimum detectable at `units`).
        public let mde: Double
        /// The same relative to the baseline mean, when there is one.
        public let relativeMDE: Double?
        public let sequential: Double?
    }

    public static func run(_ r: Request, in store: Store?) throws -> Plan {
        try validate(r)
        let weights = r.arms.map(\.weight), total = weights.reduce(0, +)
        let shares = weights.map { $0 / total }
        // The variance: given, or read from the store.
        var mean: Double?, sd: Double, source: String, reduction: Double?
        if let p = r.proportion {
            (mean, sd, source) = (p, (p * (1 - p)).squareRoot(), "a conversion rate of \(String(format: "%g", p))")
        } else if let m = r.baselineMean, let s = r.baselineSD {
            (mean, sd, source) = (m, s, "the given baseline")
        } else {
            guard let store else { throw PlatformError("planning from stored data needs a database") }
            let history = try stored(r, in: store)
            (mean, sd, source, reduction) = (history.mean, history.sd, history.source, history.reduction)
        }
        if r.cuped != nil, reduction == nil {
            throw PlatformError("\(.cuped) needs stored data: name the \(.metric) (and an experiment) rather than a baseline")
        }
        if let reduction { sd *= (1 - reduction).squareRoot() }
        guard sd.isFinite, sd > 0 else { throw PlatformError(.insufficientData, "the metric's standard deviation is 0: nothing to plan") }
        let comparisons = max(1, r.arms.count - 1)
        let alpha = r.correction == .none ? r.alpha : r.alpha / Double(comparisons)
        let analysis = PowerAnalysis(standardDeviation: sd, alpha: alpha, sequentialTuning: r.sequential)

        var totalUnits: Double
        let effect: Double
        if let mde = r.mde {
            if r.relative {
                guard let mean, mean != 0 else { throw PlatformError("a relative \(.mde) needs a baseline mean other than 0") }
                effect = mde * abs(mean)
            } else {
                effect = mde
            }
            totalUnits = (1..<r.arms.count).map { analysis.totalUnits(effect: effect, power: r.power, control: shares[0], treatment: shares[$0]) }.max() ?? 0
        } else {
            totalUnits = Double(r.units ?? 0)
            effect = (1..<r.arms.count).map { analysis.minimumEffect(totalUnits: totalUnits, power: r.power, control: shares[0], treatment: shares[$0]) }.max() ?? .nan
        }
        let perArm = zip(r.arms, shares).map { ($0.name, Int((totalUnits * $1 - 1e-9).rounded(.up))) }
        let sum = perArm.reduce(0) { $0 + $1.1 }
        return Plan(metric: r.metric, source: source, baselineMean: mean, standardDeviation: sd, varianceReduction: reduction,
                    alphaPerComparison: alpha, comparisons: comparisons, power: r.power, unitsPerArm: perArm, totalUnits: sum,
                    days: r.unitsPerDay.map { Int((Double(sum) / $0 - 1e-9).rounded(.up)) },
                    mde: effect, relativeMDE: mean.flatMap { $0 == 0 ? nil : effect / abs($0) }, sequential: r.sequential)
    }

    static func validate(_ r: Request) throws {
        switch (r.mde, r.units) {
        case (nil, nil): throw PlatformError("give \(.mde) to get the units needed, or the units available to get the effect they detect")
        case (_?, _?): throw PlatformError("give \(.mde) or the units available, not both")
        case (let d?, nil):
            guard d.isFinite, d > 0 else { throw PlatformError("\(.mde) must be greater than 0; got \(String(format: "%g", d))") }
        case (nil, let n?):
            guard n >= 2 * r.arms.count else { throw PlatformError("the units available must be at least 2 per arm; got \(n)") }
        }
        guard r.alpha.isFinite, r.alpha > 0, r.alpha < 1 else {
            throw PlatformError("\(.alpha) must be between 0 and 1, exclusive; got \(String(format: "%g", r.alpha))")
        }
        guard r.power.isFinite, r.power > 0, r.power < 1 else {
            throw PlatformError("\(.power) must be between 0 and 1, exclusive; got \(String(format: "%g", r.power))")
        }
        if let p = r.proportion, !(p > 0 && p < 1) {
            throw PlatformError("the baseline proportion must be between 0 and 1, exclusive; got \(String(format: "%g", p))")
        }
        if let s = r.baselineSD, !(s.isFinite && s > 0) {
            throw PlatformError("the baseline standard deviation must be greater than 0; got \(String(format: "%g", s))")
        }
        if let m = r.baselineMean, !m.isFinite { throw PlatformError("the baseline mean must be a finite number") }
        if (r.baselineMean == nil) != (r.baselineSD == nil) { throw PlatformError("a baseline needs both its mean and its standard deviation") }
        let given = [r.proportion != nil, r.baselineMean != nil, r.experiment != nil].filter { $0 }.count
        guard given <= 1 else { throw PlatformError("give one of an experiment, a baseline mean and standard deviation, or a proportion") }
        if given == 0, r.metric == nil { throw PlatformError("name a \(.metric) to read its variance, or give a baseline") }
        if r.experiment != nil, r.metric == nil { throw PlatformError("planning from an experiment needs the \(.metric)") }
        if let perDay = r.unitsPerDay, !(perDay.isFinite && perDay > 0) { throw PlatformError("the units per day must be greater than 0") }
        if let tuning = r.sequential, !(tuning.isFinite && tuning > 0) { throw PlatformError("the sequential tuning parameter must be greater than 0") }
        do { try Arm.validate(r.arms) } catch { throw PlatformError.computation("", error) }
        guard r.arms.count >= 2 else { throw PlatformError("a plan needs a control and at least one treatment arm") }
    }

    /// Mean and standard deviation from the store: an experiment's units in its current phase (pooled
    /// within arms; units without rows count 0, as in its report), or every unit with a value of the
    /// metric. With CUPED, ρ² between the metric and the covariate over the same units.
    static func stored(_ r: Request, in store: Store) throws -> (mean: Double, sd: Double, source: String, reduction: Double?) {
        let c = store.connection
        guard let name = r.metric, let metric = try Metrics.find(name, on: c) else {
            throw PlatformError(.notFound, "metric \"\(r.metric ?? "")\" does not exist")
        }
        guard metric.kind != .ratio else { throw PlatformError("plan a ratio metric from a baseline: its variance needs the delta method per design") }
        var covariate: Metrics.Metric?
        if let cuped = r.cuped {
            guard let m = try Metrics.find(cuped, on: c) else { throw PlatformError(.notFound, "metric \"\(cuped)\" does not exist") }
            guard m.kind != .ratio else { throw PlatformError("\(.cuped) takes a mean or proportion metric") }
            covariate = m
        }
        var summaries: [CovariateSummary]
        let source: String
        var controlMean: Double?
        if let name = r.experiment {
            let e = try Experiment.load(name, on: c)
            guard e.design == .user else { throw PlatformError("plan from a user-split experiment: a \(e.design.rawValue) design's variance is not per unit") }
            let byArm = try LiftReport.collect(e, pairs: [(metric, covariate)], on: c)[0]
            summaries = Array(byArm.values)
            if let control = byArm[e.arms[0].name], control.count > 0 { controlMean = control.sumY / control.count }
            source = "experiment \(name)'s units in phase \(e.phase)"
        } else {
            let x: SQLQuery = covariate.map { "LEFT JOIN unit_totals x ON x.unit = y.unit AND x.metric = \($0.name)" } ?? ""
            let xv: SQLQuery = covariate == nil ? "0::float8" : "coalesce(x.value, 0)"
            let row = try c.query("""
                SELECT count(*)::float8, coalesce(sum(y.value), 0), coalesce(sum(y.value * y.value), 0),
                       coalesce(sum(\(xv)), 0), coalesce(sum(\(xv) * \(xv)), 0), coalesce(sum(y.value * \(xv)), 0)
                FROM unit_totals y \(x) WHERE y.metric = \(metric.name)
                """).decode((Double, Double, Double, Double, Double, Double).self)[0]
            summaries = [CovariateSummary(count: row.0, sumY: row.1, sumY2: row.2, sumX: row.3, sumX2: row.4, sumXY: row.5)]
            source = "metric \(metric.name)'s units with a value"
        }
        summaries = summaries.filter { $0.count >= 2 }
        let n = summaries.reduce(0) { $0 + $1.count }
        guard n >= 2 else { throw PlatformError(.insufficientData, "\(source): fewer than two units to read the variance from") }
        // Pooled within groups: Σ centred squares over Σ(n − 1).
        let dof = summaries.reduce(0) { $0 + $1.count - 1 }
        let syy = summaries.reduce(0) { $0 + ($1.sumY2 - $1.sumY * $1.sumY / $1.count) }
        var reduction: Double?
        if covariate != nil {
            let sxx = summaries.reduce(0) { $0 + ($1.sumX2 - $1.sumX * $1.sumX / $1.count) }
            let sxy = summaries.reduce(0) { $0 + ($1.sumXY - $1.sumX * $1.sumY / $1.count) }
            reduction = sxx > 0 && syy > 0 ? sxy * sxy / (sxx * syy) : 0
        }
        return (controlMean ?? summaries.reduce(0) { $0 + $1.sumY } / n, (max(0, syy) / dof).squareRoot(), source, reduction)
    }
}
