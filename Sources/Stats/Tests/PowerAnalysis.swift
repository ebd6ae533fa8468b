import Foundation

/// Sample sizes and minimum detectable effects for a two-sided comparison of two independent means
/// with the normal approximation, as statsmodels' `NormalIndPower` computes them (both tails count
/// towards power), and the same for GrowthBook's sequential intervals.
///
/// A design is the unit-level standard deviation σ and the shares of traffic of the two arms
/// compared; sizes are totals over all arms, so that several arms share one N.
public struct PowerAnalysis: Sendable {
    /// The unit-level standard deviation of the metric (CUPED-adjusted when planned with CUPED).
    public let standardDeviation: Double
    /// The two-sided level (already divided for multiple comparisons).
    public let alpha: Double
    /// nil: fixed horizon; otherwise the sequential tuning parameter.
    public let sequentialTuning: Double?

    public init(standardDeviation: Double, alpha: Double, sequentialTuning: Double? = nil) {
        self.standardDeviation = standardDeviation
        self.alpha = alpha
        self.sequentialTuning = sequentialTuning
    }

    /// The chance of detecting an absolute effect δ with n₁ and n₂ units in the two arms.
    public func power(effect delta: Double, control n1: Double, treatment n2: Double) -> Double {
        let se = standardDeviation * (1 / n1 + 1 / n2).squareRoot()
        guard se > 0, se.isFinite else { return 0 }
        let width: Double
        if let tuning = sequentialTuning {
            width = SequentialTest.halfWidth(variance: se * se, count: n1 + n2, alpha: alpha, tuning: tuning)
        } else {
            width = Normal.quantile(1 - alpha / 2) * se
        }
        return Normal.cdf((abs(delta) - width) / se) + Normal.cdf((-abs(delta) - width) / se)
    }

    /// The smallest total N (all arms) that gives `power` against `delta`, the arms compared holding
    /// the shares `control` and `treatment` of it (continuous; round up for units).
    public func totalUnits(effect delta: Double, power target: Double, control: Double, treatment: Double) -> Double {
        solve(target, low: 1e-9, high: 1e3) { n in power(effect: delta, control: n * control, treatment: n * treatment) }
    }

    /// The smallest absolute effect detected with `power` at N units in all.
    public func minimumEffect(totalUnits n: Double, power target: Double, control: Double, treatment: Double) -> Double {
        let se = standardDeviation * (1 / (n * control) + 1 / (n * treatment)).squareRoot()
        return solve(target, low: se * 1e-6, high: se) { power(effect: $0, control: n * control, treatment: n * treatment) }
    }

    /// The root of f(x) = target for a monotone f, bracketed by growing `high` and then bisected in
    /// the logarithm to full precision.
    private func solve(_ target: Double, low: Double, high: Double, _ f: (Double) -> Double) -> Double {
        var lo = low, hi = high
        while f(hi) < target, hi < 1e300 { lo = hi; hi *= 16 }
        while f(lo) > target, lo > 1e-300 { hi = lo; lo /= 16 }
        for _ in 0..<200 {
            let mid = (lo * hi).squareRoot()
            if f(mid) < target { lo = mid } else { hi = mid }
            if hi / lo - 1 < 1e-14 { break }
        }
        return (lo * hi).squareRoot()
    }
}
