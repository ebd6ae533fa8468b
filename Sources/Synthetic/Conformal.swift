import Foundation

/// Conformal confidence intervals for each post-period effect of a synthetic control
/// (Chernozhukov, Wüthrich & Zhu 2021, "An Exact and Robust Conformal Inference Method for
/// Counterfactual and Synthetic Controls", JASA 116, §2–3): for period t and a hypothesised effect
/// θ, the treated outcome at t less θ joins the pre-periods, the synthetic control (simplex weights
/// on the raw outcomes) is fitted on all of them under that null, and the p-value is the share of
/// those T₀ + 1 residuals at least as large in absolute value as period t's — the moving-block
/// (cyclic) permutations of a single period. The interval is every θ with p > α; with fewer than
/// 1/α − 1 pre-periods no θ can be rejected and the interval is the whole line.
public enum ConformalIntervals {
    public struct Interval: Sendable, Equatable {
        /// The synthetic control's own gap at the period (θ with the largest p-value nearby).
        public let estimate: Double
        public let lower: Double
        public let upper: Double
    }

    /// `treated[s]`, `donors[j][s]` for every period s; the first `prePeriods` are before the start.
    public static func intervals(treated: [Double], donors: [[Double]], prePeriods t0: Int, alpha: Double = 0.05) -> [Interval] {
        let t = treated.count, n = donors.count
        precondition(t0 >= 1 && t > t0 && n >= 1 && donors.allSatisfy { $0.count == t })
        // The pre-period fit gives every period's point gap and the search's scale: once.
        let pre = SimplexWeights.minimize(p: gram(donors, Array(0..<t0)),
                                          q: (0..<n).map { i in (0..<t0).reduce(0) { $0 + donors[i][$1] * treated[$1] } }, n: n).weights
        var sse = 0.0
        for s in 0..<t0 { let fit = (0..<n).reduce(0) { $0 + pre[$1] * donors[$1][s] }; sse += (treated[s] - fit) * (treated[s] - fit) }
        let preRMSE = (sse / Double(t0)).squareRoot()
        return (t0..<t).map { period in
            let rows = Array(0..<t0) + [period]
            let x1 = rows.map { treated[$0] }
            // P = X₀ᵀX₀ over these periods; q(θ) = X₀ᵀx₁ − θ·X₀[·, period].
            let p = gram(donors, rows)
            let q0 = (0..<n).map { i in rows.reduce(0) { $0 + donors[i][$1] * treated[$1] } }
            let qt = (0..<n).map { donors[$0][period] }
            func pValue(_ theta: Double) -> Double {
                let q = (0..<n).map { q0[$0] - theta * qt[$0] }
                let w = SimplexWeights.minimize(p: p, q: q, n: n).weights
                var residuals = [Double](repeating: 0, count: rows.count)
                for (k, s) in rows.enumerated() {
                    var fit = 0.0
                    for j in 0..<n where w[j] != 0 { fit += w[j] * donors[j][s] }
                    residuals[k] = x1[k] - (s == period ? theta : 0) - fit
                }
                let observed = abs(residuals[rows.count - 1])
                // Ties count against rejection; a hair of slack absorbs rounding in equal residuals.
                let atLeast = residuals.filter { abs($0) >= observed * (1 - 1e-12) }.count
                return Double(atLeast) / Double(rows.count)
            }
            // The point gap from the pre-period fit alone.
            let estimate = treated[period] - (0..<n).reduce(0) { $0 + pre[$1] * donors[$1][period] }
            if Double(rows.count) * alpha < 1 { return Interval(estimate: estimate, lower: -.infinity, upper: .infinity) }
            // A scale for the search: the pre-period fit's RMSE, or the outcome's.
            let scale = max(preRMSE, 1e-8 * max(abs(treated[period]), 1))
            func bound(_ direction: Double) -> Double {
                var inside = estimate, step = scale
                var outside = estimate + direction * step
                var steps = 0
                while pValue(outside) > alpha {
                    inside = outside
                    step *= 1.5
                    outside += direction * step
                    steps += 1
                    if steps > 200 { return direction * .infinity }
                }
                for _ in 0..<50 {
                    let mid = (inside + outside) / 2
                    if pValue(mid) > alpha { inside = mid } else { outside = mid }
                }
                return inside
            }
            return Interval(estimate: estimate, lower: bound(-1), upper: bound(1))
        }
    }

    static func gram(_ donors: [[Double]], _ rows: [Int]) -> [Double] {
        let n = donors.count
        var p = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in i..<n {
                var sum = 0.0
                for s in rows { sum += donors[i][s] * donors[j][s] }
                p[i * n + j] = sum
                p[j * n + i] = sum
            }
        }
        return p
    }
}
