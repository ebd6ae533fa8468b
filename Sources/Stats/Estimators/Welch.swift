/// A difference between two arms with its uncertainty.
public struct Effect: Sendable, Equatable {
    /// Treatment minus control (absolute), or treatment / control − 1 (relative).
    public let estimate: Double
    public let standardError: Double
    /// The 95 % (or chosen) interval.
    public let lower: Double
    public let upper: Double
    public let pValue: Double
    /// Welch–Satterthwaite degrees of freedom; nil for normal-approximation effects.
    public let degreesOfFreedom: Double?

    public init(estimate: Double, standardError: Double, lower: Double, upper: Double, pValue: Double, degreesOfFreedom: Double?) {
        self.estimate = estimate
        self.standardError = standardError
        self.lower = lower
        self.upper = upper
        self.pValue = pValue
        self.degreesOfFreedom = degreesOfFreedom
    }
}

/// Welch's unequal-variance t test and the delta method for relative lift.
public enum Welch {
    /// Treatment mean − control mean with Welch's t interval and two-sided p-value, as
    /// `scipy.stats.ttest_ind(treatment, control, equal_var=False)`.
    public static func absolute(control: SampleSummary, treatment: SampleSummary, confidence: Double = 0.95) -> Effect {
        absolute(controlMean: control.mean, controlVariance: control.variance, controlCount: control.count,
                 treatmentMean: treatment.mean, treatmentVariance: treatment.variance, treatmentCount: treatment.count,
                 confidence: confidence)
    }

    /// Welch's test from means, variances and counts (variances of the unit-level values).
    public static func absolute(controlMean: Double, controlVariance: Double, controlCount: Double,
                                treatmentMean: Double, treatmentVariance: Double, treatmentCount: Double,
                                confidence: Double = 0.95) -> Effect {
        let a = controlVariance / controlCount, b = treatmentVariance / treatmentCount
        let se = (a + b).squareRoot()
        let diff = treatmentMean - controlMean
        let df = (a + b) * (a + b) / (a * a / (controlCount - 1) + b * b / (treatmentCount - 1))
        guard se > 0, df.isFinite, df > 0 else {
            return Effect(estimate: diff, standardError: se, lower: .nan, upper: .nan, pValue: .nan, degreesOfFreedom: nil)
        }
        let t = StudentT(degreesOfFreedom: df)
        let q = t.quantile(1 - (1 - confidence) / 2)
        return Effect(estimate: diff, standardError: se, lower: diff - q * se, upper: diff + q * se,
                      pValue: t.twoSidedP(diff / se), degreesOfFreedom: df)
    }

    /// Relative lift treatment/control − 1 by the delta method (independent arms), normal interval.
    public static func relative(controlMean: Double, controlVarianceOfMean: Double,
                                treatmentMean: Double, treatmentVarianceOfMean: Double, confidence: Double = 0.95) -> Effect {
        let m1 = controlMean, m2 = treatmentMean
        let estimate = m2 / m1 - 1
        let variance = treatmentVarianceOfMean / (m1 * m1) + m2 * m2 * controlVarianceOfMean / (m1 * m1 * m1 * m1)
        let se = variance.squareRoot()
        guard m1 != 0, se > 0, se.isFinite else {
            return Effect(estimate: estimate, standardError: se, lower: .nan, upper: .nan, pValue: .nan, degreesOfFreedom: nil)
        }
        let z = Normal.criticalValue(confidence: confidence)
        return Effect(estimate: estimate, standardError: se, lower: estimate - z * se, upper: estimate + z * se,
                      pValue: 2 * Normal.survival(abs(estimate / se)), degreesOfFreedom: nil)
    }
}
