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
        var iterations = 0
        while iterations < 50 * n + 100 {
            iterations += 1
            // The gradient of ½wᵀPw − qᵀw.
            var g = [Double](repeating: 0, count: n)
            for i in 0..<n {
                var s = -q[i]
                for j in free { s += p[i * n + j] * w[j] }
                g[i] = s
            }
            // The step within the face: [P_FF 1; 1ᵀ 0][d; ν] = [−g_F; 0].
            let m = free.count
            var a = [Double](repeating: 0, count: (m + 1) * (m + 1))
            var b = [Double](repeating: 0, count: m + 1)
            for (r, i) in free.enumerated() {
                // A ridge of 1e-10 of the largest diagonal keeps the face's system regular when donors
                // coincide or outnumber the predictors; it moves the weights by about as much.
                for (c, j) in free.enumerated() { a[r * (m + 1) + c] = p[i * n + j] + (i == j ? ridge : 0) }
                a[r * (m + 1) + m] = 1
                a[m * (m + 1) + r] = 1
                b[r] = -g[i]
            }
            let solved = solveLinear(a, b, size: m + 1)
            let d = solved.map { Array($0.prefix(m)) }
            let moves = d.map { step in step.contains { abs($0) > 1e-13 } } ?? false
            if !moves {
                // At the face's minimum (or a degenerate face): the multiplier of Σw = 1 is the mean
                // gradient on the free donors; a donor at 0 with a smaller gradient would lower the loss.
                let lambda = free.reduce(0) { $0 + g[$1] } / Double(m)
                var entering = -1
                var most = -tolerance
                for i in 0..<n where !free.contains(i) {
                    let mu = g[i] - lambda
                    if mu < most { most = mu; entering = i }
                }
                guard entering >= 0 else { break }
                free.append(entering)
                continue
            }
            // d is a descent direction: go as far as the first weight that reaches 0 (or the minimum).
            let step = d!
            var alpha = 1.0
            var blocking = -1
            for (r, i) in free.enumerated() where step[r] < 0 {
                let limit = -w[i] / step[r]
                if limit < alpha { alpha = limit; blocking = r }
            }
            for (r, i) in free.enumerated() { w[i] = max(0, w[i] + alpha * step[r]) }
            if blocking >= 0 {
                w[free[blocking]] = 0
                free.remove(at: blocking)
            }
            // Keep Σw = 1 exactly against rounding.
            let total = free.reduce(0) { $0 + w[$1] }
            for i in free { w[i] /= total }
        }
        return (w, iterations)
    }

    /// Gaussian elimination with partial pivoting; nil when the system is singular (a face whose
    /// donors are affinely dependent: the caller then treats the step as zero).
    static func solveLinear(_ matrix: [Double], _ rhs: [Double], size m: Int) -> [Double]? {
        var a = matrix, b = rhs
        var magnitude = 0.0
        for x in a { magnitude = max(magnitude, abs(x)) }
        for col in 0..<m {
            var pivot = col
            for r in col..<m where abs(a[r * m + col]) > abs(a[pivot * m + col]) { pivot = r }
            guard abs(a[pivot * m + col]) > 1e-14 * max(magnitude, 1e-300) else { return nil }
            if pivot != col {
                for c in 0..<m { a.swapAt(col * m + c, pivot * m + c) }
                b.swapAt(col, pivot)
            }
            for r in (col + 1)..<m {
                let f = a[r * m + col] / a[col * m + col]
                guard f != 0 else { continue }
                for c in col..<m { a[r * m + c] -= f * a[col * m + c] }
                b[r] -= f * b[col]
            }
        }
        var x = [Double](repeating: 0, count: m)
        for r in stride(from: m - 1, through: 0, by: -1) {
            var s = b[r]
            for c in (r + 1)..<m { s -= a[r * m + c] * x[c] }
            x[r] = s / a[r * m + r]
        }
        return x
    }
}
