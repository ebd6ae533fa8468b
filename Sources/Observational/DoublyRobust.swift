import Foundation

/// Augmented inverse probability weighting (Robins, Rotnitzky & Zhao 1994), with the nuisances
/// cross-fitted over K folds (Chernozhukov et al. 2018): the efficient influence function's mean
/// is the estimate and its standard deviation/√n the standard error. Propensities are clipped
/// to [clip, 1 − clip] as DoubleML's `trimming_threshold` does.
public struct AugmentedIPW: Sendable {
    public let estimand: Estimand
    public let propensityModel: NuisanceModel
    public let outcomeModel: NuisanceModel
    public let folds: Int
    public let seed: UInt64
    public let clip: Double

    public init(estimand: Estimand = .ate, propensityModel: NuisanceModel = .linear, outcomeModel: NuisanceModel = .linear,
                folds: Int = 5, seed: UInt64 = 1, clip: Double = 0.01) {
        self.estimand = estimand
        self.propensityModel = propensityModel
        self.outcomeModel = outcomeModel
        self.folds = folds
        self.seed = seed
        self.clip = clip
    }

    public func estimate(_ data: StudyData, method: String = "aipw") throws(ObservationalError) -> Estimate {
        try data.requireBinary(for: method)
        guard folds >= 2 else { throw ObservationalError(.invalidOption, "cross-fitting needs at least 2 folds") }
        let n = data.count, t = data.treatment, y = data.outcome
        let fold = crossFitFolds(count: n, folds: folds, seed: seed)
        let e = try crossFitted(propensityModel, target: t, binary: true, data: data, fold: fold, folds: folds)
            .map { min(max($0, clip), 1 - clip) }
        let mu1 = try crossFitted(outcomeModel, target: y, binary: false, data: data, fold: fold, folds: folds) { t[$0] == 1 }
        let mu0 = try crossFitted(outcomeModel, target: y, binary: false, data: data, fold: fold, folds: folds) { t[$0] == 0 }
        var psi = [Double](repeating: 0, count: n)
        let tau: Double
        switch estimand {
        case .ate:
            for i in 0..<n {
                psi[i] = mu1[i] - mu0[i] + t[i] * (y[i] - mu1[i]) / e[i] - (1 - t[i]) * (y[i] - mu0[i]) / (1 - e[i])
            }
            tau = psi.reduce(0, +) / Double(n)
            for i in 0..<n { psi[i] -= tau }
        case .att, .atc:
            // ATT: E[T(Y − μ₀) − (1 − T) e/(1 − e)(Y − μ₀)] / P(T = 1); ATC mirrors it.
            let target: (Int) -> Double = estimand == .att ? { t[$0] } : { 1 - t[$0] }
            let share = (0..<n).reduce(0) { $0 + target($1) } / Double(n)
            var raw = [Double](repeating: 0, count: n)
            for i in 0..<n {
                if estimand == .att {
                    raw[i] = t[i] * (y[i] - mu0[i]) - (1 - t[i]) * e[i] / (1 - e[i]) * (y[i] - mu0[i])
                } else {
                    raw[i] = (1 - t[i]) * (mu1[i] - y[i]) + t[i] * (1 - e[i]) / e[i] * (y[i] - mu1[i])
                }
            }
            tau = raw.reduce(0, +) / Double(n) / share
            for i in 0..<n { psi[i] = (raw[i] - target(i) * tau) / share }
        }
        let variance = psi.reduce(0) { $0 + $1 * $1 } / Double(n) / Double(n)
        return Estimate(method: method, estimand: estimand, value: tau, standardError: variance.squareRoot(), units: n,
                        notes: ["\(folds)-fold cross-fitting; propensity \(propensityModel.name), outcome \(outcomeModel.name); influence-function SE",
                                "propensities clipped to [\(clip), \(1 - clip)]"])
    }
}

/// Double machine learning for the partially linear model Y = θD + g(X) + ε (Chernozhukov et al.
/// 2018): E[Y|X] and E[D|X] cross-fitted over K folds, θ from the partialling-out (orthogonal)
/// score ψ = (Ỹ − θD̃)D̃, and its standard error from the same score — DoubleML's `DoubleMLPLR`
/// with `score = "partialling out"`. The treatment may be binary or continuous.
public struct DoubleML: Sendable {
    public let outcomeModel: NuisanceModel
    public let treatmentModel: NuisanceModel
    public let folds: Int
    public let seed: UInt64

