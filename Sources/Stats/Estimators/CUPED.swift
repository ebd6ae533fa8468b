/// Sufficient statistics of an outcome y with a pre-period covariate x: n, Σy, Σy², Σx, Σx², Σxy.
public struct CovariateSummary: Sendable, Equatable {
    public var count: Double
    public var sumY: Double
    public var sumY2: Double
    public var sumX: Double
    public var sumX2: Double
    public var sumXY: Double

    public init(count: Double, sumY: Double, sumY2: Double, sumX: Double, sumX2: Double, sumXY: Double) {
        self.count = count
        self.sumY = sumY
        self.sumY2 = sumY2
        self.sumX = sumX
        self.sumX2 = sumX2
        self.sumXY = sumXY
    }

    /// Summarizes paired values (tests, small samples).
    public init(y: [Double], x: [Double]) {
        precondition(y.count == x.count, "one covariate value per outcome")
        count = Double(y.count)
        sumY = y.reduce(0, +)
        sumY2 = y.reduce(0) { $0 + $1 * $1 }
        sumX = x.reduce(0, +)
        sumX2 = x.reduce(0) { $0 + $1 * $1 }
        sumXY = zip(x, y).reduce(0) { $0 + $1.0 * $1.1 }
    }

    /// The outcome alone.
    public var outcome: SampleSummary { SampleSummary(count: count, sum: sumY, sumOfSquares: sumY2) }
    var meanX: Double { sumX / count }
    /// Σ(x − x̄)², Σ(y − ȳ)², Σ(x − x̄)(y − ȳ).
    public var centeredXX: Double { sumX2 - sumX * sumX / count }
    public var centeredYY: Double { sumY2 - sumY * sumY / count }
    public var centeredXY: Double { sumXY - sumX * sumY / count }
}

/// CUPED (Deng, Xu, Kohavi & Walker 2013): y − θ(x − x̄) with θ from the pooled within-arm
/// covariance, so the treatment's effect on y does not leak into θ.
public struct CUPED: Sendable {
    /// θ = Σ_arms Σ(x−x̄)(y−ȳ) / Σ_arms Σ(x−x̄)².
    public let theta: Double
    /// The covariate's mean over all arms, the point the adjustment pivots on.
    public let pooledMeanX: Double

    public init(arms: [CovariateSummary]) {
        let xy = arms.reduce(0) { $0 + $1.centeredXY }
        let xx = arms.reduce(0) { $0 + $1.centeredXX }
        theta = xx > 0 ? xy / xx : 0
        let n = arms.reduce(0) { $0 + $1.count }
        pooledMeanX = n > 0 ? arms.reduce(0) { $0 + $1.sumX } / n : 0
    }

    /// An arm's adjusted mean and the unit-level variance of the adjusted values.
    public func adjusted(_ arm: CovariateSummary) -> (mean: Double, variance: Double, count: Double) {
        let mean = arm.sumY / arm.count - theta * (arm.meanX - pooledMeanX)
        let n1 = arm.count - 1
        let variance = (arm.centeredYY - 2 * theta * arm.centeredXY + theta * theta * arm.centeredXX) / n1
        return (mean, max(0, variance), arm.count)
    }

    /// Welch's test on adjusted values, treatment minus control.
    public func absoluteEffect(control: CovariateSummary, treatment: CovariateSummary, confidence: Double = 0.95) -> Effect {
        let c = adjusted(control), t = adjusted(treatment)
        return Welch.absolute(controlMean: c.mean, controlVariance: c.variance, controlCount: c.count,
                              treatmentMean: t.mean, treatmentVariance: t.variance, treatmentCount: t.count,
                              confidence: confidence)
    }

    /// 1 − Var(adjusted)/Var(raw) of the difference in means: the share of variance CUPED removed.
    public func varianceReduction(control: CovariateSummary, treatment: CovariateSummary) -> Double {
        let c = adjusted(control), t = adjusted(treatment)
        let raw = control.outcome.variance / control.count + treatment.outcome.variance / treatment.count
        let adjusted = c.variance / c.count + t.variance / t.count
        return raw > 0 ? 1 - adjusted / raw : 0
    }
}
