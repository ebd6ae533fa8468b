import Foundation
import Stats

/// Synthetic difference-in-differences (Arkhangelsky, Athey, Hirshberg, Imbens & Wager 2021,
/// Algorithm 1), exactly as the authors' R package `synthdid` computes it: unit weights ω and time
/// weights λ from Frank–Wolfe with exact line search on the collapsed panel (controls, and the
/// treated units' mean; pre-periods, and the post-periods' mean), each with an intercept, a ridge
/// penalty ζ_ω = (N₁T₁)^¼·σ̂ for ω and 10⁻⁶σ̂ for λ (σ̂ the standard deviation of the controls'
/// first differences before the start), a first round of 100 iterations, weights at most a quarter
/// of the largest set to zero, and a second round from there; then the weighted double difference.
/// The same machinery gives synthdid's synthetic control (no intercept, λ = 0, ζ = 10⁻⁶σ̂) and
/// difference-in-differences (uniform weights).
public enum SyntheticDiD {
    public enum Estimator: String, Sendable, CaseIterable {
        case sdid, sc, did
    }

    public struct Estimate: Sendable {
        public let estimator: Estimator
        /// The average effect on the treated over the post-periods.
        public let tau: Double
        /// One weight per control unit (sums to 1).
        public let omega: [Double]
        /// One weight per pre-period (sums to 1; zeros for sc).
        public let lambda: [Double]
        public let noiseLevel: Double
        /// τ̂_t per post-period: the treated mean minus the ω-weighted controls, less the λ-weighted
        /// pre-period gap (synthdid's effect curve); their mean is `tau`.
        public let curve: [Double]
        /// The ω-weighted gap (treated mean − controls) in every period, pre and post.
        public let gaps: [Double]
    }

    /// `y[i][t]`: the first `controls` rows are control units, the rest treated; the first
    /// `prePeriods` columns are before the start.
    public static func estimate(_ y: [[Double]], controls n0: Int, prePeriods t0: Int, estimator: Estimator = .sdid) -> Estimate {
        let n = y.count, t = y[0].count
        precondition(n > n0 && n0 >= 1 && t > t0 && t0 >= 2, "synthdid needs controls, treated units, and at least two pre-periods")
        let n1 = n - n0, t1 = t - t0
        // σ̂: the standard deviation of every control's first differences before the start.
        var diffs: [Double] = []
        for i in 0..<n0 { for s in 1..<t0 { diffs.append(y[i][s] - y[i][s - 1]) } }
        let mean = diffs.reduce(0, +) / Double(diffs.count)
        let noise = diffs.count > 1 ? (diffs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(diffs.count - 1)).squareRoot() : 0
        let minDecrease = 1e-5 * noise
        // The collapsed panel: (n0 + 1) × (t0 + 1).
        var collapsed = [[Double]](repeating: [Double](repeating: 0, count: t0 + 1), count: n0 + 1)
        for i in 0..<n0 {
            for s in 0..<t0 { collapsed[i][s] = y[i][s] }
            collapsed[i][t0] = y[i][t0...].reduce(0, +) / Double(t1)
        }
        for s in 0..<t0 { collapsed[n0][s] = (n0..<n).reduce(0) { $0 + y[$1][s] } / Double(n1) }
        collapsed[n0][t0] = (n0..<n).reduce(0) { acc, i in acc + y[i][t0...].reduce(0, +) } / Double(n1 * t1)

        var omega = [Double](repeating: 1 / Double(n0), count: n0)
        var lambda = [Double](repeating: 1 / Double(t0), count: t0)
        // Time weights: rows are the controls, columns the pre-periods and their post mean.
        let timeProblem = Array(collapsed[0..<n0])
        // Unit weights: rows are the pre-periods, columns the controls and the treated mean.
        let unitProblem = (0..<t0).map { s in (0...n0).map { collapsed[$0][s] } }
        switch estimator {
        case .sdid:
            lambda = twoRounds(timeProblem, zeta: 1e-6 * noise, intercept: true, minDecrease: minDecrease)
            omega = twoRounds(unitProblem, zeta: pow(Double(n1 * t1), 0.25) * noise, intercept: true, minDecrease: minDecrease)
        case .sc:
            lambda = [Double](repeating: 0, count: t0)
            omega = twoRounds(unitProblem, zeta: 1e-6 * noise, intercept: false, minDecrease: minDecrease)
        case .did:
            break
        }
        // The ω-weighted gap per period, then the λ-weighted double difference.
        let gaps = (0..<t).map { s in (n0..<n).reduce(0) { $0 + y[$1][s] } / Double(n1) - (0..<n0).reduce(0) { $0 + omega[$1] * y[$1][s] } }
        let preGap = (0..<t0).reduce(0) { $0 + lambda[$1] * gaps[$1] }
        let curve = (t0..<t).map { gaps[$0] - preGap }
        return Estimate(estimator: estimator, tau: curve.reduce(0, +) / Double(t1), omega: omega, lambda: lambda,
                        noiseLevel: noise, curve: curve, gaps: gaps)
    }