    public init(outcomeModel: NuisanceModel = .linear, treatmentModel: NuisanceModel = .linear, folds: Int = 5, seed: UInt64 = 1) {
        self.outcomeModel = outcomeModel
        self.treatmentModel = treatmentModel
        self.folds = folds
        self.seed = seed
    }

    public func estimate(_ data: StudyData, method: String = "dml") throws(ObservationalError) -> Estimate {
        guard folds >= 2 else { throw ObservationalError(.invalidOption, "cross-fitting needs at least 2 folds") }
        let n = data.count
        let d = data.treatment, y = data.outcome
        guard Set(d.prefix(1000)).count > 1 || Set(d).count > 1 else {
            throw ObservationalError(.invalidData, "the treatment is constant")
        }
        let fold = crossFitFolds(count: n, folds: folds, seed: seed)
        let l = try crossFitted(outcomeModel, target: y, binary: false, data: data, fold: fold, folds: folds)
        // E[D|X] as a regression (squared error) even for a 0/1 treatment, as DoubleML's PLR does with a regressor.
        let m = try crossFitted(treatmentModel, target: d, binary: false, data: data, fold: fold, folds: folds)
        var sdd = 0.0, sdy = 0.0
        var dt = [Double](repeating: 0, count: n), yt = [Double](repeating: 0, count: n)
        for i in 0..<n {
            dt[i] = d[i] - m[i]
            yt[i] = y[i] - l[i]
            sdd += dt[i] * dt[i]
            sdy += dt[i] * yt[i]
        }
        guard sdd > 0 else { throw ObservationalError(.noOverlap, "the covariates predict the treatment exactly; nothing is left to estimate from") }
        let theta = sdy / sdd
        let j = sdd / Double(n)
        var s2 = 0.0
        for i in 0..<n { let psi = (yt[i] - theta * dt[i]) * dt[i]; s2 += psi * psi }
        let variance = s2 / Double(n) / (j * j) / Double(n)
        return Estimate(method: method, estimand: .ate, value: theta, standardError: variance.squareRoot(), units: n,
                        notes: ["partially linear model, \(folds)-fold cross-fitting; E[Y|X] \(outcomeModel.name), E[D|X] \(treatmentModel.name); orthogonal-score SE"])
    }
}

/// Regression adjustment by OLS. For the ATE, the treatment's coefficient in Y ~ T + X; for the ATT
/// (ATC), the coefficient in Y ~ T + X + T·(X − x̄₁) with x̄₁ the treated (untreated) means, which
/// averages each unit's fitted effect over that arm (Lin 2013 with the target arm's centre).
/// The standard error is HC2; the classical one is noted.
public struct RegressionAdjustment: Sendable {
    public let estimand: Estimand
    public init(estimand: Estimand = .ate) { self.estimand = estimand }

    public struct Result: Sendable {
        public let estimate: Estimate
        public let classicalStandardError: Double
        public let regression: LinearRegression
    }

    public func estimate(_ data: StudyData, method: String = "ols") throws(ObservationalError) -> Result {
        var x = data.covariates.prepending(data.treatment)
        var names = ["(treatment)"] + data.names
        if estimand != .ate {
            try data.requireBinary(for: "\(method) with --estimand \(estimand.rawValue)")
            let arm: Double = estimand == .att ? 1 : 0
            let rows = (0..<data.count).filter { data.treatment[$0] == arm }
            var interactions: [[Double]] = []
            for j in 0..<data.covariates.columns {
                let column = data.covariates.column(j)
                let centre = rows.reduce(0) { $0 + column[column.startIndex + $1] } / Double(rows.count)
                interactions.append(zip(data.treatment, column).map { $0 * ($1 - centre) })
                names.append("(treatment)×\(data.names[j])")
            }
            x = ColumnMatrix(rows: x.rows, columns: x.columns + interactions.count, values: x.values + interactions.flatMap { $0 })
        }
        let fit = try LinearRegression(y: data.outcome, x: x, names: names)
        let classical = fit.standardError(1)
        let robust = fit.standardError(1, .hc2)
        return Result(estimate: Estimate(method: method, estimand: estimand, value: fit.coefficients[1], standardError: robust,
                                         degreesOfFreedom: fit.degreesOfFreedom, units: data.count,
                                         notes: [String(format: "HC2 SE; classical SE %.6g", classical)]),
                      classicalStandardError: classical, regression: fit)
    }
}
