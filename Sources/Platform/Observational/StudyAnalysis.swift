import Foundation
import Observational
import Postgres

/// The analyses of a stored study (issue 20): estimate by any method, balance, refutations,
/// sensitivity, and the report that puts them side by side.
public enum StudyAnalysis {
    /// An estimator's refusal as a platform error: bad options and data are the caller's, the rest the study's.
    static func wrap<T>(_ context: String, _ body: () throws(ObservationalError) -> T) throws -> T {
        do {
            return try body()
        } catch {
            let code: PlatformError.Code = switch error.code {
            case .invalidData, .invalidOption: .invalidInput
            case .collinear, .separation, .noOverlap: .insufficientData
            case .learner: .computation
            }
            throw PlatformError(code, "\(context)\(error.description)", cause: error)
        }
    }

    public struct EstimateResult: Sendable {
        public let study: Studies.Summary
        public let method: Method
        public let result: AnalysisResult
        /// The propensity overlap on the (trimmed) study, for binary treatments.
        public let overlap: Overlap?
    }

    public static func estimate(_ name: String, method: Method, options: AnalysisOptions, in store: Store) throws -> EstimateResult {
        let loaded = try Studies.load(name, in: store)
        return try estimate(loaded, method: method, options: options)
    }

    /// With `overlap`, the propensity overlap of a binary study too: from the method's own scores
    /// when it estimated them, fitted for the purpose otherwise.
    static func estimate(_ loaded: Studies.Loaded, method: Method, options: AnalysisOptions, overlap withOverlap: Bool = true) throws -> EstimateResult {
        let result = try wrap("study \(loaded.summary.name), method \(method.rawValue): ") { () throws(ObservationalError) in
            try Analysis.run(method, on: loaded.data, options: options)
        }
        var overlap: Overlap?
        if withOverlap, loaded.summary.binaryTreatment,
           let scores = result.propensity ?? (try? Propensity(result.data, model: options.propensity, folds: options.folds, seed: options.seed))?.scores {
            overlap = Overlap(scores: scores, treatment: result.data.treatment)
        }
        return EstimateResult(study: loaded.summary, method: method, result: result, overlap: overlap)
    }

    public struct BalanceResult: Sendable {
        public let study: Studies.Summary
        public let method: Method
        public let weightsFrom: Method
        public let balance: Balance
    }

    public static func balance(_ name: String, method: Method, options: AnalysisOptions, in store: Store) throws -> BalanceResult {
        let loaded = try Studies.load(name, in: store)
        return try balance(loaded, method: method, options: options)
    }

    static func balance(_ loaded: Studies.Loaded, method: Method, options: AnalysisOptions) throws -> BalanceResult {
        let b = try wrap("study \(loaded.summary.name), balance: ") { () throws(ObservationalError) in
            try Analysis.balance(method, on: loaded.data, options: options)
        }
        return BalanceResult(study: loaded.summary, method: method, weightsFrom: b.weightsFrom, balance: b.balance)
    }

    /// The placebo outcome: a numeric column kept with the study, or a metric's total per unit (0 where none).
    static func placeboOutcome(_ spec: String, for loaded: Studies.Loaded, in store: Store) throws -> [Double] {
        if let column = loaded.extra[spec] { return column }
        guard try store.connection.query("SELECT EXISTS (SELECT 1 FROM metrics WHERE name = \(spec))").decodeOne(Bool.self) else {
            let columns = loaded.summary.extra.isEmpty ? "it kept no other numeric column" : "its other columns: \(loaded.summary.extra.joined(separator: ", "))"
            throw PlatformError(.notFound, "\(.placeboOutcome) \"\(spec)\" is neither a column of study \(loaded.summary.name) (\(columns)) nor a metric")
        }
        let totals = Dictionary(try store.connection.query("""
            SELECT t.unit, t.value FROM unit_totals t JOIN study_units s ON s.unit = t.unit AND s.study = \(loaded.summary.name)
            WHERE t.metric = \(spec)
            """).decode((String, Double).self), uniquingKeysWith: { a, _ in a })
        return loaded.units.map { totals[$0] ?? 0 }
    }

    public struct RefuteResult: Sendable {
        public let study: Studies.Summary
        public let original: Estimate
        public let refutations: [Refutation]
    }