    /// synthdid's `sc.weight.fw` twice: 100 iterations from uniform weights, then from the first
    /// round's weights with those at most a quarter of the largest set to zero, up to 10,000.
    static func twoRounds(_ y: [[Double]], zeta: Double, intercept: Bool, minDecrease: Double) -> [Double] {
        let first = frankWolfe(y, zeta: zeta, intercept: intercept, start: nil, minDecrease: minDecrease, maxIterations: 100)
        let largest = first.max() ?? 0
        var sparse = first.map { $0 <= largest / 4 ? 0 : $0 }
        let total = sparse.reduce(0, +)
        sparse = sparse.map { $0 / total }
        return frankWolfe(y, zeta: zeta, intercept: intercept, start: sparse, minDecrease: minDecrease, maxIterations: 10_000)
    }

    /// Minimises ζ²‖x‖² + ‖A x − b‖²/rows over the simplex, A the first columns of `y` and b its
    /// last (each column centred first with an intercept), by Frank–Wolfe with exact line search;
    /// stops when an iteration lowers the objective by no more than `minDecrease`².
    static func frankWolfe(_ y: [[Double]], zeta: Double, intercept: Bool, start: [Double]?, minDecrease: Double, maxIterations: Int) -> [Double] {
        let rows = y.count, k = y[0].count - 1
        var columns = (0...k).map { j in y.map { $0[j] } }
        if intercept {
            for j in 0...k {
                let m = columns[j].reduce(0, +) / Double(rows)
                columns[j] = columns[j].map { $0 - m }
            }
        }
        let a = Array(columns[0..<k]), b = columns[k]
        let eta = Double(rows) * zeta * zeta
        var x = start ?? [Double](repeating: 1 / Double(k), count: k)
        var values: [Double] = []
        var ax = [Double](repeating: 0, count: rows)
        func multiply() { for r in 0..<rows { var s = 0.0; for j in 0..<k where x[j] != 0 { s += a[j][r] * x[j] }; ax[r] = s } }
        while values.count < maxIterations && (values.count < 2 || values[values.count - 2] - values[values.count - 1] > minDecrease * minDecrease) {
            multiply()
            // Half the gradient: Aᵀ(Ax − b) + ηx.
            var half = [Double](repeating: 0, count: k)
            for j in 0..<k {
                var s = 0.0
                for r in 0..<rows { s += (ax[r] - b[r]) * a[j][r] }
                half[j] = s + eta * x[j]
            }
            var i = 0
            for j in 1..<k where half[j] < half[i] { i = j }
            var dx = x.map { -$0 }
            dx[i] = 1 - x[i]
            if !dx.allSatisfy({ $0 == 0 }) {
                var errNorm = 0.0
                for r in 0..<rows { let d = a[i][r] - ax[r]; errNorm += d * d }
                let dxNorm = dx.reduce(0) { $0 + $1 * $1 }
                let step = -zip(half, dx).reduce(0) { $0 + $1.0 * $1.1 } / (errNorm + eta * dxNorm)
                let constrained = min(1, max(0, step))
                for j in 0..<k { x[j] += constrained * dx[j] }
            }
            multiply()
            var loss = 0.0
            for r in 0..<rows { let e = ax[r] - b[r]; loss += e * e }
            values.append(zeta * zeta * x.reduce(0) { $0 + $1 * $1 } + loss / Double(rows))
        }
        return x
    }

    /// synthdid's placebo standard error: `replications` times, `treated` controls drawn at random
    /// play the treated units among the controls alone; the SE is √((r − 1)/r)·sd of their estimates.
    public static func placeboStandardError(_ y: [[Double]], controls n0: Int, prePeriods t0: Int, estimator: Estimator,
                                            replications: Int = 200, seed: UInt64 = 1) -> Double? {
        let n1 = y.count - n0
        guard n0 > n1 else { return nil }
        var g = SplitMix64(seed: seed)
        var estimates: [Double] = []
        for _ in 0..<replications {
            var order = Array(0..<n0)
            for i in stride(from: n0 - 1, to: 0, by: -1) { order.swapAt(i, Int(g.next() % UInt64(i + 1))) }
            let rows = order.map { y[$0] }
            estimates.append(estimate(rows, controls: n0 - n1, prePeriods: t0, estimator: estimator).tau)
        }
        let r = Double(estimates.count)
        let m = estimates.reduce(0, +) / r
        let sd = (estimates.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (r - 1)).squareRoot()
        return ((r - 1) / r).squareRoot() * sd
    }
}
