import Foundation
import Stats

/// CausalImpact (Brodersen, Gallusser, Koehler, Remy & Scott 2015): a Bayesian structural time
/// series fitted to the treated series before the start — a local level, an optional seasonal
/// component, and a static regression on control series with a spike-and-slab prior — and its
/// posterior predictive after the start as the counterfactual. Fitted by Gibbs sampling with the
/// priors CausalImpact hands to `bsts`, on data standardised by their pre-period mean and SD:
///
/// - level: μₜ₊₁ = μₜ + ηₜ, 1/σ²_μ ~ Γ(32/2, 32·0.01²/2) (sigma guess 0.01, sample size 32), σ_μ ≤ 1;
/// - season (S > 1): sₜ = −Σ sₜ₋ₖ + ωₜ, the same prior on σ_s;
/// - regression: each control in with prior probability min(1, 3/p) (expected model size 3), the
///   slab β_γ ~ N(0, σ²Ω_γ⁻¹) with Ω⁻¹ = (0.01/n)(½XᵀX + ½diag XᵀX), 1/σ² ~ Γ(50/2, 50·(1 − 0.8)/2)
///   (prior df 50, expected R² 0.8); no intercept (the level is one);
/// - states by the simulation smoother of Durbin & Koopman (2002); the inclusion indicators one at a
///   time from their marginal likelihood, then σ² and β.
///
/// Draws after a 10% burn-in make the posterior predictive: each draw runs its level (and season)
/// forward with their noise and adds the regression and observation noise.
public enum StructuralTimeSeries {
    public struct Options: Sendable {
        public var draws = 10_000
        public var burnIn = 0.1
        /// Seasons per cycle (1: none).
        public var season = 1
        public var seed: UInt64 = 1
        public var alpha = 0.05
        public init() {}
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case invalidInput(String)
        public var description: String { switch self { case .invalidInput(let text): text } }
    }

    /// An interval summary of posterior draws.
    public struct Summary: Sendable, Equatable {
        public let mean: Double
        public let sd: Double
        public let lower: Double
        public let upper: Double
    }

    public struct Result: Sendable {
        /// Posterior predictive of the treated series in every period (original scale).
        public let predicted: [Summary]
        /// Observed minus predicted, per period (post-periods are the effects).
        public let pointwise: [Summary]
        /// Cumulative effect over the post-periods, per post-period.
        public let cumulative: [Summary]
        /// Average over the post-periods: observed, predicted, absolute and relative effect.
        public let observedAverage: Double
        public let predictedAverage: Summary
        public let averageEffect: Summary
        public let relativeEffect: Summary
        public let observedSum: Double
        public let predictedSum: Summary
        public let cumulativeEffect: Summary
        /// CausalImpact's posterior tail-area probability p, and 1 − p, the probability of a causal effect.
        public let tailProbability: Double
        public var probabilityOfEffect: Double { 1 - tailProbability }
        /// Posterior inclusion probability of each control.
        public let inclusion: [Double]
        /// Posterior mean of each control's coefficient (original scale of y per unit of x).
        public let coefficients: [Double]
        public let draws: Int
    }