    public static func refute(_ name: String, method: Method, options: AnalysisOptions, placeboOutcome spec: String?, in store: Store) throws -> RefuteResult {
        let loaded = try Studies.load(name, in: store)
        let placebo = try spec.map { try placeboOutcome($0, for: loaded, in: store) }
        return try refute(loaded, method: method, options: options, placebo: placebo)
    }

    static func refute(_ loaded: Studies.Loaded, method: Method, options: AnalysisOptions, placebo: [Double]?) throws -> RefuteResult {
        try wrap("study \(loaded.summary.name), refute: ") { () throws(ObservationalError) in
            let estimator: (StudyData) throws(ObservationalError) -> Estimate = { d throws(ObservationalError) in
                try Analysis.run(method, on: d, options: options).estimate
            }
            let original = try estimator(loaded.data)
            var kinds: [Refutation.Kind] = [.placeboTreatment, .randomCommonCause, .randomSubset]
            if placebo != nil { kinds.insert(.negativeControl, at: 1) }
            let refutations = try kinds.map { (kind: Refutation.Kind) throws(ObservationalError) -> Refutation in
                try Refutation.run(kind, data: loaded.data, original: original, placeboOutcome: placebo, seed: options.seed &+ 7, estimator: estimator)
            }
            return RefuteResult(study: loaded.summary, original: original, refutations: refutations)
        }
    }

    public struct SensitivityResult: Sendable {
        public let study: Studies.Summary
        /// The OLS estimate the omitted-variable analysis is about.
        public let ols: Estimate
        public let omitted: OmittedVariableSensitivity
        public let bounds: [OmittedVariableSensitivity.Bound]
        /// E-values per method: point, and the interval limit nearer the null; on which scale.
        public let eValues: [(method: Method, estimate: Estimate, point: Double, limit: Double)]
        public let eValueScale: String
    }

    public static func sensitivity(_ name: String, benchmarks: [String], multiples: [Double], methods: [Method], options: AnalysisOptions, in store: Store) throws -> SensitivityResult {
        try sensitivity(try Studies.load(name, in: store), benchmarks: benchmarks, multiples: multiples, methods: methods, options: options)
    }

