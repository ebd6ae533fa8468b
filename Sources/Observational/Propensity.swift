import Foundation

/// Propensity scores e(x) = P(T = 1 | x): logistic regression on every unit (the default), or
/// XGBoost cross-fitted so no unit's score comes from a model that saw it.
public struct Propensity: Sendable {
    public enum Model: Sendable, Equatable {
        case logistic
        case xgboost(NuisanceModel)
    }

    public let scores: [Double]
    /// The logistic fit, when the model is logistic (its information feeds the IPW sandwich).
    public let logistic: LogisticRegression?

    public init(_ data: StudyData, model: Model = .logistic, folds: Int = 5, seed: UInt64 = 1) throws(ObservationalError) {
        try data.requireBinary(for: "a propensity model")
        switch model {
        case .logistic:
            let fit = try LogisticRegression(y: data.treatment, x: data.covariates, names: data.names)
            scores = fit.probabilities
            logistic = fit
        case .xgboost(let nuisance):
            let fold = crossFitFolds(count: data.count, folds: folds, seed: seed)
            scores = try crossFitted(nuisance, target: data.treatment, binary: true, data: data, fold: fold, folds: folds)
            logistic = nil
        }
    }

    /// Crump, Hotz, Imbens & Mitnik (2009): the α that minimises the variance bound of the trimmed
    /// ATE. Zero when sup 1/(e(1 − e)) ≤ 2 E[1/(e(1 − e))]; otherwise γ solves
    /// γ = 2 E[g | g ≤ γ], g = 1/(e(1 − e)), and α = 1/2 − √(1/4 − 1/γ).
    public static func crumpThreshold(_ scores: [Double]) -> Double {
        let g = scores.map { 1 / ($0 * (1 - $0)) }.sorted()
        guard let maxG = g.last, maxG.isFinite else { return 0.1 }
        let mean = g.reduce(0, +) / Double(g.count)
        if maxG <= 2 * mean { return 0 }
        // Find the smallest k with g[k] ≥ 2·mean(g[0...k]) scanning the sorted values.
        var sum = 0.0
        var gamma = maxG
        for (k, v) in g.enumerated() {
            sum += v
            let condMean = sum / Double(k + 1)
            if v >= 2 * condMean { gamma = 2 * condMean; break }
        }
        let inside = 0.25 - 1 / gamma
        return inside > 0 ? 0.5 - inside.squareRoot() : 0
    }

    /// Units whose score lies in [threshold, 1 − threshold].
    public func keptIndices(threshold: Double) -> [Int] {
        scores.indices.filter { scores[$0] >= threshold && scores[$0] <= 1 - threshold }
    }
}

/// How the score distribution looks by arm: counts below 0.1, in [0.1, 0.9], above 0.9, and a
/// histogram of 20 bins on [0, 1].
public struct Overlap: Sendable, Equatable {
    public let treatedBelow: Int, treatedInside: Int, treatedAbove: Int
    public let controlBelow: Int, controlInside: Int, controlAbove: Int
    public let treatedHistogram: [Int]
    public let controlHistogram: [Int]
    public let treatedRange: ClosedRange<Double>
    public let controlRange: ClosedRange<Double>

    public init(scores: [Double], treatment: [Double], bins: Int = 20) {
        var counts = [0, 0, 0, 0, 0, 0]
        var th = [Int](repeating: 0, count: bins), ch = [Int](repeating: 0, count: bins)
        var tmin = 1.0, tmax = 0.0, cmin = 1.0, cmax = 0.0
        for (e, t) in zip(scores, treatment) {
            let region = e < 0.1 ? 0 : (e > 0.9 ? 2 : 1)
            let bin = min(bins - 1, max(0, Int(e * Double(bins))))
            if t == 1 {
                counts[region] += 1; th[bin] += 1; tmin = min(tmin, e); tmax = max(tmax, e)
            } else {
                counts[3 + region] += 1; ch[bin] += 1; cmin = min(cmin, e); cmax = max(cmax, e)
            }
        }
        treatedBelow = counts[0]; treatedInside = counts[1]; treatedAbove = counts[2]
        controlBelow = counts[3]; controlInside = counts[4]; controlAbove = counts[5]
        treatedHistogram = th
        controlHistogram = ch
        treatedRange = min(tmin, tmax)...max(tmin, tmax)
        controlRange = min(cmin, cmax)...max(cmin, cmax)
    }

    /// Units outside [0.1, 0.9].
    public var flagged: Int { treatedBelow + treatedAbove + controlBelow + controlAbove }
}

extension Propensity {
    /// Scores given from outside (a known design's true propensities, or another tool's).
    public init(scores: [Double]) {
        self.scores = scores
        self.logistic = nil
    }
}
