/// An arm's point estimate and the variance of that estimate (not of the unit-level values).
public struct MeanEstimate: Sendable, Equatable {
    public let mean: Double
    public let varianceOfMean: Double

    public init(mean: Double, varianceOfMean: Double) {
        self.mean = mean
        self.varianceOfMean = varianceOfMean
    }
}

/// The delta method for ratio metrics and the normal-approximation difference of two estimates.
public enum DeltaMethod {
    /// Σnumerator / Σdenominator over n units, from per-unit sums (numerator in `y`, denominator in
    /// `x`), with its delta-method variance
    /// (Var N − 2R Cov(N, D) + R² Var D) / (n · D̄²), R = ΣN / ΣD, sample (n − 1) moments.
    /// (Deng, Knoblich & Lu 2018, "Applying the Delta Method in Metric Analytics", eq. 3.)
    public static func ratio(_ s: CovariateSummary) -> MeanEstimate {
        let n = s.count
        let ratio = s.sumY / s.sumX
        let meanD = s.sumX / n
        let varN = (s.sumY2 - s.sumY * s.sumY / n) / (n - 1)
        let varD = (s.sumX2 - s.sumX * s.sumX / n) / (n - 1)
        let cov = (s.sumXY - s.sumX * s.sumY / n) / (n - 1)
        return MeanEstimate(mean: ratio, varianceOfMean: (varN - 2 * ratio * cov + ratio * ratio * varD) / (n * meanD * meanD))
    }

    /// Treatment − control for two independent estimates, with a normal interval and two-sided p.
    public static func difference(control: MeanEstimate, treatment: MeanEstimate, confidence: Double = 0.95) -> Effect {
        let estimate = treatment.mean - control.mean
        let se = (control.varianceOfMean + treatment.varianceOfMean).squareRoot()
        let z = Normal.criticalValue(confidence: confidence)
        return Effect(estimate: estimate, standardError: se, lower: estimate - z * se, upper: estimate + z * se,
                      pValue: se > 0 ? 2 * Normal.survival(abs(estimate / se)) : .nan, degreesOfFreedom: nil)
    }
}
