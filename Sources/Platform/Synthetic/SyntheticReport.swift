import Foundation
import Postgres
import Synthetic

/// `report synthetic`: a synthetic control for treated markets from a panel of untreated ones (issue
/// 21): donor weights, the gap per period, the ATT after the start, the pre-period RMSPE, the post/pre
/// RMSPE ratio, and the in-space placebo p-value.
public enum SyntheticReport {
    public struct Options: Sendable {
        public var metric: String
        public var treated: [String]
        /// The first treated period, as in the file (`1970`, `2026-11-01`).
        public var start: String
        /// The donor pool; nil is every other unit of the panel.
        public var donors: [String]? = nil
        public var exclude: [String] = []
        /// `NAME:mean:FROM-TO` each; empty is the outcome in every pre-period.
        public var predictors: [String] = []
        public var v: SyntheticControl.PredictorWeights = .identity
        public var placebos = true
        /// A pretended start inside the pre-period for an in-time placebo (nil: none).
        public var placeboStart: String? = nil
        /// The pre-periods whose outcome fit the nested search minimises (Synth's `time.optimize.ssr`),
        /// `FROM-TO`; nil is every period before the start.
        public var fit: String? = nil
        /// Abadie, Diamond & Hainmueller (2015)'s cross-validation: V chosen by the nested search on
        /// these training predictors to fit `trainFit`, then used as given with `predictors`.
        public var trainPredictors: [String] = []
        public var trainFit: String? = nil

        public init(metric: String, treated: [String], start: String) {
            self.metric = metric
            self.treated = treated
            self.start = start
        }
    }

    public struct Result: Sendable {
        public let metric: String
        public let treated: [String]
        public let estimate: SyntheticControl.Estimate
        /// Period labels, in order.
        public let labels: [String]
        public let start: String
        public let predictors: [String]
        /// Each placebo's gaps (nil when its fit failed), and the permutation p-value.
        public let placebos: [(unit: String, gaps: [Double]?, ratio: Double?)]
        public let pValue: Double?
        /// Each donor with positive weight left out in turn: its ATT (nil when the refit failed).
        public var leaveOneOut: [(left: String, att: Double?)] = []
        /// The in-time placebo, when asked: its pretended start and its estimate.
        public var inTime: (start: String, estimate: SyntheticControl.Estimate)? = nil
        /// 95% conformal intervals of each post-period effect (Chernozhukov, Wüthrich & Zhu 2021), on
        /// the raw outcomes; unbounded when the pre-period has fewer than 19 periods.
        public var conformal: [ConformalIntervals.Interval] = []
    }

    /// What every estimator reads: the panel, its labels, the start, the donor pool.
    struct Prepared {
        let panel: [String: [Int: Double]]
        let times: [Date]
        let labels: [String]
        let step: String?
        let start: Int
        let donors: [String]
    }

    static func prepare(_ o: Options, minimumDonors: Int = 2, on c: Connection) throws -> Prepared {
        let info = try c.query("SELECT sparse, step FROM series_metrics WHERE metric = \(o.metric)").decode((Bool, String?).self)
        guard let (sparse, step) = info.first else {
            throw PlatformError(.notFound, "series \"\(o.metric)\" does not exist; import series FILE.csv --metric \(o.metric) first")
        }
        guard !sparse else { throw PlatformError("series \"\(o.metric)\" is sparse: the outcome needs a complete panel") }
        let (panel, times) = try load(o.metric, on: c)
        let labels = times.map { SeriesImport.label($0, step: step) }
        guard !o.treated.isEmpty else { throw PlatformError("name the treated unit(s)") }
        for t in o.treated where panel[t] == nil {
            throw PlatformError(.notFound, "treated unit \"\(t)\" is not in series \"\(o.metric)\"")
        }
        guard let startTime = SeriesImport.period(o.start) else { throw PlatformError("\(.start) \"\(o.start)\" is not a period such as 1970 or 2026-11-01") }
        guard let start = times.firstIndex(of: startTime) else {
            throw PlatformError("\(.start) \(o.start) is outside the data (\(labels.first ?? "") to \(labels.last ?? ""))")
        }
        guard start > 0 else { throw PlatformError("\(.start) \(o.start) is the first period: there is no pre-period to fit") }
        var donors = o.donors ?? panel.keys.sorted()
        donors = donors.filter { !o.treated.contains($0) && !o.exclude.contains($0) }
        for d in donors where panel[d] == nil { throw PlatformError(.notFound, "donor \"\(d)\" is not in series \"\(o.metric)\"") }
        guard donors.count >= minimumDonors else { throw PlatformError(.insufficientData, "a synthetic control needs at least 2 donors; \(donors.count) left") }
        return Prepared(panel: panel, times: times, labels: labels, step: step, start: start, donors: donors)
    }

