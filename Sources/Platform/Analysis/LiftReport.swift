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
        /// Fixed-horizon and sequential tests, or GrowthBook's Bayesian engine.
        public var engine: Engine = .frequentist
        /// Sequential testing (GrowthBook's always-valid intervals) with this tuning parameter; nil: fixed horizon.
        public var sequential: Double? = nil
        /// The Bayesian engine's prior on the relative lift; nil: GrowthBook's flat (improper) prior.
        public var prior: GaussianPrior? = nil
        /// A unit attribute (from `import units`) to break every metric down by.
        public var by: String? = nil
        /// Only units SDKs reported exposed, and their outcomes from their first exposure on.
        public var exposed = false

        public init(metrics: [String], cuped: String? = nil) {
            self.metrics = metrics
            self.cuped = cuped
        }
    }

    public enum Engine: String, Sendable, CaseIterable { case frequentist, bayesian }

    /// The Bayesian engine's decision figures for an arm, on the relative lift (on the absolute
    /// difference when the control's mean is 0).
    public struct Decision: Sendable {
        /// P(the arm beats control), in the metric's direction.
        public let chanceToWin: Double
        /// Expected loss of keeping control and of shipping the arm.
        public let riskControl: Double
        public let riskTreatment: Double
        /// The posterior of the relative lift (mean, standard deviation), for plots.
        public let posteriorMean: Double
        public let posteriorSD: Double
        public let relative: Bool
    }

    /// One metric in one arm.
    public struct Row: Sendable {
        /// The attribute value this row is about (`--by`); nil without a breakdown.
        public internal(set) var slice: String? = nil
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
        /// With the Bayesian engine: chance to win and risks.
        public internal(set) var decision: Decision? = nil

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
        public var engine: Engine = .frequentist
        /// The sequential tuning parameter, when the intervals are sequential.
        public var sequential: Double? = nil
        public var prior: GaussianPrior? = nil
        /// With `by`: the attribute and each slice's units and SRM check, in report order.
        public var by: String? = nil
        public var slices: [Slice] = []
        /// The caps in force, resolved to values for this experiment and phase.
        public var caps: [(metric: String, cap: Metrics.Cap, value: Double)] = []
    }

    /// One block of a breakdown: the attribute value (`(other)`, `(none)`), its units and SRM check.
    public struct Slice: Sendable {
        public let name: String
        public let units: Int
        public let sampleRatio: SampleRatioMismatch?
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
            // Before the snapshot (taken by the first query): a large import swaps a metric's
            // totals table in at its commit, and a snapshot older than that swap would find the
            // new table's rows invisible. Held, the lock makes the swap wait for this report or
            // this report start after it.
            try c.execute("LOCK TABLE unit_totals IN ACCESS SHARE MODE")
            var result = try report(name, options: options, in: store)
            if options.verify { result.verification = try verify(result.experiment, on: c) }
            return result
        }
    }

    static func report(_ name: String, options: Options, in store: Store) throws -> Result {
        guard !options.metrics.isEmpty else { throw PlatformError("report lift needs at least one \(.metric)") }
        try validate(options)
        let c = store.connection
        let experiment = try Experiment.load(name, on: c)
        guard experiment.status != .draft else { throw PlatformError("experiment \"\(name)\" is a draft: nothing to report yet") }
        try refuseUnsupported(options, design: experiment.design)
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
        let pairs = plan.map { (y: $0.y, x: $0.x) }
        let caps = try resolveCaps(plan.flatMap { [$0.y] + ($0.x.map { [$0] } ?? []) }, experiment: experiment, on: c)
        let blocks: [Block]
        if options.exposed {
            let statistics = try collectExposed(experiment, pairs: pairs, covariate: covariate, caps: caps.values, on: c)
            guard statistics.contains(where: { !$0.isEmpty }) else {
                throw PlatformError(.insufficientData, "experiment \"\(name)\" has no exposures in phase \(experiment.phase): import exposures or send them to causeway serve")
            }
            blocks = [Block(slice: nil, statistics: statistics, units: 0, sampleRatio: nil)]
        } else if options.by != nil {
            blocks = try collectRows(experiment, pairs: pairs, caps: caps.values, by: options.by, on: c)
        } else {
            var statistics = try collect(experiment, pairs: pairs, on: c)
            if !caps.isEmpty {
                // Few units above the caps (a high percentile): the kept sums less their excess. Many (a
                // low fixed cap): every unit's capped value, which costs the same whatever the cap.
                if try caps.ordered.allSatisfy({ try tailShare(metric: $0.metric, above: $0.value, on: c) <= 0.05 }) {
                    try applyCaps(experiment, pairs: pairs, caps: caps.values, to: &statistics, on: c)
                } else {
                    statistics = try collectRows(experiment, pairs: pairs, caps: caps.values, by: nil, on: c)[0].statistics
                }
            }
            blocks = [Block(slice: nil, statistics: statistics, units: 0, sampleRatio: nil)]
        }
        let clustered = experiment.design == .cluster
            ? try collectClusters(experiment, pairs: plan.map { ($0.y, $0.metric.kind == .ratio ? $0.x : nil) }, caps: caps.values, on: c) : []

        var rows: [Row] = []
        var pending: [(index: Int, p: Double)] = []
        for block in blocks {
            try analyse(block, experiment: experiment, plan: plan, covariate: covariate, clustered: clustered, options: options,
                        rows: &rows, pending: &pending)
        }
        let guardrails = Dictionary(plan.map { ($0.metric.name, $0.metric) }, uniquingKeysWith: { first, _ in first })
        correct(&rows, pending: pending, options: options, guardrails: guardrails)
        let srm = options.exposed ? try Exposures.counts(experiment, on: c).sampleRatio : try ExperimentCatalog.counts(experiment, in: store).sampleRatio
        var result = Result(experiment: experiment, rows: rows, sampleRatio: srm,
                            unassignedUnits: plan.map { ($0.metric.name, counted[$0.y.name]?.unassigned ?? 0) },
                            correction: options.correction, cuped: options.cuped,
                            method: method(options, design: experiment.design))
        result.engine = options.engine
        result.sequential = options.sequential
        result.prior = options.prior
        result.by = options.by
        result.slices = options.by == nil ? [] : blocks.map { Slice(name: $0.slice ?? "", units: $0.units, sampleRatio: $0.sampleRatio) }
        result.caps = caps.ordered
        return result
    }

    /// Bad option values, before anything is read.
    static func validate(_ options: Options) throws {
        if options.engine == .bayesian, options.sequential != nil {
            throw PlatformError("\(.sequential) and the Bayesian \(.engine) do not combine: the posterior may be read at any time already; choose one")
        }
        if let tuning = options.sequential, !(tuning.isFinite && tuning > 0) {
            throw PlatformError("the sequential tuning parameter must be a positive number of units (GrowthBook's default is 5000)")
        }
        if let prior = options.prior {
            guard options.engine == .bayesian else { throw PlatformError("a prior applies to the Bayesian \(.engine) only") }
            guard prior.mean.isFinite else { throw PlatformError("\(.priorMean) must be a finite number") }
            guard prior.variance.isFinite, prior.variance > 0 else { throw PlatformError("\(.priorSD) must be greater than 0") }
        }
        if let by = options.by, by.isBlankName { throw PlatformError("\(.by) needs an attribute name") }
        if options.exposed, options.by != nil { throw PlatformError("\(.by) does not combine with the exposed-only analysis yet; report one or the other") }
    }

    /// The new engines and breakdowns need unit-level statistics: refused, with the reason, where
    /// the design's units are not independent.
    static func refuseUnsupported(_ options: Options, design: Experiment.Design) throws {
        guard design != .user else { return }
        let why = design == .cluster
            ? "a cluster design is analysed with cluster-robust errors over clusters, and these need independent units"
            : "a switchback is analysed on window means by regression, and these need independent units"
        if options.sequential != nil { throw PlatformError("\(.sequential) is not available here: \(why)") }
        if options.engine == .bayesian { throw PlatformError("the Bayesian \(.engine) is not available here: \(why)") }
        if options.by != nil, design == .switchback {
            throw PlatformError("\(.by) is not available for a switchback: its units are region windows, which have no unit attributes")
        }
        if options.exposed {
            throw PlatformError("exposed-only analysis is for user splits: a \(design.rawValue) design's units are not what SDKs report")
        }
        if options.by != nil, design == .cluster {
            throw PlatformError("\(.by) is not available for a cluster design: a slice of units cuts across clusters, so its errors are not cluster-robust")
        }
    }

    /// How the effects were estimated, in words.
    static func method(_ options: Options, design: Experiment.Design) -> String {
        let base = engineMethod(options, design: design)
        return options.exposed ? base + "; exposed units only, outcomes from each unit's first exposure on" : base
    }

    static func engineMethod(_ options: Options, design: Experiment.Design) -> String {
        if design == .cluster { return "cluster-robust (CR1) errors over clusters" }
        if options.engine == .bayesian {
            let prior = options.prior.map {
                "Gaussian prior on the relative lift, mean \(String(format: "%g", $0.mean)), sd \(String(format: "%g", $0.variance.squareRoot()))"
            } ?? "flat (improper) prior"
            return "GrowthBook's Bayesian engine, normal posterior with a \(prior); credible intervals"
        }
        if let tuning = options.sequential {
            return "sequential: always-valid intervals (Waudby-Smith et al. 2023, as GrowthBook), tuning \(String(format: "%g", tuning)); safe to look at any time"
        }
        return "Welch t intervals per unit"
    }

    /// One block's rows (the whole experiment, or one slice of it): every metric, every arm.
    static func analyse(_ block: Block, experiment: Experiment, plan: [(metric: Metrics.Metric, y: Metrics.Metric, x: Metrics.Metric?)],
                        covariate: Metrics.Metric?, clustered: [[String: [ClusterSummary]]], options: Options,
                        rows: inout [Row], pending: inout [(index: Int, p: Double)]) throws {
        for (k, part) in plan.enumerated() {
            let metric = part.metric
            let stats = block.statistics[k]
            let summaries = experiment.arms.map { stats[$0.name] ?? CovariateSummary(count: 0, sumY: 0, sumY2: 0, sumX: 0, sumX2: 0, sumXY: 0) }
            guard let control = summaries.first, control.count >= 2 else {
                if block.slice != nil {
                    // A small slice: reported without effects rather than failing the report.
                    for (index, arm) in experiment.arms.enumerated() {
                        var row = Row(metric: metric, arm: arm.name, units: Int(summaries[index].count),
                                      mean: summaries[index].count > 0 ? estimateArm(summaries[index], kind: metric.kind, cuped: nil).mean : .nan)
                        row.slice = block.slice
                        rows.append(row)
                    }
                    continue
                }
                throw PlatformError(.insufficientData, "arm \"\(experiment.arms[0].name)\" has fewer than two units: nothing to compare")
            }
            let cuped = metric.kind != .ratio && covariate != nil ? CUPED(arms: summaries) : nil
            // One arm's row; an effect with a p-value to correct is appended to `pending` at `position`.
            func armRow(_ index: Int, _ arm: Arm, position: Int) -> Row {
                let s = summaries[index]
                let estimate = estimateArm(s, kind: metric.kind, cuped: cuped)
                // The control row, and arms too small to compare, carry no effect.
                guard index > 0, s.count >= 2 else {
                    return Row(metric: metric, arm: arm.name, units: Int(s.count), mean: estimate.mean)
                }
                if clustered.count > k {
                    let byArm = clustered[k]
                    guard let cr = ClusterRobust.difference(control: byArm[experiment.arms[0].name] ?? [], treatment: byArm[arm.name] ?? [],
                                                            ratio: metric.kind == .ratio, confidence: options.confidence) else {
                        return Row(metric: metric, arm: arm.name, units: Int(s.count), mean: estimate.mean)
                    }
                    let relative = Welch.relative(controlMean: cr.controlEstimate, controlVarianceOfMean: cr.controlVariance,
                                                  treatmentMean: cr.treatmentEstimate, treatmentVarianceOfMean: cr.treatmentVariance,
                                                  confidence: options.confidence)
                    pending.append((position, cr.absolute.pValue))
                    return Row(metric: metric, arm: arm.name, units: Int(s.count), mean: cr.treatmentEstimate, absolute: cr.absolute, relative: relative)
                }
                let reduction = cuped?.varianceReduction(control: control, treatment: s)
                if options.engine == .bayesian {
                    let (absolute, relative, decision) = bayesian(control: control, treatment: s, metric: metric, covariate: covariate,
                                                                  options: options)
                    var row = Row(metric: metric, arm: arm.name, units: Int(s.count), mean: estimate.mean, absolute: absolute, relative: relative,
                                  varianceReduction: reduction)
                    row.decision = decision
                    let bar = 1 - options.confidence
                    row.significant = decision.chanceToWin > 1 - bar || decision.chanceToWin < bar
                    row.guardrailFailed = metric.guardrail && decision.chanceToWin < bar
                    return row
                }
                let (absolute, relative): (Effect, Effect)
                if let tuning = options.sequential {
                    (absolute, relative) = sequential(control: control, treatment: s, metric: metric, covariate: covariate,
                                                      tuning: tuning, alpha: 1 - options.confidence)
                } else {
                    (absolute, relative) = compare(control: control, treatment: s, kind: metric.kind, cuped: cuped, confidence: options.confidence)
                }
                pending.append((position, absolute.pValue))
                return Row(metric: metric, arm: arm.name, units: Int(s.count), mean: estimate.mean, absolute: absolute, relative: relative,
                           varianceReduction: reduction)
            }
            for (index, arm) in experiment.arms.enumerated() {
                var row = armRow(index, arm, position: rows.count)
                row.slice = block.slice
                rows.append(row)
            }
        }
    }

    /// The two arms as GrowthBook's statistics: sample means, proportions (variance p(1 − p)),
    /// ratios, or regression-adjusted with θ from the two arms pooled.
    static func growthBookStatistics(control: CovariateSummary, treatment: CovariateSummary, kind: Metrics.Kind,
                                     covariate: Metrics.Metric?) -> (ArmStatistic, ArmStatistic) {
        switch kind {
        case .ratio:
            return (.ratio(control), .ratio(treatment))
        case .mean, .proportion:
            if let covariate {
                let adjusted = ArmStatistic.regressionAdjusted(control: control, treatment: treatment, outcomeIsProportion: kind == .proportion,
                                                               covariateIsProportion: covariate.kind == .proportion)
                return (adjusted.control, adjusted.treatment)
            }
            if kind == .proportion { return (.proportion(count: control.count, sum: control.sumY), .proportion(count: treatment.count, sum: treatment.sumY)) }
            return (.sampleMean(control.outcome), .sampleMean(treatment.outcome))
        }
    }

    /// Always-valid intervals and p-values for the absolute and relative lift (NaN where gbstats
    /// would give up: a zero variance, a zero control mean for the relative lift).
    static func sequential(control: CovariateSummary, treatment: CovariateSummary, metric: Metrics.Metric, covariate: Metrics.Metric?,
                           tuning: Double, alpha: Double) -> (Effect, Effect) {
        let (a, b) = growthBookStatistics(control: control, treatment: treatment, kind: metric.kind, covariate: covariate)
        func effect(relative: Bool) -> Effect {
            let d = ArmDifference(control: a, treatment: b, relative: relative)
            guard ArmDifference.obstacle(control: a, treatment: b, relative: relative) == nil else {
                return Effect(estimate: d.estimate, standardError: .nan, lower: .nan, upper: .nan, pValue: .nan, degreesOfFreedom: nil)
            }
            return SequentialTest.effect(d, alpha: alpha, tuning: tuning)
        }
        return (effect(relative: false), effect(relative: true))
    }

    /// The posterior of the absolute and relative lift (the prior, taken on the relative lift, is
    /// scaled to the absolute one by the control's mean as gbstats does), with the decision figures.
    static func bayesian(control: CovariateSummary, treatment: CovariateSummary, metric: Metrics.Metric, covariate: Metrics.Metric?,
                         options: Options) -> (Effect, Effect, Decision) {
        let (a, b) = growthBookStatistics(control: control, treatment: treatment, kind: metric.kind, covariate: covariate)
        let alpha = 1 - options.confidence
        func posterior(relative: Bool) -> BayesianEffect? {
            guard ArmDifference.obstacle(control: a, treatment: b, relative: relative) == nil else { return nil }
            let prior = relative ? options.prior : options.prior?.scaled(by: abs(a.unadjustedMean))
            return BayesianEffect(ArmDifference(control: a, treatment: b, relative: relative), prior: prior, alpha: alpha,
                                  lowerIsBetter: !metric.higherIsBetter)
        }
        func effect(_ p: BayesianEffect?) -> Effect {
            guard let p else { return Effect(estimate: .nan, standardError: .nan, lower: .nan, upper: .nan, pValue: .nan, degreesOfFreedom: nil) }
            return Effect(estimate: p.mean, standardError: p.standardDeviation, lower: p.lower, upper: p.upper, pValue: .nan, degreesOfFreedom: nil)
        }
        let absolute = posterior(relative: false), relative = posterior(relative: true)
        let basis = relative ?? absolute
        let decision = Decision(chanceToWin: basis?.chanceToWin ?? .nan, riskControl: basis?.riskControl ?? .nan,
                                riskTreatment: basis?.riskTreatment ?? .nan, posteriorMean: basis?.mean ?? .nan,
                                posteriorSD: basis?.standardDeviation ?? .nan, relative: relative != nil)
        return (effect(absolute), effect(relative), decision)
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
