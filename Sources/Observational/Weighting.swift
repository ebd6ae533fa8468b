import Foundation
import Stats

/// Inverse probability weighting, Hájek-normalised (the weights sum to one within each arm):
/// ATE weights 1/e and 1/(1 − e), ATT 1 and e/(1 − e), ATC (1 − e)/e and 1.
///
/// The standard error is the sandwich of the stacked estimating equations, the logistic model's
/// score included (Lunceford & Davidian 2004), so the uncertainty of the estimated propensity is
/// counted. `fixedWeightsStandardError` treats the weights as known, as a weighted regression with a
/// robust (GEE) variance does — the figure Hernán & Robins print. An optional bootstrap refits
/// the propensity in every replicate.
public struct InverseProbabilityWeighting: Sendable {
    public let estimand: Estimand
    public let bootstrap: Int
    public let seed: UInt64

    public init(estimand: Estimand = .ate, bootstrap: Int = 0, seed: UInt64 = 1) {
        self.estimand = estimand
        self.bootstrap = bootstrap
        self.seed = seed
    }

    public struct Result: Sendable {
        public let estimate: Estimate
        public let fixedWeightsStandardError: Double
        public let bootstrapStandardError: Double?
        /// Each unit's normalised weight (summing to 1 in each arm).
        public let weights: [Double]
    }

    static func armWeights(_ estimand: Estimand, _ e: Double) -> (treated: Double, control: Double, dTreated: Double, dControl: Double) {
        // d… = (dw/de)·e(1 − e): the derivative of the weight along the logistic linear predictor.
        switch estimand {
        case .ate: (1 / e, 1 / (1 - e), -(1 - e) / e, e / (1 - e))
        case .att: (1, e / (1 - e), 0, e / (1 - e))
        case .atc: ((1 - e) / e, 1, -(1 - e) / e, 0)
        }
    }

    public func estimate(_ data: StudyData, propensity: Propensity, method: String = "ipw") throws(ObservationalError) -> Result {
        try data.requireBinary(for: method)
        let n = data.count, t = data.treatment, y = data.outcome, e = propensity.scores
        var s1 = 0.0, s0 = 0.0, m1 = 0.0, m0 = 0.0
        var w1 = [Double](repeating: 0, count: n), w0 = [Double](repeating: 0, count: n)
        for i in 0..<n {
            guard e[i] > 0, e[i] < 1 else {
                throw ObservationalError(.noOverlap, "a unit has a propensity of \(e[i]); trim the study (--trim) before weighting")
            }
            let w = Self.armWeights(estimand, e[i])
            if t[i] == 1 { w1[i] = w.treated; s1 += w.treated; m1 += w.treated * y[i] } else { w0[i] = w.control; s0 += w.control; m0 += w.control * y[i] }
        }
        m1 /= s1
        m0 /= s0
        let tau = m1 - m0
        // Influence of each unit on μ̂₁ and μ̂₀ with the weights fixed …
        var if1 = [Double](repeating: 0, count: n), if0 = [Double](repeating: 0, count: n)
        for i in 0..<n {
            if1[i] = w1[i] * (y[i] - m1) / s1
            if0[i] = w0[i] * (y[i] - m0) / s0
        }
        let fixedVariance = zip(if1, if0).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        var variance = fixedVariance
        // … and through the logistic coefficients: IF += Dᵀ I⁻¹ x_i (T_i − e_i) / S.
        if let logistic = propensity.logistic {
            let x = data.covariates.withIntercept()
            let p = x.columns
            var d1 = [Double](repeating: 0, count: p), d0 = [Double](repeating: 0, count: p)
            x.values.withUnsafeBufferPointer { xv in
                for i in 0..<n {
                    let w = Self.armWeights(estimand, e[i])
                    let a = t[i] == 1 ? w.dTreated * (y[i] - m1) : 0
                    let b = t[i] == 0 ? w.dControl * (y[i] - m0) : 0
                    if a == 0 && b == 0 { continue }
                    for j in 0..<p { d1[j] += a * xv[j * n + i]; d0[j] += b * xv[j * n + i] }
                }
            }
            guard let c1 = choleskySolve(logistic.information, d1, size: p), let c0 = choleskySolve(logistic.information, d0, size: p) else {
                throw ObservationalError(.separation, "the propensity model's information matrix is singular")
            }
            variance = 0
            x.values.withUnsafeBufferPointer { xv in
                for i in 0..<n {
                    var l1 = 0.0, l0 = 0.0
                    for j in 0..<p { l1 += c1[j] * xv[j * n + i]; l0 += c0[j] * xv[j * n + i] }
                    let r = t[i] - e[i]
                    let a = if1[i] + l1 * r / s1, b = if0[i] + l0 * r / s0
                    variance += (a - b) * (a - b)
                }
            }
        }
        var bootstrapSE: Double?
        if bootstrap > 0 {
            var rng = SplitMix64(seed: seed)
            var draws: [Double] = []
            for _ in 0..<bootstrap {
                let rows = (0..<n).map { _ in Int(rng.next() % UInt64(n)) }
                let sample = data.subset(rows)
                guard sample.treatedCount > 0, sample.treatedCount < n,
                      let ps = try? Propensity(sample, model: .logistic),
                      let r = try? InverseProbabilityWeighting(estimand: estimand).estimate(sample, propensity: ps, method: method) else { continue }
                draws.append(r.estimate.value)
            }
            if draws.count > 1 {
                let mean = draws.reduce(0, +) / Double(draws.count)
                bootstrapSE = (draws.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(draws.count - 1)).squareRoot()
            }
        }
        var weights = [Double](repeating: 0, count: n)
        for i in 0..<n { weights[i] = t[i] == 1 ? w1[i] / s1 : w0[i] / s0 }
        var notes = ["Hájek weights; sandwich SE with the propensity model's score\(propensity.logistic == nil ? " (cross-fitted scores: weights treated as known)" : "")",
                     String(format: "SE with the weights treated as known: %.6g", fixedVariance.squareRoot())]
        if let bootstrapSE { notes.append(String(format: "bootstrap SE (%d replicates): %.6g", bootstrap, bootstrapSE)) }
        return Result(estimate: Estimate(method: method, estimand: estimand, value: tau, standardError: variance.squareRoot(), units: n, notes: notes),
                      fixedWeightsStandardError: fixedVariance.squareRoot(), bootstrapStandardError: bootstrapSE, weights: weights)
    }
}