    static func sensitivity(_ loaded: Studies.Loaded, benchmarks: [String], multiples: [Double], methods: [Method], options: AnalysisOptions) throws -> SensitivityResult {
        let data = loaded.data
        for b in benchmarks where !data.names.contains(b) {
            throw PlatformError(.notFound, "\(.benchmark) \"\(b)\" is not a covariate of study \(loaded.summary.name) (\(data.names.prefix(12).joined(separator: ", "))\(data.names.count > 12 ? ", …" : ""))")
        }
        guard multiples.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw PlatformError("multiples must be positive numbers") }
        return try wrap("study \(loaded.summary.name), sensitivity: ") { () throws(ObservationalError) in
            var ateOptions = options
            ateOptions.estimand = .ate
            let ols = try RegressionAdjustment().estimate(data)
            let omitted = OmittedVariableSensitivity(estimate: ols.estimate.value, standardError: ols.classicalStandardError, degreesOfFreedom: ols.regression.degreesOfFreedom)
            var bounds: [OmittedVariableSensitivity.Bound] = []
            if !benchmarks.isEmpty {
                // The treatment on the covariates: one regression serves every benchmark.
                let treatmentModel = try LinearRegression(y: data.treatment, x: data.covariates, names: data.names, leverages: false)
                for b in benchmarks {
                    let yIndex = ols.regression.index(of: b)!
                    let dIndex = treatmentModel.index(of: b)!
                    bounds += try omitted.bounds(benchmark: b, r2dxj: treatmentModel.partialR2(dIndex), r2yxj: ols.regression.partialR2(yIndex), multiples: multiples)
                }
            }
            // E-values: a 0/1 outcome on the risk-ratio scale from the untreated risk; otherwise the SMD conversion.
            let binaryOutcome = data.outcome.allSatisfy { $0 == 0 || $0 == 1 }
            let untreated = data.treatment.indices.filter { data.treatment[$0] == 0 }
            let treatedRows = data.treatment.indices.filter { data.treatment[$0] == 1 }
            func sd(_ rows: [Int]) -> Double {
                guard rows.count > 1 else { return .nan }
                let m = rows.reduce(0) { $0 + data.outcome[$1] } / Double(rows.count)
                return (rows.reduce(0) { $0 + (data.outcome[$1] - m) * (data.outcome[$1] - m) } / Double(rows.count - 1)).squareRoot()
            }
            let pooledSD: Double = loaded.summary.binaryTreatment
                ? (((Double(untreated.count - 1) * pow(sd(untreated), 2) + Double(treatedRows.count - 1) * pow(sd(treatedRows), 2)) / Double(data.count - 2))).squareRoot()
                : sd(Array(data.outcome.indices))
            let baseline = untreated.isEmpty ? Double.nan : untreated.reduce(0) { $0 + data.outcome[$1] } / Double(untreated.count)
            var eValues: [(Method, Estimate, Double, Double)] = []
            for method in methods {
                guard !(method.needsBinaryTreatment && !loaded.summary.binaryTreatment) else { continue }
                let e = method == .ols ? ols.estimate : try Analysis.run(method, on: data, options: method == .dml ? ateOptions : options).estimate
                if binaryOutcome, baseline > 0 {
                    let rr = (baseline + e.value) / baseline
                    let lo = max((baseline + e.lower) / baseline, 1e-12), hi = max((baseline + e.upper) / baseline, 1e-12)
                    let v = EValue.riskRatio(rr, lower: lo, upper: hi)
                    eValues.append((method, e, v.point, v.limit))
                } else {
                    let v = EValue.meanDifference(estimate: e.value, standardError: e.standardError, outcomeSD: pooledSD)
                    eValues.append((method, e, v.point, v.limit))
                }
            }
            let scale = binaryOutcome && baseline > 0
                ? String(format: "risk ratio, from the untreated risk %.4g", baseline)
                : String(format: "standardized mean difference (outcome SD %.4g, pooled within arms) as RR ≈ exp(0.91 d)", pooledSD)
            return SensitivityResult(study: loaded.summary, ols: ols.estimate, omitted: omitted, bounds: bounds,
                                     eValues: eValues.map { (method: $0.0, estimate: $0.1, point: $0.2, limit: $0.3) }, eValueScale: scale)
        }
    }

    public struct Report: Sendable {
        public let study: Studies.Summary
        public let estimates: [(method: Method, result: EstimateResult?, error: String?)]
        public let balance: BalanceResult?
        public let refutation: RefuteResult?
        public let sensitivity: SensitivityResult?
    }

    /// Every applicable method side by side, balance after weighting, the overlap, DoWhy's refuters
    /// on `refuteWith`, and the sensitivity of OLS with E-values for every method.
    public static func report(_ name: String, options: AnalysisOptions, refuteWith: Method = .aipw, benchmarks: [String] = [],
                              multiples: [Double] = [1, 2, 3], in store: Store) throws -> Report {
        let loaded = try Studies.load(name, in: store)
        let methods = Method.allCases.filter { loaded.summary.binaryTreatment || !$0.needsBinaryTreatment }
        var estimates: [(Method, EstimateResult?, String?)] = []
        for m in methods {
            var o = options
            if m == .dml { o.estimand = .ate }
            // The overlap is the study's, not the method's: the first method that runs reads it.
            let needOverlap = !estimates.contains { $0.1 != nil }
            do { estimates.append((m, try estimate(loaded, method: m, options: o, overlap: needOverlap), nil)) } catch { estimates.append((m, nil, "\(error)")) }
        }
        let binary = loaded.summary.binaryTreatment
        let balance = binary ? try? self.balance(loaded, method: .ipw, options: options) : nil
        let refuter = binary ? refuteWith : .dml
        let refutation = try? refute(loaded, method: refuter, options: refuter == .dml ? { var o = options; o.estimand = .ate; return o }() : options, placebo: nil)
        let okMethods = estimates.compactMap { $0.1 == nil ? nil : $0.0 }
        let sensitivity = try? self.sensitivity(loaded, benchmarks: benchmarks, multiples: multiples, methods: okMethods, options: options)
        return Report(study: loaded.summary, estimates: estimates.map { (method: $0.0, result: $0.1, error: $0.2) },
                      balance: balance, refutation: refutation, sensitivity: sensitivity)
    }
}