    public static func run(_ o: Options, in store: Store) throws -> Result {
        try store.connection.transaction(.repeatableRead, readOnly: true) { c in
            let p = try prepare(o, on: c)
            let (panel, times, labels, step, start, donors) = (p.panel, p.times, p.labels, p.step, p.start, p.donors)
            // Several treated units: their mean is the treated series.
            var outcome = panel
            let treatedName = o.treated.count == 1 ? o.treated[0] : "(treated: \(o.treated.joined(separator: ", ")))"
            if o.treated.count > 1 {
                outcome[treatedName] = Dictionary(uniqueKeysWithValues: times.indices.map { k in
                    (k, o.treated.reduce(0) { $0 + panel[$1]![k]! } / Double(o.treated.count))
                })
            }
            let predictors = try o.predictors.map { try predictor($0, outcome: o.metric, panel: outcome, times: times, step: step, on: c) }
            if o.v == .nested, start < max(predictors.count, 1) {
                throw PlatformError("the pre-period has \(start) periods, fewer than the \(predictors.count) predictors whose weights the nested search chooses")
            }
            let periods = Array(times.indices)
            var fitPeriods: [Int]? = nil
            if let fit = o.fit {
                let window = try self.window(fit, times: times)
                fitPeriods = window.filter { $0 < start }
                guard fitPeriods?.isEmpty == false else { throw PlatformError("the fit window \(fit) holds no period before the start") }
            }
            var v = o.v
            if !o.trainPredictors.isEmpty {
                guard let trainFit = o.trainFit else { throw PlatformError("cross-validation needs the training fit window FROM-TO") }
                guard !predictors.isEmpty else { throw PlatformError("cross-validation applies the trained V to the predictors: give them") }
                let training = try o.trainPredictors.map { try predictor($0, outcome: o.metric, panel: outcome, times: times, step: step, on: c) }
                guard training.count == predictors.count else {
                    throw PlatformError("the training predictors (\(training.count)) and the predictors (\(predictors.count)) must correspond one to one")
                }
                let window = try self.window(trainFit, times: times)
                do {
                    let trained = try SyntheticControl.fit(treated: treatedName, donors: donors, outcome: outcome, fitPeriods: window,
                                                           predictors: training, v: .nested)
                    v = .custom(trained.v)
                } catch { throw PlatformError(.computation, "training V: \(error)", cause: error) }
            }
            let estimate: SyntheticControl.Estimate
            do {
                estimate = try SyntheticControl.estimate(treated: treatedName, donors: donors, outcome: outcome, periods: periods, start: start,
                                                         fitPeriods: fitPeriods, predictors: predictors, v: v)
            } catch { throw PlatformError(.computation, "\(error)", cause: error) }
            var placebos: [(String, [Double]?, Double?)] = []
            var pValue: Double?
            if o.placebos {
                let run = SyntheticControl.placebos(treated: estimate, donors: donors, outcome: outcome, start: start, fitPeriods: fitPeriods,
                                                    predictors: predictors, v: v)
                placebos = run.estimates.map { ($0.unit, $0.estimate?.gaps, $0.estimate?.ratio) }
                pValue = run.pValue
            }
            var result = Result(metric: o.metric, treated: o.treated, estimate: estimate, labels: labels, start: labels[start],
                                predictors: predictors.map(\.name), placebos: placebos, pValue: pValue)
            result.conformal = ConformalIntervals.intervals(treated: periods.map { outcome[treatedName]![$0]! },
                                                            donors: donors.map { d in periods.map { outcome[d]![$0]! } }, prePeriods: start)
            result.leaveOneOut = SyntheticControl.leaveOneOut(estimate, treated: treatedName, outcome: outcome, start: start, fitPeriods: fitPeriods,
                                                              predictors: predictors, v: v).map { ($0.left, $0.estimate?.att) }
            if let text = o.placeboStart {
                guard let time = SeriesImport.period(text), let k = times.firstIndex(of: time), k > 0, k < start else {
                    throw PlatformError("the placebo start \(text) must be a period of the panel after the first and before the start \(o.start)")
                }
                do {
                    result.inTime = (labels[k], try SyntheticControl.inTimePlacebo(treated: treatedName, donors: donors, outcome: outcome, periods: periods,
                                                                                  start: start, placeboStart: k, predictors: predictors, v: v))
                } catch { throw PlatformError(.computation, "in-time placebo: \(error)", cause: error) }
            }
            return result
        }
    }

