import Foundation

/// A Gaussian prior on the effect. Causeway takes it on the relative lift, as GrowthBook's
/// default `prior_type = "relative"`; `scaled(by:)` moves it to the absolute scale.
public struct GaussianPrior: Sendable, Equatable {
    public let mean: Double
    public let variance: Double

    public init(mean: Double, standardDeviation: Double) {
        self.mean = mean
        self.variance = standardDeviation * standardDeviation
    }

    init(mean: Double, variance: Double) {
        self.mean = mean
        self.variance = variance
    }

    /// The same prior on a scale c times larger (a relative prior on the absolute scale takes c = |control mean|).
    public func scaled(by c: Double) -> GaussianPrior { GaussianPrior(mean: mean * c, variance: variance * c * c) }
}

/// GrowthBook's Bayesian engine for one difference (gbstats 0.8.0, `EffectBayesianABTest`): the
/// likelihood of the difference is normal with the frequentist estimate and variance, the prior is
/// flat (improper, the default) or Gaussian, and the posterior is normal. From it: the chance that
/// the treatment wins, each decision's risk (the expected loss of shipping the arm if it is in fact
/// worse) and an equal-tailed credible interval.
public struct BayesianEffect: Sendable, Equatable {
    public let mean: Double
    public let standardDeviation: Double
    /// P(the treatment is better): P(Δ > 0), or P(Δ < 0) when lower values are better.
    public let chanceToWin: Double
    /// Expected loss of keeping the control: E[max(Δ, 0)] (of the treatment's gain forgone).
    public let riskControl: Double
    /// Expected loss of shipping the treatment: E[max(−Δ, 0)].
    public let riskTreatment: Double
    public let lower: Double
    public let upper: Double

    /// The posterior for a difference; nil prior is GrowthBook's improper flat prior.
    public init(_ d: ArmDifference, prior: GaussianPrior? = nil, alpha: Double = 0.05, lowerIsBetter: Bool = false) {
        let precision = 1 / d.variance + (prior.map { 1 / $0.variance } ?? 0)
        let mean = prior.map { (d.estimate / d.variance + $0.mean / $0.variance) / precision } ?? d.estimate
        let sd = (1 / precision).squareRoot()
        self.mean = mean
        standardDeviation = sd
        let z = mean / sd
        let win = Normal.survival(-z)        // P(Δ > 0)
        chanceToWin = lowerIsBetter ? 1 - win : win
        // E[max(Δ, 0)] = σ·G(−z) and E[max(−Δ, 0)] = σ·G(z), G(z) = φ(z) − z·Q(z) (Q the upper tail).
        let gain = sd * BayesianEffect.expectedExcess(-z), loss = sd * BayesianEffect.expectedExcess(z)
        (riskControl, riskTreatment) = lowerIsBetter ? (loss, gain) : (gain, loss)
        let q = Normal.quantile(1 - alpha / 2)
        lower = mean - q * sd
        upper = mean + q * sd
    }

    /// G(z) = E[max(Z − z, 0)] = φ(z) − z·Q(z) for a standard normal Z, without cancellation in the
    /// upper tail (there, Q(z) = φ(z)·M(z) with Mills' ratio M from its continued fraction).
    static func expectedExcess(_ z: Double) -> Double {
        let phi = exp(-z * z / 2) / (2 * Double.pi).squareRoot()
        guard z > 3 else { return phi - z * Normal.survival(z) }
        // 1/M(z) = z + 1/g with g = z + 2/(z + 3/(z + …)) (the modified Lentz method), so that
        // 1 − z·M(z) = M(z)/g and G(z) = φ(z)/(g·(z + 1/g)) with no subtraction.
        let tiny = 1e-300
        var g = z, c = z, d = 0.0
        for k in 2...300 {
            let a = Double(k)
            d = z + a * d
            d = d == 0 ? tiny : d
            c = z + a / c
            c = c == 0 ? tiny : c
            d = 1 / d
            let delta = c * d
            g *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return phi / (g * (z + 1 / g))
    }
}
