/// One arm's metric as GrowthBook's statistics engine (gbstats 0.8.0, `gbstats/models/statistics.py`)
/// defines it: a sample size, a mean, the mean before any regression adjustment, and the variance
/// of one unit's value. The sequential and Bayesian engines compare two of these.
///
/// The definitions differ from the fixed-horizon report's in two places, on purpose, so that the
/// numbers equal GrowthBook's: a proportion's variance is p(1 − p) (not n/(n − 1) of it), and
/// CUPED's θ comes from the two compared arms pooled, not within arms.
public struct ArmStatistic: Sendable, Equatable {
    public let count: Double
    /// The arm's estimate: Σy/n, a ratio Σnum/Σden, or ȳ − θx̄ with regression adjustment.
    public let mean: Double
    /// The mean without regression adjustment, the base of relative effects.
    public let unadjustedMean: Double
    /// The variance of one unit's value (for a ratio, the delta method's).
    public let variance: Double

    public init(count: Double, mean: Double, unadjustedMean: Double? = nil, variance: Double) {
        self.count = count
        self.mean = mean
        self.unadjustedMean = unadjustedMean ?? mean
        self.variance = variance
    }

    /// `SampleMeanStatistic`: n, Σy, Σy².
    public static func sampleMean(_ s: SampleSummary) -> ArmStatistic {
        let variance = s.count <= 1 ? 0 : (s.sumOfSquares - s.sum * s.sum / s.count) / (s.count - 1)
        return ArmStatistic(count: s.count, mean: s.count == 0 ? 0 : s.sum / s.count, variance: variance)
    }

    /// `ProportionStatistic`: n units of which Σy converted; variance p(1 − p).
    public static func proportion(count: Double, sum: Double) -> ArmStatistic {
        let p = count == 0 ? 0 : sum / count
        return ArmStatistic(count: count, mean: p, variance: p * (1 - p))
    }

    /// `RatioStatistic`: per-unit numerator sums in y, denominator sums in x.
    public static func ratio(_ s: CovariateSummary) -> ArmStatistic {
        let n = s.count
        let meanM = n == 0 ? 0 : s.sumY / n, meanD = n == 0 ? 0 : s.sumX / n
        let mean = s.sumX == 0 ? 0 : s.sumY / s.sumX
        guard meanD != 0, n > 1 else { return ArmStatistic(count: n, mean: mean, variance: 0) }
        let varM = (s.sumY2 - s.sumY * s.sumY / n) / (n - 1)
        let varD = (s.sumX2 - s.sumX * s.sumX / n) / (n - 1)
        let cov = (s.sumXY - s.sumY * s.sumX / n) / (n - 1)
        let variance = varM / (meanD * meanD) - 2 * cov * meanM / (meanD * meanD * meanD)
            + meanM * meanM * varD / (meanD * meanD * meanD * meanD)
        return ArmStatistic(count: n, mean: mean, variance: variance)
    }

    /// `RegressionAdjustedStatistic` for a control and a treatment arm (y the metric, x its
    /// pre-period covariate), with θ from the two arms pooled as gbstats' `compute_theta` does;
    /// θ = 0 (no adjustment) when either pooled variance is 0. `proportion` says how the outcome's and
    /// the covariate's own variances are taken (p(1 − p) for proportions).
    public static func regressionAdjusted(control: CovariateSummary, treatment: CovariateSummary,
                                          outcomeIsProportion: Bool, covariateIsProportion: Bool)
        -> (control: ArmStatistic, treatment: ArmStatistic, theta: Double) {
        // Each variance as the arm's own statistic defines it.
        func variance(count n: Double, sum: Double, squares: Double, proportion: Bool) -> Double {
            proportion ? ArmStatistic.proportion(count: n, sum: sum).variance
                : ArmStatistic.sampleMean(SampleSummary(count: n, sum: sum, sumOfSquares: squares)).variance
        }
        let n = control.count + treatment.count
        let sumY = control.sumY + treatment.sumY, sumX = control.sumX + treatment.sumX
        let jointY = variance(count: n, sum: sumY, squares: control.sumY2 + treatment.sumY2, proportion: outcomeIsProportion)
        let jointX = variance(count: n, sum: sumX, squares: control.sumX2 + treatment.sumX2, proportion: covariateIsProportion)
        var theta = 0.0
        if jointX != 0, jointY != 0 {
            let covariance = n <= 1 ? 0 : (control.sumXY + treatment.sumXY - sumY * sumX / n) / (n - 1)
            theta = covariance / jointX
        }
        func arm(_ s: CovariateSummary) -> ArmStatistic {
            let post = variance(count: s.count, sum: s.sumY, squares: s.sumY2, proportion: outcomeIsProportion)
            guard theta != 0 else {
                return ArmStatistic(count: s.count, mean: s.count == 0 ? 0 : s.sumY / s.count, variance: post)
            }
            let pre = variance(count: s.count, sum: s.sumX, squares: s.sumX2, proportion: covariateIsProportion)
            let covariance = s.count <= 1 ? 0 : (s.sumXY - s.sumY * s.sumX / s.count) / (s.count - 1)
            let v = s.count <= 1 ? 0 : post + theta * theta * pre - 2 * theta * covariance
            return ArmStatistic(count: s.count, mean: s.sumY / s.count - theta * s.sumX / s.count,
                                unadjustedMean: s.sumY / s.count, variance: v)
        }
        return (arm(control), arm(treatment), theta)
    }
}

/// Treatment against control as gbstats' `frequentist_diff` and `frequentist_variance` define it:
/// the absolute difference of means, or the relative one over the control's unadjusted mean, and
/// the variance of that estimate (delta method for the relative).
public struct ArmDifference: Sendable, Equatable {
    public let estimate: Double
    public let variance: Double
    /// Units in both arms, the N of sequential tests.
    public let count: Double

    public init(control a: ArmStatistic, treatment b: ArmStatistic, relative: Bool) {
        count = a.count + b.count
        if relative {
            estimate = (b.mean - a.mean) / a.unadjustedMean
            let m = a.unadjustedMean
            variance = b.variance / (m * m * b.count) + a.variance * b.unadjustedMean * b.unadjustedMean / (m * m * m * m * a.count)
        } else {
            estimate = b.mean - a.mean
            variance = b.variance / b.count + a.variance / a.count
        }
    }

    /// Why gbstats would return its uninformative default instead of a result, or nil when the
    /// comparison can be made: a zero control mean (relative), an empty arm, or a variance ≤ 0.
    public static func obstacle(control a: ArmStatistic, treatment b: ArmStatistic, relative: Bool) -> String? {
        if relative, a.mean == 0 || a.unadjustedMean == 0 { return "the control's mean is 0: no relative effect" }
        if a.count == 0 || b.count == 0 { return "an arm has no units" }
        if a.variance <= 0 || b.variance <= 0 { return "an arm's variance is 0" }
        return nil
    }
}
