import Foundation

/// Always-valid inference for a difference that is looked at again and again: the asymptotic
/// confidence sequences of Waudby-Smith, Arnold, Wu, Ramdas, Howard & Lindon (2023, "Time-uniform
/// central limit theory and asymptotic confidence sequences", arXiv:2103.06476v7), as GrowthBook's
/// `SequentialTwoSidedTTest` applies them (gbstats 0.8.0): the interval of eq. 9 with ρ of eq. 161,
/// and the p-value 1/e-value of eq. 155.
///
/// The tuning parameter is the sample size at which the sequence is tightest (GrowthBook's default
/// 5,000). At any number of looks, the chance that an interval ever excludes the true difference
/// stays below α.
public enum SequentialTest {
    public static let defaultTuning = 5000.0

    /// ρ for a level α and a tuning parameter (eq. 161).
    public static func rho(alpha: Double, tuning: Double) -> Double {
        ((-2 * log(alpha) + log(-2 * log(alpha) + 1)) / tuning).squareRoot()
    }

    /// The half-width of the confidence sequence for an estimate with this variance at N units.
    public static func halfWidth(variance: Double, count n: Double, alpha: Double, tuning: Double) -> Double {
        let rho = rho(alpha: alpha, tuning: tuning)
        let s2 = variance * n
        let nr2 = n * rho * rho
        return s2.squareRoot() * (2 * (nr2 + 1) * log((nr2 + 1).squareRoot() / alpha) / (nr2 * n)).squareRoot()
    }

    /// The sequential effect for a difference: its interval and always-valid p-value (the standard
    /// error is the fixed-horizon one; no degrees of freedom).
    public static func effect(_ d: ArmDifference, alpha: Double = 0.05, tuning: Double = defaultTuning) -> Effect {
        let se = d.variance.squareRoot()
        guard d.variance > 0, d.variance.isFinite, d.count > 0 else {
            return Effect(estimate: d.estimate, standardError: se, lower: .nan, upper: .nan, pValue: .nan, degreesOfFreedom: nil)
        }
        let width = halfWidth(variance: d.variance, count: d.count, alpha: alpha, tuning: tuning)
        let rho = rho(alpha: alpha, tuning: tuning)
        let st2 = d.estimate * d.estimate * d.count / d.variance
        let tr2p1 = d.count * rho * rho + 1
        // 1/e-value, computed in logs so that a huge e-value gives a tiny p instead of 1/inf.
        let logE = rho * rho * st2 / (2 * tr2p1) - 0.5 * log(tr2p1)
        return Effect(estimate: d.estimate, standardError: se, lower: d.estimate - width, upper: d.estimate + width,
                      pValue: min(1, exp(-logE)), degreesOfFreedom: nil)
    }
}