    /// `y`: the treated series, every period; `controls[j]`: control j, every period; the first
    /// `prePeriods` periods are before the start.
    public static func fit(y: [Double], controls: [[Double]], prePeriods t0: Int, options o: Options = .init()) throws(Failure) -> Result {
        let t = y.count, p = controls.count
        guard t0 >= 3 else { throw .invalidInput("the pre-period needs at least 3 periods") }
        guard t > t0 else { throw .invalidInput("there is no period after the start") }
        guard controls.allSatisfy({ $0.count == t }) else { throw .invalidInput("every control series needs a value in every period") }
        guard y.allSatisfy(\.isFinite), controls.allSatisfy({ $0.allSatisfy(\.isFinite) }) else { throw .invalidInput("a value is not a finite number") }
        guard o.draws >= 10, o.season >= 1, o.season < t0 else { throw .invalidInput("draws must be at least 10 and the season shorter than the pre-period") }
        // Standardise by the pre-period.
        func standardiser(_ series: [Double]) -> (mean: Double, sd: Double) {
            let pre = series.prefix(t0)
            let m = pre.reduce(0, +) / Double(t0)
            let sd = (pre.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(t0 - 1)).squareRoot()
            return (m, sd > 0 ? sd : 1)
        }
        let (ym, ys) = standardiser(y)
        guard Set(y.prefix(t0)).count > 1 else { throw .invalidInput("the treated series is constant before the start") }
        let z = y.map { ($0 - ym) / ys }
        var x: [[Double]] = []     // x[j][t], standardised; constant controls dropped (they carry nothing)
        var kept: [Int] = []
        var scales: [Double] = []
        for (j, c) in controls.enumerated() where Set(c.prefix(t0)).count > 1 {
            let (m, s) = standardiser(c)
            x.append(c.map { ($0 - m) / s })
            kept.append(j)
            scales.append(s)
        }
        let k = x.count
        // The regression's prior.
        var xtx = [Double](repeating: 0, count: k * k)
        for a in 0..<k { for b in 0..<k { var s = 0.0; for i in 0..<t0 { s += x[a][i] * x[b][i] }; xtx[a * k + b] = s } }
        var omegaInv = [Double](repeating: 0, count: k * k)
        for a in 0..<k { for b in 0..<k { omegaInv[a * k + b] = 0.01 / Double(t0) * (a == b ? xtx[a * k + b] : 0.5 * xtx[a * k + b]) } }
        let prior = min(1, 3 / Double(max(k, 1)))
        let df0 = 50.0, ss0 = 50.0 * (1 - 0.8) * 1.0
        let levelDf = 32.0, levelSs = 32.0 * 0.01 * 0.01
        var g = SplitMix64(seed: o.seed)

        // State: level, then S − 1 seasonal states.
        let d = 1 + (o.season > 1 ? o.season - 1 : 0)
        var sigma2 = 1.0 - 0.8, levelVar = 0.01 * 0.01, seasonVar = 0.01 * 0.01
        var gamma = [Bool](repeating: k <= 3, count: k)
        var beta = [Double](repeating: 0, count: k)
        let burn = Int(Double(o.draws) * o.burnIn)
        let keptDraws = o.draws - burn
        var predictions = [[Double]](repeating: [Double](repeating: 0, count: keptDraws), count: t)
        var inclusionCount = [Int](repeating: 0, count: k)
        var betaSum = [Double](repeating: 0, count: k)
        var states = [[Double]](repeating: [Double](repeating: 0, count: d), count: t0)

        for draw in 0..<o.draws {
            // 1. States given the regression and variances.
            let regression = (0..<t).map { i in (0..<k).reduce(0) { $0 + (gamma[$1] ? beta[$1] * x[$1][i] : 0) } }
            let target = (0..<t0).map { z[$0] - regression[$0] }
            states = simulationSmoother(target, dimension: d, season: o.season, h: sigma2, levelVar: levelVar, seasonVar: seasonVar,
                                        initial: target[0], rng: &g)
            // 2. The level's (and season's) variance.
            var ss = 0.0
            for i in 1..<t0 { let e = states[i][0] - states[i - 1][0]; ss += e * e }
            levelVar = truncatedInverseGamma(df: levelDf + Double(t0 - 1), ss: levelSs + ss, upper: 1, previous: levelVar, rng: &g)
            if d > 1 {
                var sss = 0.0
                for i in 1..<t0 {
                    let implied = -(0..<(d - 1)).reduce(0) { $0 + states[i - 1][1 + $1] }
                    let e = states[i][1] - implied
                    sss += e * e
                }
                seasonVar = truncatedInverseGamma(df: levelDf + Double(t0 - 1), ss: levelSs + sss, upper: 1, previous: seasonVar, rng: &g)
            }
            // 3. Regression: inclusion one at a time, then σ² and β.
            let r = (0..<t0).map { i in z[i] - states[i][0] - (d > 1 ? states[i][1] : 0) }
            var xtr = [Double](repeating: 0, count: k)
            for j in 0..<k { var s = 0.0; for i in 0..<t0 { s += x[j][i] * r[i] }; xtr[j] = s }
            let rtr = r.reduce(0) { $0 + $1 * $1 }
            if k > 0 {
                for j in Array(0..<k).shuffled(using: &g) {
                    var logOdds = [0.0, 0.0]
                    for value in [false, true] {
                        gamma[j] = value
                        logOdds[value ? 1 : 0] = logMarginal(gamma, xtx: xtx, omegaInv: omegaInv, xtr: xtr, rtr: rtr, n: t0, df0: df0, ss0: ss0, k: k)
                            + (value ? log(prior) : log1p(-prior))
                    }
                    let pIn = 1 / (1 + exp(logOdds[0] - logOdds[1]))
                    gamma[j] = prior >= 1 ? true : g.uniform() < pIn
                }
            }
            let posterior = regressionPosterior(gamma, xtx: xtx, omegaInv: omegaInv, xtr: xtr, rtr: rtr, n: t0, df0: df0, ss0: ss0, k: k)
            sigma2 = posterior.ssn / 2 / g.gamma(shape: posterior.dfn / 2)
            beta = [Double](repeating: 0, count: k)
            if !posterior.index.isEmpty {
                // β_γ ~ N(mean, σ²Λ⁻¹): mean + σU⁻¹z with Λ = UᵀU, z standard normal.
                let m = posterior.index.count
                let normals = (0..<m).map { _ in g.normal() }
                let dev = solveUpper(posterior.cholesky, normals, m)
                for (a, j) in posterior.index.enumerated() { beta[j] = posterior.mean[a] + sigma2.squareRoot() * dev[a] }
            }
            guard draw >= burn else { continue }
            let slot = draw - burn
            for j in 0..<k where gamma[j] { inclusionCount[j] += 1; betaSum[j] += beta[j] }
            // 4. The posterior predictive: fitted pre-periods, then the states run forward.
            let sd = sigma2.squareRoot()
            let newRegression = (0..<t).map { i in (0..<k).reduce(0) { $0 + (gamma[$1] ? beta[$1] * x[$1][i] : 0) } }
            for i in 0..<t0 {
                let mean = states[i][0] + (d > 1 ? states[i][1] : 0) + newRegression[i]
                predictions[i][slot] = (mean + sd * g.normal()) * ys + ym
            }
            var state = states[t0 - 1]
            for i in t0..<t {
                state = advance(state, season: o.season, levelSD: levelVar.squareRoot(), seasonSD: seasonVar.squareRoot(), rng: &g)
                let mean = state[0] + (d > 1 ? state[1] : 0) + newRegression[i]
                predictions[i][slot] = (mean + sd * g.normal()) * ys + ym
            }
        }

        func summary(_ values: [Double]) -> Summary {
            let sorted = values.sorted()
            let mean = values.reduce(0, +) / Double(values.count)
            let sd = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(values.count - 1, 1))).squareRoot()
            return Summary(mean: mean, sd: sd, lower: quantile(sorted, o.alpha / 2), upper: quantile(sorted, 1 - o.alpha / 2))
        }
        let predicted = predictions.map(summary)
        let pointwise = (0..<t).map { i in summary(predictions[i].map { y[i] - $0 }) }
        var running = [Double](repeating: 0, count: keptDraws)
        var cumulative: [Summary] = []
        for i in t0..<t {
            for s in 0..<keptDraws { running[s] += y[i] - predictions[i][s] }
            cumulative.append(summary(running))
        }
        let post = Double(t - t0)
        let observedSum = y[t0...].reduce(0, +)
        let predictedSums = (0..<keptDraws).map { s in (t0..<t).reduce(0) { $0 + predictions[$1][s] } }
        let relative = predictedSums.map { (observedSum - $0) / $0 }
        let above = predictedSums.filter { $0 >= observedSum }.count + 1, below = predictedSums.filter { $0 <= observedSum }.count + 1
        let tail = Double(min(above, below)) / Double(keptDraws + 1)
        var inclusion = [Double](repeating: 0, count: p), coefficients = [Double](repeating: 0, count: p)
        for (a, j) in kept.enumerated() {
            inclusion[j] = Double(inclusionCount[a]) / Double(keptDraws)
            coefficients[j] = betaSum[a] / Double(keptDraws) * ys / scales[a]
        }
        return Result(predicted: predicted, pointwise: pointwise, cumulative: cumulative,
                      observedAverage: observedSum / post, predictedAverage: summary(predictedSums.map { $0 / post }),
                      averageEffect: summary(predictedSums.map { (observedSum - $0) / post }), relativeEffect: summary(relative),
                      observedSum: observedSum, predictedSum: summary(predictedSums), cumulativeEffect: summary(predictedSums.map { observedSum - $0 }),
                      tailProbability: tail, inclusion: inclusion, coefficients: coefficients, draws: keptDraws)
    }

    /// R's quantile type 7 on sorted values.
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let h = Double(sorted.count - 1) * q
        let lo = Int(h.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
        return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
    }

    static func truncatedInverseGamma(df: Double, ss: Double, upper: Double, previous: Double, rng: inout SplitMix64) -> Double {
        for _ in 0..<100 {
            let v = ss / 2 / rng.gamma(shape: df / 2)
            if v <= upper * upper { return v }
        }
        return previous
    }

    /// One step of the state equation with its noise.
    static func advance(_ state: [Double], season: Int, levelSD: Double, seasonSD: Double, rng: inout SplitMix64) -> [Double] {
        var next = state
        next[0] = state[0] + levelSD * rng.normal()
        if state.count > 1 {
            next[1] = -state[1...].reduce(0, +) + seasonSD * rng.normal()
            for i in stride(from: state.count - 1, to: 1, by: -1) { next[i] = state[i - 1] }
        }
        return next
    }

    /// Durbin & Koopman (2002)'s simulation smoother for y = Zα + ε, α' = Tα + Rη: a draw from the
    /// states given the data. Z = (1, 1, 0, …); T: the level carries over, the season sums to zero.
    static func simulationSmoother(_ y: [Double], dimension d: Int, season: Int, h: Double, levelVar: Double, seasonVar: Double,
                                   initial: Double, rng: inout SplitMix64) -> [[Double]] {
        let n = y.count
        let p1 = [Double](repeating: 1, count: d) // prior variance 1 (the standardised series' SD) on every state
        var a1 = [Double](repeating: 0, count: d)
        a1[0] = initial
        // An unconditional draw α⁺, y⁺ (with the prior mean), then smooth y − y⁺ with a zero prior mean.
        var plus = [[Double]](repeating: [Double](repeating: 0, count: d), count: n)
        var yPlus = [Double](repeating: 0, count: n)
        var state = (0..<d).map { a1[$0] + p1[$0].squareRoot() * rng.normal() }
        for i in 0..<n {
            plus[i] = state
            yPlus[i] = state[0] + (d > 1 ? state[1] : 0) + h.squareRoot() * rng.normal()
            state = advance(state, season: season, levelSD: levelVar.squareRoot(), seasonSD: seasonVar.squareRoot(), rng: &rng)
        }
        let smoothed = smoothedStates(zip(y, yPlus).map { $0 - $1 }, dimension: d, h: h, levelVar: levelVar, seasonVar: seasonVar, p1: p1)
        return (0..<n).map { i in (0..<d).map { plus[i][$0] + smoothed[i][$0] } }
    }

    /// E[α | y] with a zero prior mean: the Kalman filter, then the backward recursion for r and the
    /// forward pass α̂ₜ₊₁ = Tα̂ₜ + RQRᵀrₜ (Durbin & Koopman 2012, §4.6).
    static func smoothedStates(_ y: [Double], dimension d: Int, h: Double, levelVar: Double, seasonVar: Double, p1: [Double]) -> [[Double]] {
        let n = y.count
        func transition(_ v: [Double]) -> [Double] {
            var out = v
            if d > 1 {
                out[1] = -v[1...].reduce(0, +)
                for i in stride(from: d - 1, to: 1, by: -1) { out[i] = v[i - 1] }
            }
            return out
        }
        // T·P·Tᵀ for a d × d P (row-major).
        func propagate(_ p: [Double]) -> [Double] {
            var tp = [Double](repeating: 0, count: d * d)
            for j in 0..<d { let col = transition((0..<d).map { p[$0 * d + j] }); for i in 0..<d { tp[i * d + j] = col[i] } }
            var out = [Double](repeating: 0, count: d * d)
            for i in 0..<d { let row = transition((0..<d).map { tp[i * d + $0] }); for j in 0..<d { out[i * d + j] = row[j] } }
            return out
        }
        var a = [Double](repeating: 0, count: d)
        var p = [Double](repeating: 0, count: d * d)
        for i in 0..<d { p[i * d + i] = p1[i] }
        var vs = [Double](repeating: 0, count: n), fs = [Double](repeating: 0, count: n)
        var ks = [[Double]](repeating: [], count: n)
        var ps = [[Double]](repeating: [], count: n), as_ = [[Double]](repeating: [], count: n)
        for t in 0..<n {
            as_[t] = a
            ps[t] = p
            // Z = (1, 1, 0, …): Za and PZᵀ.
            let za = a[0] + (d > 1 ? a[1] : 0)
            let pz = (0..<d).map { p[$0 * d] + (d > 1 ? p[$0 * d + 1] : 0) }
            let f = pz[0] + (d > 1 ? pz[1] : 0) + h
            let v = y[t] - za
            vs[t] = v
            fs[t] = f
            // K = T P Zᵀ / F
            let k = transition(pz).map { $0 / f }
            ks[t] = k
            // a' = T a + K v ; P' = T P Tᵀ − K F Kᵀ + RQRᵀ
            a = transition(a)
            for i in 0..<d { a[i] += k[i] * v }
            var next = propagate(p)
            for i in 0..<d { for j in 0..<d { next[i * d + j] -= k[i] * f * k[j] } }
            next[0] += levelVar
            if d > 1 { next[d + 1] += seasonVar }
            p = next
        }
        // Backward: r_{t−1} = Zᵀ v/F + Lᵀ r, L = T − K Z.
        var r = [Double](repeating: 0, count: d)
        var rs = [[Double]](repeating: [Double](repeating: 0, count: d), count: n + 1) // rs[t] = r_{t-1} in 1-based terms
        for t in stride(from: n - 1, through: 0, by: -1) {
            // Lᵀ r = Tᵀ r − Zᵀ (Kᵀ r)
            let kr = (0..<d).reduce(0) { $0 + ks[t][$1] * r[$1] }
            var tr = [Double](repeating: 0, count: d)
            // Tᵀ r: the transpose of the transition.
            tr[0] = r[0]
            if d > 1 {
                for i in 1..<d { tr[i] = -r[1] + (i + 1 < d ? r[i + 1] : 0) }
            }
            var next = tr
            let zv = vs[t] / fs[t] - kr
            next[0] += zv
            if d > 1 { next[1] += zv }
            r = next
            rs[t] = r
        }
        // α̂₁ = a₁ + P₁ r₀; α̂ₜ₊₁ = T α̂ₜ + RQRᵀ rₜ.
        var out = [[Double]](repeating: [Double](repeating: 0, count: d), count: n)
        var alpha = (0..<d).map { i in as_[0][i] + (0..<d).reduce(0) { $0 + ps[0][i * d + $1] * rs[0][$1] } }
        out[0] = alpha
        for t in 1..<max(n, 1) {
            alpha = transition(alpha)
            alpha[0] += levelVar * rs[t][0]
            if d > 1 { alpha[1] += seasonVar * rs[t][1] }
            out[t] = alpha
        }
        return out
    }

    /// log p(r | γ) up to a constant: ½log|Ω⁻¹_γ| − ½log|Λ| − (df_n/2) log SS_n.
    static func logMarginal(_ gamma: [Bool], xtx: [Double], omegaInv: [Double], xtr: [Double], rtr: Double, n: Int, df0: Double, ss0: Double, k: Int) -> Double {
        let post = regressionPosterior(gamma, xtx: xtx, omegaInv: omegaInv, xtr: xtr, rtr: rtr, n: n, df0: df0, ss0: ss0, k: k)
        return 0.5 * post.logDetPrior - 0.5 * post.logDetPosterior - post.dfn / 2 * log(post.ssn)
    }

    struct RegressionPosterior {
        let index: [Int]
        let mean: [Double]
        /// The upper Cholesky factor U of Λ = UᵀU (row-major m × m).
        let cholesky: [Double]
        let ssn: Double
        let dfn: Double
        let logDetPrior: Double
        let logDetPosterior: Double
    }

    static func regressionPosterior(_ gamma: [Bool], xtx: [Double], omegaInv: [Double], xtr: [Double], rtr: Double, n: Int,
                                    df0: Double, ss0: Double, k: Int) -> RegressionPosterior {
        let index = (0..<k).filter { gamma[$0] }
        let m = index.count
        guard m > 0 else {
            return RegressionPosterior(index: [], mean: [], cholesky: [], ssn: ss0 + rtr, dfn: df0 + Double(n), logDetPrior: 0, logDetPosterior: 0)
        }
        var lambda = [Double](repeating: 0, count: m * m), prior = [Double](repeating: 0, count: m * m)
        for (a, i) in index.enumerated() {
            for (b, j) in index.enumerated() {
                prior[a * m + b] = omegaInv[i * k + j]
                lambda[a * m + b] = xtx[i * k + j] + omegaInv[i * k + j]
            }
        }
        let u = upperCholesky(lambda, size: m, floor: 1e-12)!, u0 = upperCholesky(prior, size: m, floor: 1e-12)!
        let rhs = index.map { xtr[$0] }
        // mean = Λ⁻¹ Xᵀr: Uᵀ w = rhs, U mean = w.
        let w = solveLowerFromUpper(u, rhs, m)
        let mean = solveUpper(u, w, m)
        let fit = w.reduce(0) { $0 + $1 * $1 } // meanᵀ Λ mean = ‖w‖²
        let logDet = { (f: [Double]) in 2 * (0..<m).reduce(0) { $0 + log(max(f[$1 * m + $1], 1e-300)) } }
        return RegressionPosterior(index: index, mean: mean, cholesky: u, ssn: max(ss0 + rtr - fit, 1e-12), dfn: df0 + Double(n),
                                   logDetPrior: logDet(u0), logDetPosterior: logDet(u))
    }


    /// Solves Uᵀ w = b.
    static func solveLowerFromUpper(_ u: [Double], _ b: [Double], _ m: Int) -> [Double] {
        var w = b
        for i in 0..<m {
            var s = w[i]
            for k in 0..<i { s -= u[k * m + i] * w[k] }
            w[i] = s / u[i * m + i]
        }
        return w
    }

    /// Solves U x = b.
    static func solveUpper(_ u: [Double], _ b: [Double], _ m: Int) -> [Double] {
        var x = b
        for i in stride(from: m - 1, through: 0, by: -1) {
            var s = x[i]
            for k in (i + 1)..<max(i + 1, m) { s -= u[i * m + k] * x[k] }
            x[i] = s / u[i * m + i]
        }
        return x
    }
}
