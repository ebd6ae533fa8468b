import Foundation

/// The Horvitz–Thompson estimator of Bojinov, Simchi-Levi & Zhao ("Design and Analysis of
/// Switchback Experiments", Management Science 2023) for a switchback run under a schedule of
/// randomization points, with a conservative variance.
///
/// With carryover order p, period t's outcome depends on the arms of periods t−p…t. The estimand
/// is the lag-p effect: the mean over periods t > p of Y_t(a, …, a) − Y_t(0, …, 0), the outcome had
/// the arm been held for p + 1 periods, against control held as long. Each period contributes
/// Y_t·1{arm a throughout t−p…t}/π_t(a) − Y_t·1{control throughout}/π_t(0), where π is the design's
/// probability of that path: the product of the arm's probability over the randomization blocks
/// the periods t−p…t touch (independent draws per block and per region).
///
/// The variance is Σ over pairs of periods of the covariance of their terms. Where two paths can
/// occur together, the covariance term is estimated without bias by inverse-probability weighting
/// with the design's joint probability. Where they cannot (the same block would need two arms),
/// the product Y_t(a)·Y_s(0) is never observed; it is bounded by (Y_t(a)² + Y_s(0)²)/2, each
/// square estimated by weighting, the Aronow–Samii bound that makes the estimator conservative
/// (its expectation is at least the true variance). Regions are independent and pooled with equal
/// weight per period. Intervals are normal (the finite-population central limit theorem).
///
/// Horvitz–Thompson's variance grows with the outcome's level, not just its spread. `centred(_:)`
/// shifts each region's values by the region's mean: E[1{a}/π − 1{0}/π] = 0 for every period, so a
/// fixed shift leaves the estimator unbiased; the mean is estimated from the same data, which adds a
/// bias of order 1/T (checked by simulation in the tests) and removes the level from the variance.
public enum SwitchbackHorvitzThompson {
    /// One period of one region whose outcome is observed.
    public struct Period: Sendable, Equatable {
        /// The window's outcome (a mean, burn-in removed).
        public let value: Double
        /// Ordinals of the first and last randomization block the periods t−p…t touch.
        public let blocks: ClosedRange<Int>

        public init(value: Double, blocks: ClosedRange<Int>) {
            self.value = value
            self.blocks = blocks
        }
    }

    /// One region: the arm drawn at each randomization block and the periods after the first p.
    public struct Region: Sendable, Equatable {
        public let blockArms: [Int]
        public let periods: [Period]

        public init(blockArms: [Int], periods: [Period]) {
            self.blockArms = blockArms
            self.periods = periods
        }
    }

    /// Each region's period values minus the region's mean value.
    public static func centred(_ regions: [Region]) -> [Region] {
        regions.map { region in
            guard !region.periods.isEmpty else { return region }
            let mean = region.periods.reduce(0) { $0 + $1.value } / Double(region.periods.count)
            return Region(blockArms: region.blockArms, periods: region.periods.map { .init(value: $0.value - mean, blocks: $0.blocks) })
        }
    }

    /// Arm `treated` against arm `control`; `probabilities[k]` is the chance a block draws arm k.
    /// Nil when there are no periods. The estimate stays defined (and unbiased over the design) when one
    /// path was never observed; callers decide whether to show it.
    public static func estimate(_ regions: [Region], treated: Int, control: Int, probabilities: [Double],
                                confidence: Double = 0.95) -> Effect? {
        let q = (treated: probabilities[treated], control: probabilities[control])
        guard q.treated > 0, q.control > 0 else { return nil }
        let total = regions.reduce(0) { $0 + $1.periods.count }
        guard total > 0 else { return nil }
        var sum = 0.0, variance = 0.0
        for region in regions {
            let periods = region.periods
            // Which path each period observed: +1 treated throughout, −1 control throughout, 0 neither.
            var path = [Int8](repeating: 0, count: periods.count)
            for (i, period) in periods.enumerated() {
                let arms = period.blocks.map { region.blockArms[$0] }
                if arms.allSatisfy({ $0 == treated }) { path[i] = 1 }
                else if arms.allSatisfy({ $0 == control }) { path[i] = -1 }
            }
            func probability(_ p: Double, _ blocks: Int) -> Double { pow(p, Double(blocks)) }
            for (i, t) in periods.enumerated() {
                let nt = t.blocks.count
                let pt = (treated: probability(q.treated, nt), control: probability(q.control, nt))
                if path[i] == 1 { sum += t.value / pt.treated }
                if path[i] == -1 { sum -= t.value / pt.control }
                // Pairs (t, s) with s ≥ t whose block sets overlap; disjoint sets are independent and add nothing.
                var j = i
                while j < periods.count, periods[j].blocks.lowerBound <= t.blocks.upperBound {
                    let s = periods[j]
                    let weight = j == i ? 1.0 : 2.0
                    let ns = s.blocks.count
                    let ps = (treated: probability(q.treated, ns), control: probability(q.control, ns))
                    let union = max(t.blocks.upperBound, s.blocks.upperBound) - min(t.blocks.lowerBound, s.blocks.lowerBound) + 1
                    // Same arm on both: joint probability q^|union|; the term enters with sign +.
                    if path[i] == path[j], path[i] != 0 {
                        let (p1, p2, joint) = path[i] == 1
                            ? (pt.treated, ps.treated, probability(q.treated, union))
                            : (pt.control, ps.control, probability(q.control, union))
                        variance += weight * t.value * s.value * (1 / (p1 * p2) - 1 / joint)
                    }
                    // Opposite arms on overlapping blocks cannot both happen: Y_t(x)·Y_s(y) enters with
                    // sign +; bound it by (Y_t(x)² + Y_s(y)²)/2 for each of the two orderings (x, y).
                    // Each square is estimated by Y²·1{path}/π.
                    if path[i] == 1 { variance += weight * 0.5 * t.value * t.value / pt.treated }
                    if path[i] == -1 { variance += weight * 0.5 * t.value * t.value / pt.control }
                    if path[j] == 1 { variance += weight * 0.5 * s.value * s.value / ps.treated }
                    if path[j] == -1 { variance += weight * 0.5 * s.value * s.value / ps.control }
                    j += 1
                }
            }
        }
        let n = Double(total)
        let estimate = sum / n
        let standardError = max(variance, 0).squareRoot() / n
        let z = Normal.quantile(0.5 + confidence / 2)
        let p = standardError > 0 ? 2 * Normal.survival(abs(estimate) / standardError) : (estimate == 0 ? 1 : 0)
        return Effect(estimate: estimate, standardError: standardError, lower: estimate - z * standardError,
                      upper: estimate + z * standardError, pValue: p, degreesOfFreedom: nil)
    }
}
