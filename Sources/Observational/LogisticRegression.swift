import Foundation
import Stats

/// Logistic regression with an intercept by Newton–Raphson (iteratively reweighted least squares),
/// as R's `glm(family = binomial)`: same coefficients, same convergence rule (relative change of
/// the deviance below 1e-8). Refuses perfect separation instead of returning probabilities of
/// exactly 0 or 1.
public struct LogisticRegression: Sendable {
    /// "(intercept)" first.
    public let names: [String]
    public let coefficients: [Double]
    public let probabilities: [Double]
    public let iterations: Int
    public let deviance: Double
    /// Xᵀ W X at the estimate, W = p(1 − p) (column-major, intercept first): the Fisher information.
    public let information: [Double]

    public init(y: [Double], x: ColumnMatrix, names: [String], maxIterations: Int = 50) throws(ObservationalError) {
        let n = x.rows
        guard y.count == n else { throw ObservationalError(.invalidData, "the treatment has \(y.count) values for \(n) rows") }
        guard y.allSatisfy({ $0 == 0 || $0 == 1 }) else {
            throw ObservationalError(.invalidData, "a propensity model needs a treatment of 0 or 1")
        }
        let treated = y.reduce(0, +)
        guard treated > 0, treated < Double(n) else {
            throw ObservationalError(.noOverlap, "every unit is in one arm; a propensity model needs both")
        }
        // Standardise the covariates (the fit is invariant; the Gram matrix is far better conditioned).
        let p = x.columns + 1
        var means = [Double](repeating: 0, count: x.columns), scales = [Double](repeating: 1, count: x.columns)
        var z = [Double](repeating: 1, count: n * p)
        for j in 0..<x.columns {
            let column = x.column(j)
            let mean = column.reduce(0, +) / Double(n)
            let sd = (column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)).squareRoot()
            guard sd > 0 else { throw ObservationalError(.collinear, "covariate \(names[j]) is constant") }
            means[j] = mean
            scales[j] = sd
            let base = (j + 1) * n
            var i = 0
            for v in column { z[base + i] = (v - mean) / sd; i += 1 }
        }
        let design = ColumnMatrix(rows: n, columns: p, values: z)
        if let k = HouseholderQR(design).firstDependentColumn, k > 0 {
            throw ObservationalError(.collinear, "covariate \(names[k - 1]) is a linear combination of the others")
        }
        var beta = [Double](repeating: 0, count: p)
        let mean = treated / Double(n)
        beta[0] = log(mean / (1 - mean))
        var deviance = Double.infinity
        var converged = false
        var iterations = 0
        var mu = [Double](repeating: mean, count: n)
        var gram = [Double](repeating: 0, count: p * p)
        for iteration in 1...maxIterations {
            iterations = iteration
            let eta = design.times(beta)
            var w = [Double](repeating: 0, count: n), working = [Double](repeating: 0, count: n)
            for i in 0..<n {
                let m = 1 / (1 + exp(-eta[i]))
                mu[i] = m
                let v = max(m * (1 - m), 1e-300)
                w[i] = v
                working[i] = eta[i] + (y[i] - m) / v
            }
            gram = weightedGram(design, w)
            var rhs = [Double](repeating: 0, count: p)
            design.values.withUnsafeBufferPointer { zv in
                for j in 0..<p {
                    var s = 0.0
                    for i in 0..<n { s += zv[j * n + i] * w[i] * working[i] }
                    rhs[j] = s
                }
            }
            guard let next = choleskySolve(gram, rhs, size: p) else { break }
            beta = next
            let etaNext = design.times(beta)
            var dev = 0.0
            for i in 0..<n {
                let e = etaNext[i]
                // −2 log-likelihood, stable: log(1 + e^η) − yη
                let softplus = e > 0 ? e + log1p(exp(-e)) : log1p(exp(e))
                dev += 2 * (softplus - y[i] * e)
            }
            if abs(dev - deviance) / (abs(dev) + 0.1) < 1e-8 {
                deviance = dev
                converged = true
                break
            }
            deviance = dev
        }
        let eta = design.times(beta)
        // Complete or quasi-complete separation: the linear predictor orders the arms.
        var minTreated = Double.infinity, maxControl = -Double.infinity
        for i in 0..<n {
            if y[i] == 1 { minTreated = min(minTreated, eta[i]) } else { maxControl = max(maxControl, eta[i]) }
        }
        guard converged, minTreated < maxControl else {
            throw ObservationalError(.separation,
                "the propensity model separates treated from untreated units perfectly (no overlap); drop or coarsen the covariate that predicts treatment exactly")
        }
        var probabilities = [Double](repeating: 0, count: n)
        var w = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let m = 1 / (1 + exp(-eta[i]))
            probabilities[i] = m
            w[i] = m * (1 - m)
        }
        // Back to the original scale: β_j = γ_j/s_j, β_0 = γ_0 − Σ γ_j m_j/s_j.
        var original = [Double](repeating: 0, count: p)
        original[0] = beta[0]
        for j in 0..<x.columns {
            original[j + 1] = beta[j + 1] / scales[j]
            original[0] -= beta[j + 1] * means[j] / scales[j]
        }
        self.names = ["(intercept)"] + names
        coefficients = original
        self.probabilities = probabilities
        self.iterations = iterations
        self.deviance = deviance
        information = weightedGram(x.withIntercept(), w)
    }
}

/// Xᵀ diag(w) X, column-major.
func weightedGram(_ x: ColumnMatrix, _ w: [Double]) -> [Double] {
    let n = x.rows, p = x.columns
    var gram = [Double](repeating: 0, count: p * p)
    x.values.withUnsafeBufferPointer { xv in
        for a in 0..<p {
            for b in a..<p {
                var s = 0.0
                for i in 0..<n { s += xv[a * n + i] * xv[b * n + i] * w[i] }
                gram[b * p + a] = s
                gram[a * p + b] = s
            }
        }
    }
    return gram
}
