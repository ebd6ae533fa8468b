/// Synthetic-control donor weights: the exact solution of the quadratic program of Abadie, Diamond &
/// Hainmueller,
///
///     minimize (x₁ − X₀w)ᵀ V (x₁ − X₀w)   subject to   w ≥ 0,  Σw = 1,
///
/// by a primal active-set method (Nocedal & Wright, *Numerical Optimization*, §16.5): it starts at
/// the best single donor, moves within the face of the simplex spanned by the donors with positive
/// weight, drops a donor when its weight reaches 0 and adds the one whose multiplier is most
/// negative, and stops when the KKT conditions hold. The result is a vertex-sparse point that no
/// iterative solver's tolerance blurs (scipy's SLSQP, which pysyncon uses, stops at about 1e-6).
public enum SimplexWeights {
    public struct Solution: Sendable, Equatable {
        /// One weight per donor, ≥ 0, summing to 1.
        public let weights: [Double]
        /// (x₁ − X₀w)ᵀ V (x₁ − X₀w).
        public let loss: Double
        public let iterations: Int
    }

    public enum Failure: Error, Equatable {
        /// No donors, rows of different lengths, a V of the wrong size, or a non-finite value.
        case invalidInput(String)
    }

    /// - Parameters:
    ///   - treated: x₁, one value per predictor.
    ///   - donors: X₀ by donor: `donors[j]` holds donor j's value of every predictor.
    ///   - v: the diagonal of V (predictor weights, ≥ 0); nil is the identity.
    public static func solve(treated: [Double], donors: [[Double]], v: [Double]? = nil) throws(Failure) -> Solution {
        let n = donors.count, k = treated.count
        guard n >= 1 else { throw .invalidInput("no donors") }
        guard donors.allSatisfy({ $0.count == k }) else { throw .invalidInput("every donor needs one value per predictor") }
        let v = v ?? [Double](repeating: 1, count: k)
        guard v.count == k, v.allSatisfy({ $0.isFinite && $0 >= 0 }) else { throw .invalidInput("V needs one finite weight ≥ 0 per predictor") }
        guard treated.allSatisfy(\.isFinite), donors.allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
            throw .invalidInput("a predictor value is not finite")
        }
        // P = X₀ᵀVX₀ and q = X₀ᵀVx₁; the loss is wᵀPw − 2qᵀw + x₁ᵀVx₁.
        var p = [Double](repeating: 0, count: n * n)
        var q = [Double](repeating: 0, count: n)
        for i in 0..<n {
            for r in 0..<k { q[i] += donors[i][r] * v[r] * treated[r] }
            for j in i..<n {
                var s = 0.0
                for r in 0..<k { s += donors[i][r] * v[r] * donors[j][r] }
                p[i * n + j] = s
                p[j * n + i] = s
            }
        }
        let (w, iterations) = minimize(p: p, q: q, n: n)
        // The loss from the residuals, free of the cancellation in wᵀPw − 2qᵀw + x₁ᵀVx₁.
        var direct = 0.0
        for r in 0..<k {
            var fit = 0.0
            for i in 0..<n where w[i] != 0 { fit += donors[i][r] * w[i] }
            direct += v[r] * (treated[r] - fit) * (treated[r] - fit)
        }
        return Solution(weights: w, loss: direct, iterations: iterations)
    }

    /// The weights minimising ½wᵀPw − qᵀw on the simplex, for a precomputed P (n × n, row-major) and q:
    /// placebos share one Gram matrix of every unit and take its blocks.
    public static func minimize(p: [Double], q: [Double], n: Int) -> (weights: [Double], iterations: Int) {
        let scale = max((0..<n).map { p[$0 * n + $0] }.max() ?? 1, 1e-300)
        let tolerance = 1e-12 * scale
        let ridge = 1e-10 * scale

        // Start at the best single donor.
        var best = 0
        for j in 1..<max(n, 1) where p[j * n + j] - 2 * q[j] < p[best * n + best] - 2 * q[best] { best = j }
        var w = [Double](repeating: 0, count: n)
        w[best] = 1
        var free = [best]
        var inFree = [Bool](repeating: false, count: n)
        inFree[best] = true
        // L Lᵀ = P_FF + ridge·I, kept up to date as donors enter and leave (O(m²) each, not a new
        // O(m³) factorisation per step). A ridge of 1e-10 of the largest diagonal keeps the face's
        // system regular when donors coincide or outnumber the predictors.
        var factor = [[(p[best * n + best] + ridge).squareRoot()]]
        func solve(_ y: [Double]) -> [Double] {
            let m = y.count
            var z = y
            for r in 0..<m {
                var t = z[r]
                for c in 0..<r { t -= factor[r][c] * z[c] }
                z[r] = t / factor[r][r]
            }
            for r in stride(from: m - 1, through: 0, by: -1) {
                var t = z[r]
                for c in (r + 1)..<m { t -= factor[c][r] * z[c] }
                z[r] = t / factor[r][r]
            }
            return z
        }
        func enter(_ j: Int) {
            let m = free.count
            var l = [Double](repeating: 0, count: m)
            for r in 0..<m {
                var t = p[free[r] * n + j]
                for c in 0..<r { t -= factor[r][c] * l[c] }
                l[r] = t / factor[r][r]
            }
            let d2 = p[j * n + j] + ridge - l.reduce(0) { $0 + $1 * $1 }
            for r in 0..<m { factor[r].append(0) }
            factor.append(l + [max(d2, ridge * 1e-3).squareRoot()])
            free.append(j)
            inFree[j] = true
        }
        func leave(at r: Int) {
            inFree[free[r]] = false
            free.remove(at: r)
            factor.remove(at: r)
            let m = factor.count
            // Rows below r now reach one column past their diagonal: Givens rotations of column pairs
            // (k, k+1) return them to lower-triangular form, then the last column goes.
            for k in r..<m {
                let a = factor[k][k], b = factor[k][k + 1]
                let h = (a * a + b * b).squareRoot()
                guard h > 0 else { continue }
                let c = a / h, s = b / h
                for i in k..<m {
                    let x = factor[i][k], y = factor[i][k + 1]
                    factor[i][k] = c * x + s * y
                    factor[i][k + 1] = -s * x + c * y
                }
                factor[k][k + 1] = 0
            }
            for i in 0..<m { factor[i].removeLast() }
        }
        var iterations = 0
        while iterations < 50 * n + 100 {
            iterations += 1
            // The gradient of ½wᵀPw − qᵀw, summed row by row of the symmetric P (contiguous in memory).
            var g = q.map { -$0 }
            p.withUnsafeBufferPointer { pp in
                g.withUnsafeMutableBufferPointer { gg in
                    for j in free {
                        let wj = w[j], row = pp.baseAddress! + j * n
                        for i in 0..<n { gg[i] += row[i] * wj }
                    }
                }
            }
            // The step within the face: min ½dᵀPd + gᵀd with 1ᵀd = 0, so d = ν·P⁻¹1 − P⁻¹g, ν = 1ᵀP⁻¹g / 1ᵀP⁻¹1.
            let m = free.count
            let a = solve(free.map { g[$0] }), b = solve([Double](repeating: 1, count: m))
            let nu = a.reduce(0, +) / b.reduce(0, +)
            let step = (0..<m).map { nu * b[$0] - a[$0] }
            if !step.contains(where: { abs($0) > 1e-13 }) {
                // At the face's minimum: the multiplier of Σw = 1 is the mean gradient on the free
                // donors; a donor at 0 with a smaller gradient would lower the loss.
                let lambda = free.reduce(0) { $0 + g[$1] } / Double(m)
                var entering = -1
                var most = -tolerance
                for i in 0..<n where !inFree[i] {
                    let mu = g[i] - lambda
                    if mu < most { most = mu; entering = i }
                }
                guard entering >= 0 else { break }
                enter(entering)
                continue
            }
            // A descent direction: go as far as the first weight that reaches 0 (or the minimum).
            var alpha = 1.0
            var blocking = -1
            for (r, i) in free.enumerated() where step[r] < 0 {
                let limit = -w[i] / step[r]
                if limit < alpha { alpha = limit; blocking = r }
            }
            for (r, i) in free.enumerated() { w[i] = max(0, w[i] + alpha * step[r]) }
            if blocking >= 0 {
                w[free[blocking]] = 0
                leave(at: blocking)
            }
            // Keep Σw = 1 exactly against rounding.
            let total = free.reduce(0) { $0 + w[$1] }
            for i in free { w[i] /= total }
        }
        return (w, iterations)
    }
}
