import Foundation
import Stats

/// Ridge-augmented synthetic control (Ben-Michael, Feller & Rothstein 2021, "The Augmented Synthetic
/// Control Method", JASA 116, §4): the synthetic control's weights ŵ on the pre-period outcomes,
/// corrected by a ridge regression of each period's donor outcomes on their pre-period outcomes,
///
///     Ŷ₁ₜ(0) = Σⱼ ŵⱼ Yⱼₜ + (X₁ − X₀ᵀŵ)ᵀ η̂ₜ,   η̂ₜ = (X̃₀ᵀX̃₀ + λI)⁻¹ X̃₀ᵀ Ỹ₀ₜ,
///
/// (X̃ centred across the donors), which is the weighting ŵ_aug = ŵ + X̃₀(X̃₀ᵀX̃₀ + λI)⁻¹(X₁ − X₀ᵀŵ):
/// weights that still sum to one but may be negative, so the fit can reach a treated unit outside
/// the donors' convex hull. λ is chosen, unless given, by rolling-origin cross-validation on the
/// last pre-periods with the one-standard-error rule, as augsynth's `min_1se` does; as λ → ∞ the
/// estimate returns to the synthetic control.
public enum AugmentedSynthetic {
    public struct Estimate: Sendable {
        public let scWeights: [Double]
        public let weights: [Double]
        public let lambda: Double
        /// Treated minus its augmented counterfactual, every period.
        public let gaps: [Double]
        public let att: Double
        public let preRMSPE: Double
    }

    /// `treated[s]`, `donors[j][s]` over every period; the first `prePeriods` before the start.
    public static func estimate(treated: [Double], donors: [[Double]], prePeriods t0: Int, lambda: Double? = nil) -> Estimate {
        let chosen = lambda ?? crossValidatedLambda(treated: treated, donors: donors, prePeriods: t0)
        let (sc, aug) = weights(treated: treated, donors: donors, pre: Array(0..<t0), lambda: chosen)
        let t = treated.count
        let gaps = (0..<t).map { s in treated[s] - (0..<donors.count).reduce(0) { $0 + aug[$1] * donors[$1][s] } }
        let att = gaps[t0...].reduce(0, +) / Double(t - t0)
        let pre = (gaps[..<t0].reduce(0) { $0 + $1 * $1 } / Double(t0)).squareRoot()
        return Estimate(scWeights: sc, weights: aug, lambda: chosen, gaps: gaps, att: att, preRMSPE: pre)
    }

    /// The synthetic control's weights on the periods `pre` (raw outcomes) and their ridge augmentation.
    static func weights(treated: [Double], donors: [[Double]], pre: [Int], lambda: Double) -> (sc: [Double], augmented: [Double]) {
        let n = donors.count
        let sc = SimplexWeights.minimize(p: ConformalIntervals.gram(donors, pre),
                                         q: (0..<n).map { i in pre.reduce(0) { $0 + donors[i][$1] * treated[$1] } }, n: n).weights
        // Centred donors X̃₀ (n × |pre|) and the imbalance X₁ − X₀ᵀŵ.
        let means = pre.map { s in (0..<n).reduce(0) { $0 + donors[$1][s] } / Double(n) }
        let centred = (0..<n).map { j in pre.indices.map { donors[j][pre[$0]] - means[$0] } }
        let imbalance = pre.indices.map { k in treated[pre[k]] - (0..<n).reduce(0) { $0 + sc[$1] * donors[$1][pre[k]] } }
        // X̃₀(X̃₀ᵀX̃₀ + λI)⁻¹ d = (X̃₀X̃₀ᵀ + λI)⁻¹ X̃₀ d: an n × n system.
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in i..<n {
                var s = 0.0
                for k in pre.indices { s += centred[i][k] * centred[j][k] }
                a[i * n + j] = s
                a[j * n + i] = s
            }
            a[i * n + i] += lambda
        }
        let rhs = (0..<n).map { i in pre.indices.reduce(0) { $0 + centred[i][$1] * imbalance[$1] } }
        let correction = choleskySolve(a, rhs, size: n) ?? [Double](repeating: 0, count: n)
        return (sc, (0..<n).map { sc[$0] + correction[$0] })
    }

    /// λ by rolling origin over the last min(5, T₀/3) pre-periods: each is predicted from the periods
    /// before it; on a log grid from the largest eigenvalue bound down by 10⁸, the largest λ whose
    /// mean squared error is within one standard error of the smallest.
    public static func crossValidatedLambda(treated: [Double], donors: [[Double]], prePeriods t0: Int) -> Double {
        let n = donors.count
        let holdouts = Array(max(2, t0 - max(1, min(5, t0 / 3)))..<t0)
        var trace = 0.0
        for s in 0..<t0 {
            let m = (0..<n).reduce(0) { $0 + donors[$1][s] } / Double(n)
            for j in 0..<n { trace += (donors[j][s] - m) * (donors[j][s] - m) }
        }
        let top = max(trace, 1e-12)
        let grid = (0..<20).map { top * pow(10, -8 * Double($0) / 19) }
        var scores: [(lambda: Double, mse: Double, se: Double)] = []
        for lambda in grid {
            let errors = holdouts.map { s -> Double in
                let (_, aug) = weights(treated: treated, donors: donors, pre: Array(0..<s), lambda: lambda)
                let e = treated[s] - (0..<n).reduce(0) { $0 + aug[$1] * donors[$1][s] }
                return e * e
            }
            let mse = errors.reduce(0, +) / Double(errors.count)
            let sd = errors.count > 1 ? (errors.reduce(0) { $0 + ($1 - mse) * ($1 - mse) } / Double(errors.count - 1)).squareRoot() : 0
            scores.append((lambda, mse, sd / Double(errors.count).squareRoot()))
        }
        let best = scores.min { $0.mse < $1.mse }!
        return scores.filter { $0.mse <= best.mse + best.se }.map(\.lambda).max() ?? best.lambda
    }
}
