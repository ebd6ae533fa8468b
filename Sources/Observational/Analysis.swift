import Foundation
import Uplift

/// The methods a study can be estimated with, and one entry point that runs any of them with
/// trimming, propensity choice and each method's options: what `study estimate` and `study report` call.
public enum Method: String, Sendable, CaseIterable, Codable {
    /// Regression adjustment (binary or continuous treatment).
    case ols
    /// Nearest-neighbour matching on the covariates.
    case match
    /// Nearest-neighbour matching on the logit of the propensity score, with a caliper.
    case psmatch
    /// Inverse probability weighting (Hájek).
    case ipw
    /// Augmented IPW, cross-fitted.
    case aipw
    /// Double machine learning, partially linear model (binary or continuous treatment).
    case dml

    /// Whether the method needs a 0/1 treatment.
    public var needsBinaryTreatment: Bool { self != .ols && self != .dml }
}

public struct AnalysisOptions: Sendable {
    public enum Trim: Sendable, Equatable {
        /// Keep units with e in [α, 1 − α].
        case fixed(Double)
        /// Crump et al. (2009)'s α.
        case crump
    }

    public var estimand: Estimand = .ate
    public var propensity: Propensity.Model = .logistic
    public var trim: Trim? = nil
    public var matches = 1
    public var distance: NearestNeighbourMatching.Distance = .inverseVariance
    /// Match: in SDs of each covariate (none by default); psmatch: in SDs of the logit (0.2 by default).
    public var caliper: Double? = nil
    public var bootstrap = 0
    public var folds = 5
    public var seed: UInt64 = 1
    /// The nuisance learners of aipw and dml.
    public var nuisance: NuisanceModel = .xgboost(XGBoostParameters(rounds: 100, maxDepth: 4, learningRate: 0.1, threads: 2, seed: 0))

    public init() {}
}

public struct AnalysisResult: Sendable {
    public let estimate: Estimate
    /// The units' weights after matching or weighting, on `data` (for balance); nil for methods without.
    public let weights: [Double]?
    /// The study after trimming (the rows `estimate` used).
    public let data: StudyData
    /// Units dropped by trimming, and the threshold used.
    public let trimmed: Int
    public let threshold: Double?
    /// The propensity scores the method estimated on `data` (psmatch, ipw); nil for the others.
    public let propensity: [Double]?
}

public enum Analysis {
    public static func run(_ method: Method, on study: StudyData, options o: AnalysisOptions = .init()) throws(ObservationalError) -> AnalysisResult {
        if method.needsBinaryTreatment { try study.requireBinary(for: method.rawValue) }
        if method == .dml, o.estimand != .ate {
            throw ObservationalError(.invalidOption, "dml estimates the partially linear model's constant effect: --estimand ate only")
        }
        var data = study, trimmed = 0, threshold: Double?
        if let trim = o.trim {
            try study.requireBinary(for: "--trim")
            let scores = try Propensity(study, model: o.propensity, folds: o.folds, seed: o.seed)
            let alpha: Double
            switch trim {
            case .fixed(let a):
                guard a >= 0, a < 0.5 else { throw ObservationalError(.invalidOption, "--trim must be in [0, 0.5)") }
                alpha = a
            case .crump: alpha = Propensity.crumpThreshold(scores.scores)
            }
            let kept = scores.keptIndices(threshold: alpha)
            data = study.subset(kept)
            trimmed = study.count - kept.count
            threshold = alpha
            let t = data.treatedCount
            guard t > 0, t < data.count else {
                throw ObservationalError(.noOverlap, "no overlap after trimming at \(alpha): \(t == 0 ? "no treated" : "no untreated") unit has a propensity in [\(alpha), \(1 - alpha)]")
            }
        }
        func done(_ e: Estimate, _ w: [Double]?, propensity: [Double]? = nil) -> AnalysisResult {
            var notes = e.notes
            if let threshold { notes.append(String(format: "trimmed %d units outside [%.4g, %.4g]", trimmed, threshold, 1 - threshold)) }
            let estimate = Estimate(method: e.method, estimand: e.estimand, value: e.value, standardError: e.standardError,
                                    degreesOfFreedom: e.degreesOfFreedom, units: e.units, notes: notes)
            return AnalysisResult(estimate: estimate, weights: w, data: data, trimmed: trimmed, threshold: threshold, propensity: propensity)
        }
        switch method {
        case .ols:
            return done(try RegressionAdjustment(estimand: o.estimand).estimate(data).estimate, nil)
        case .match:
            let r = try NearestNeighbourMatching(estimand: o.estimand, matches: o.matches, distance: o.distance, caliper: o.caliper).estimate(data)
            return done(r.estimate, r.weights)
        case .psmatch:
            let scores = try Propensity(data, model: o.propensity, folds: o.folds, seed: o.seed).scores
            let logit = scores.map { e in let c = min(max(e, 1e-12), 1 - 1e-12); return log(c / (1 - c)) }
            let onScore = try StudyData(covariates: ColumnMatrix(rows: data.count, columns: [logit]), names: ["logit(propensity)"],
                                        treatment: data.treatment, outcome: data.outcome)
            let r = try NearestNeighbourMatching(estimand: o.estimand, matches: o.matches, caliper: o.caliper ?? 0.2).estimate(onScore, method: "psmatch")
            var e = r.estimate
            e = Estimate(method: e.method, estimand: e.estimand, value: e.value, standardError: e.standardError, units: e.units,
                         notes: ["matched on the logit of the \(o.propensity == .logistic ? "logistic" : "cross-fitted XGBoost") propensity, caliper \(o.caliper ?? 0.2) SD"] + e.notes.dropFirst()
                            + ["the SE treats the propensity as known (Abadie & Imbens 2016 would narrow it for the ATE)"])
            return done(e, r.weights, propensity: scores)
        case .ipw:
            let propensity = try Propensity(data, model: o.propensity, folds: o.folds, seed: o.seed)
            let r = try InverseProbabilityWeighting(estimand: o.estimand, bootstrap: o.bootstrap, seed: o.seed).estimate(data, propensity: propensity)
            return done(r.estimate, r.weights, propensity: propensity.scores)
        case .aipw:
            let propensityModel: NuisanceModel = o.propensity == .logistic ? .linear : o.nuisance
            let e = try AugmentedIPW(estimand: o.estimand, propensityModel: propensityModel, outcomeModel: o.nuisance, folds: o.folds, seed: o.seed).estimate(data)
            return done(e, nil)
        case .dml:
            return done(try DoubleML(outcomeModel: o.nuisance, treatmentModel: o.nuisance, folds: o.folds, seed: o.seed).estimate(data), nil)
        }
    }

    /// The weights balance is read with for `method`: its own for match, psmatch and ipw; for the
    /// others, IPW's (they do not reweight, and IPW's weights show what the propensity can balance).
    public static func balance(_ method: Method, on study: StudyData, options o: AnalysisOptions = .init()) throws(ObservationalError) -> (balance: Balance, weightsFrom: Method, result: AnalysisResult) {
        try study.requireBinary(for: "study balance")
        let source: Method = [.match, .psmatch, .ipw].contains(method) ? method : .ipw
        let result = try run(source, on: study, options: o)
        return (Balance(result.data, weights: result.weights ?? [], estimand: o.estimand), source, result)
    }
}