    /// The panel by unit and period index, and the periods' times in order.
    static func load(_ metric: String, on c: Connection) throws -> ([String: [Int: Double]], [Date]) {
        let rows = try c.query("SELECT unit, period, value FROM series WHERE metric = \(metric) ORDER BY period, unit")
            .decode((String, Date, Double).self)
        let times = Array(Set(rows.map(\.1))).sorted()
        let index = Dictionary(uniqueKeysWithValues: times.enumerated().map { ($1, $0) })
        var panel: [String: [Int: Double]] = [:]
        for (unit, t, v) in rows { panel[unit, default: [:]][index[t]!] = v }
        return (panel, times)
    }

    /// `NAME:mean:FROM-TO`: the series NAME (the outcome itself or a sparse predictor) averaged over the
    /// window's periods that have a value.
    static func predictor(_ spec: String, outcome: String, panel: [String: [Int: Double]], times: [Date], step: String?,
                          on c: Connection) throws -> SyntheticControl.Predictor {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, parts[1] == "mean" else {
            throw PlatformError("predictor \"\(spec)\" must be NAME:mean:FROM-TO, such as gdpcap:mean:1960-1969")
        }
        let window = try self.window(parts[2], times: times, spec: spec)
        var series = panel
        if parts[0] != outcome {
            let (loaded, predictorTimes) = try load(parts[0], on: c)
            guard !loaded.isEmpty else { throw PlatformError(.notFound, "predictor series \"\(parts[0])\" does not exist") }
            // Its periods on the outcome's calendar (a period the outcome does not have is left out).
            let position = Dictionary(uniqueKeysWithValues: times.enumerated().map { ($1, $0) })
            series = loaded.mapValues { byIndex in
                Dictionary(uniqueKeysWithValues: byIndex.compactMap { k, v in position[predictorTimes[k]].map { ($0, v) } })
            }
        }
        return SyntheticControl.Predictor(name: spec, series: series, periods: window)
    }

    /// `FROM-TO` years (1960-1969), `FROM..TO` periods, or one period: the panel's periods inside.
    static func window(_ text: String, times: [Date], spec: String? = nil) throws -> [Int] {
        let what = spec.map { "predictor \"\($0)\": the window" } ?? "the window \(text)"
        let bounds = text.contains("..") ? text.components(separatedBy: "..")
            : text.count == 9 ? text.split(separator: "-").map(String.init) : [text]
        let range: (Date, Date)
        if bounds.count == 2, let a = SeriesImport.period(bounds[0]), let b = SeriesImport.period(bounds[1]), a <= b {
            range = (a, b)
        } else if bounds.count == 1, let single = SeriesImport.period(text) {
            range = (single, single)
        } else {
            throw PlatformError("\(what) must be FROM-TO years such as 1960-1969, or FROM..TO periods")
        }
        let window = times.indices.filter { times[$0] >= range.0 && times[$0] <= range.1 }
        guard !window.isEmpty else { throw PlatformError("\(what) holds no period of the panel") }
        return window
    }
}

extension SyntheticReport {
    /// `report synthetic --method sdid|did`: synthetic difference-in-differences (or plain DiD) as the
    /// authors' `synthdid` computes it, every treated unit its own row; the placebo standard error
    /// (controls drawn to play the treated, `replications` times) and a normal p-value.
    public struct DiDResult: Sendable {
        public let metric: String
        public let treated: [String]
        public let estimate: SyntheticDiD.Estimate
        public let donors: [String]
        public let labels: [String]
        public let start: String
        public let standardError: Double?
        public var pValue: Double? {
            standardError.map { $0 > 0 ? erfc(abs(estimate.tau / $0) / 2.0.squareRoot()) : .nan }
        }
    }

