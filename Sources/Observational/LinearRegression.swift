import Foundation
import Stats

/// Ordinary least squares with an intercept, fitted by Householder QR: coefficients, classical
/// and heteroskedasticity-consistent (HC0–HC3) standard errors, residual degrees of freedom.
public struct LinearRegression: Sendable {
    public enum Covariance: String, Sendable, CaseIterable {
        /// σ²(XᵀX)⁻¹ with σ² = RSS/(n − p).
        case classical
        /// White's sandwich with e².
        case hc0
        /// HC0 × n/(n − p).
        case hc1
        /// e²/(1 − h) (MacKinnon & White 1985): unbiased under homoskedasticity.
        case hc2
        /// e²/(1 − h)².
        case hc3
    }

    /// Names of the regressors, "(intercept)" first.
    public let names: [String]
    public let coefficients: [Double]
    public let residuals: [Double]
    public let leverages: [Double]
    public let degreesOfFreedom: Int
    public let residualSumOfSquares: Double
    private let inverseGram: [Double]
    private let design: ColumnMatrix

    /// Fits y on an intercept and the columns of `x`, named `names`. Throws `.collinear` naming
    /// the first regressor that is constant or a combination of the others.
    public init(y: [Double], x: ColumnMatrix, names: [String], leverages computeLeverages: Bool = true) throws(ObservationalError) {
        precondition(names.count == x.columns)
        guard y.count == x.rows else { throw ObservationalError(.invalidData, "the outcome has \(y.count) values for \(x.rows) rows") }
        let design = x.withIntercept()
        guard design.rows > design.columns else {
            throw ObservationalError(.invalidData, "\(design.rows) units cannot fit \(design.columns) coefficients")
        }
        let qr = HouseholderQR(design)
        if let k = qr.firstDependentColumn {
            let name = k == 0 ? "(intercept)" : names[k - 1]
            throw ObservationalError(.collinear, "covariate \(name) is constant or a linear combination of the others")
        }
        let beta = qr.solve(y)
        let fitted = design.times(beta)
        let e = zip(y, fitted).map { $0 - $1 }
        let ri = qr.rInverse()
        let p = design.columns, n = design.rows
        // h_i = ‖x_i R⁻¹‖²
        var h = [Double](repeating: 0, count: computeLeverages ? n : 0)
        var rowTimesRi = [Double](repeating: 0, count: p)
        if computeLeverages { design.values.withUnsafeBufferPointer { xv in
            for i in 0..<n {
                for j in 0..<p {
                    var s = 0.0
                    for k in 0...j { s += xv[k * n + i] * ri[j * p + k] }
                    rowTimesRi[j] = s
                }
                h[i] = rowTimesRi.reduce(0) { $0 + $1 * $1 }
            }
        } }
        self.names = ["(intercept)"] + names
        coefficients = beta
        residuals = e
        leverages = h
        degreesOfFreedom = n - p
        residualSumOfSquares = e.reduce(0) { $0 + $1 * $1 }
        inverseGram = qr.inverseGram()
        self.design = design
    }

    /// The covariance matrix of the coefficients (column-major p × p).
    public func covariance(_ kind: Covariance) -> [Double] {
        let p = design.columns, n = design.rows
        switch kind {
        case .classical:
            let sigma2 = residualSumOfSquares / Double(degreesOfFreedom)
            return inverseGram.map { $0 * sigma2 }
        case .hc0, .hc1, .hc2, .hc3:
            var omega = [Double](repeating: 0, count: n)
            for i in 0..<n {
                let e2 = residuals[i] * residuals[i]
                switch kind {
                case .hc2: omega[i] = e2 / (1 - leverages[i])
                case .hc3: omega[i] = e2 / ((1 - leverages[i]) * (1 - leverages[i]))
                default: omega[i] = e2
                }
            }
            let meat = weightedGram(design, omega)
            var v = sandwich(bread: inverseGram, meat: meat, size: p)
            if kind == .hc1 { v = v.map { $0 * Double(n) / Double(n - p) } }
            return v
        }
    }

    /// The standard error of coefficient `index` (0 is the intercept).
    public func standardError(_ index: Int, _ kind: Covariance = .classical) -> Double {
        let p = design.columns
        if kind == .classical {
            return (inverseGram[index * p + index] * residualSumOfSquares / Double(degreesOfFreedom)).squareRoot()
        }
        return covariance(kind)[index * p + index].squareRoot()
    }

    /// The index of the regressor called `name`.
    public func index(of name: String) -> Int? { names.firstIndex(of: name) }

    /// t = b/se for coefficient `index` (classical).
    public func tStatistic(_ index: Int) -> Double { coefficients[index] / standardError(index) }

    /// The partial R² of regressor `index` with the outcome given the others: t²/(t² + dof).
    public func partialR2(_ index: Int) -> Double {
        let t = tStatistic(index)
        return t * t / (t * t + Double(degreesOfFreedom))
    }
}

/// B M B for symmetric p × p matrices (column-major).
func sandwich(bread: [Double], meat: [Double], size p: Int) -> [Double] {
    multiply(multiply(bread, meat, size: p), bread, size: p)
}

/// A·B for p × p matrices (column-major).
func multiply(_ a: [Double], _ b: [Double], size p: Int) -> [Double] {
    var out = [Double](repeating: 0, count: p * p)
    for j in 0..<p {
        for k in 0..<p {
            let bkj = b[j * p + k]
            if bkj == 0 { continue }
            for i in 0..<p { out[j * p + i] += a[k * p + i] * bkj }
        }
    }
    return out
}