    public static func synthdid(_ o: Options, estimator: SyntheticDiD.Estimator, replications: Int = 200, seed: UInt64 = 1,
                                in store: Store) throws -> DiDResult {
        try store.connection.transaction(.repeatableRead, readOnly: true) { c in
            let p = try prepare(o, on: c)
            guard p.start >= 2 else { throw PlatformError("\(.start) \(o.start) leaves one pre-period; synthetic DiD needs two or more") }
            guard o.predictors.isEmpty else { throw PlatformError("synthetic DiD fits the outcome itself: leave out the predictors") }
            let rows = (p.donors + o.treated).map { u in p.times.indices.map { p.panel[u]![$0]! } }
            let estimate = SyntheticDiD.estimate(rows, controls: p.donors.count, prePeriods: p.start, estimator: estimator)
            let se = replications > 1
                ? SyntheticDiD.placeboStandardError(rows, controls: p.donors.count, prePeriods: p.start, estimator: estimator,
                                                    replications: replications, seed: seed)
                : nil
            return DiDResult(metric: o.metric, treated: o.treated, estimate: estimate, donors: p.donors, labels: p.labels,
                             start: p.labels[p.start], standardError: se)
        }
    }
}

extension SyntheticReport {
    /// `report impact`: CausalImpact's Bayesian structural time series for one treated unit, the
    /// pool (or `controls`) as regressors.
    public struct ImpactResult: Sendable {
        public let metric: String
        public let treated: String
        public let controls: [String]
        public let labels: [String]
        public let start: String
        public let observed: [Double]
        public let model: StructuralTimeSeries.Result
        public let season: Int
    }

    public static func impact(_ o: Options, season: Int = 1, draws: Int = 10_000, seed: UInt64 = 1, in store: Store) throws -> ImpactResult {
        try store.connection.transaction(.repeatableRead, readOnly: true) { c in
            guard o.treated.count == 1 else { throw PlatformError("report impact reads one treated unit; name one") }
            guard o.predictors.isEmpty else { throw PlatformError("report impact regresses on the control series themselves: leave out the predictors") }
            let p = try prepare(o, minimumDonors: 0, on: c)
            let y = p.times.indices.map { p.panel[o.treated[0]]![$0]! }
            let controls = p.donors.map { d in p.times.indices.map { p.panel[d]![$0]! } }
            var options = StructuralTimeSeries.Options()
            options.draws = draws
            options.season = season
            options.seed = seed
            let model: StructuralTimeSeries.Result
            do { model = try StructuralTimeSeries.fit(y: y, controls: controls, prePeriods: p.start, options: options) } catch {
                throw PlatformError(.invalidInput, "\(error)", cause: error)
            }
            return ImpactResult(metric: o.metric, treated: o.treated[0], controls: p.donors, labels: p.labels, start: p.labels[p.start],
                                observed: y, model: model, season: season)
        }
    }
}

extension SyntheticReport {
    /// `report synthetic --method augmented`: the ridge-augmented synthetic control on the outcome,
    /// λ cross-validated, with in-space placebos (each donor's own augmented fit and λ).
    public struct AugmentedResult: Sendable {
        public let metric: String
        public let treated: [String]
        public let donors: [String]
        public let labels: [String]
        public let start: String
        public let estimate: AugmentedSynthetic.Estimate
        public let pValue: Double?
        public let placebos: Int
    }

    public static func augmented(_ o: Options, in store: Store) throws -> AugmentedResult {
        try store.connection.transaction(.repeatableRead, readOnly: true) { c in
            guard o.predictors.isEmpty else { throw PlatformError("the augmented synthetic control fits the outcome itself: leave out the predictors") }
            let p = try prepare(o, on: c)
            let series = { (u: String) in p.times.indices.map { p.panel[u]![$0]! } }
            let treated = p.times.indices.map { k in o.treated.reduce(0) { $0 + p.panel[$1]![k]! } / Double(o.treated.count) }
            let donors = p.donors.map(series)
            let estimate = AugmentedSynthetic.estimate(treated: treated, donors: donors, prePeriods: p.start)
            func ratio(_ e: AugmentedSynthetic.Estimate) -> Double {
                let post = e.gaps[p.start...].reduce(0) { $0 + $1 * $1 } / Double(e.gaps.count - p.start)
                return e.preRMSPE > 0 ? post.squareRoot() / e.preRMSPE : .infinity
            }
            var pValue: Double?
            var count = 0
            if o.placebos {
                let own = ratio(estimate)
                var ratios: [Double] = []
                for j in donors.indices {
                    let others = donors.indices.filter { $0 != j }.map { donors[$0] }
                    ratios.append(ratio(AugmentedSynthetic.estimate(treated: donors[j], donors: others, prePeriods: p.start)))
                }
                count = ratios.count
                pValue = Double(ratios.filter { $0 >= own }.count + 1) / Double(ratios.count + 1)
            }
            return AugmentedResult(metric: o.metric, treated: o.treated, donors: p.donors, labels: p.labels, start: p.labels[p.start],
                                   estimate: estimate, pValue: pValue, placebos: count)
        }
    }
}
