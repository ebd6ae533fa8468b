import Stats
import Foundation

/// Ridge-penalised linear regression (squared error) or logistic regression (log loss, fitted by
/// iteratively reweighted least squares), on standardised features with an unpenalised intercept.
public struct LinearLearner: Learner {
    public let objective: Objective
    public let ridge: Double
    private var means: [Double] = []
    private var scales: [Double] = []
    /// Intercept first, then one coefficient per standardised feature.
    public private(set) var coefficients: [Double] = []

    public init(objective: Objective, ridge: Double = 1e-3) {
        self.objective = objective
        self.ridge = ridge
    }

    public init(objective: Objective, ridge: Double, serialized bytes: [UInt8]) throws(UpliftError) {
        self.objective = objective
        self.ridge = ridge
        guard bytes.count % 8 == 0, bytes.count >= 8 else { throw UpliftError("a linear model's bytes are malformed") }
        let doubles = stride(from: 0, to: bytes.count, by: 8).map { i in
            Double(bitPattern: (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[i + $1]) << (8 * UInt64($1)) })
        }
        let p = Int(doubles[0])
        guard p >= 0, doubles.count == 1 + 3 * p + 1 else { throw UpliftError("a linear model's bytes are malformed") }
        means = Array(doubles[1...p].prefix(p))
        scales = Array(doubles[(1 + p)...].prefix(p))
        coefficients = Array(doubles[(1 + 2 * p)...])
    }

    public mutating func fit(_ x: FeatureMatrix, labels: [Float], weights: [Float]?) throws(UpliftError) {
        let n = x.rows, p = x.columns
        guard n == labels.count, weights.map({ $0.count == n }) ?? true else { throw UpliftError("features, labels and weights differ in length") }
        guard n > 0 else { throw UpliftError("no rows to fit") }
        let w = weights.map { $0.map(Double.init) } ?? Array(repeating: 1, count: n)
        let total = w.reduce(0, +)
        means = (0..<p).map { c in (0..<n).reduce(0) { $0 + w[$1] * Double(x[$1, c]) } / total }
        scales = (0..<p).map { c in
            let v = (0..<n).reduce(0) { $0 + w[$1] * pow(Double(x[$1, c]) - means[c], 2) } / total
            return v > 0 ? v.squareRoot() : 1
        }
        var z = [Double](repeating: 0, count: n * (p + 1)) // design with intercept column
        for r in 0..<n {
            z[r * (p + 1)] = 1
            for c in 0..<p { z[r * (p + 1) + 1 + c] = (Double(x[r, c]) - means[c]) / scales[c] }
        }
        let y = labels.map(Double.init)
        var beta = [Double](repeating: 0, count: p + 1)
        switch objective {
        case .squaredError:
            beta = try Self.weightedRidge(z, y, w, rows: n, columns: p + 1, ridge: ridge * total)
        case .binaryLogistic:
            let mean = zip(y, w).reduce(0) { $0 + $1.0 * $1.1 } / total
            beta[0] = log(max(mean, 1e-6) / max(1 - mean, 1e-6))
            for _ in 0..<50 {
                var working = [Double](repeating: 0, count: n), weight = [Double](repeating: 0, count: n)
                for r in 0..<n {
                    var eta = 0.0
                    for c in 0...p { eta += z[r * (p + 1) + c] * beta[c] }
                    let mu = 1 / (1 + exp(-eta))
                    let v = max(mu * (1 - mu), 1e-10)
                    weight[r] = w[r] * v
                    working[r] = eta + (y[r] - mu) / v
                }
                let next = try Self.weightedRidge(z, working, weight, rows: n, columns: p + 1, ridge: ridge * total)
                let change = zip(next, beta).reduce(0) { max($0, abs($1.0 - $1.1)) }
                beta = next
                if change < 1e-8 { break }
            }
        }
        coefficients = beta
    }

    /// Solves (ZᵀWZ + λ·I₋₀) β = ZᵀWy by Cholesky, the intercept unpenalised.
    static func weightedRidge(_ z: [Double], _ y: [Double], _ w: [Double], rows n: Int, columns k: Int, ridge: Double) throws(UpliftError) -> [Double] {
        var a = [Double](repeating: 0, count: k * k), b = [Double](repeating: 0, count: k)
        for r in 0..<n {
            let base = r * k
            let wr = w[r]
            guard wr != 0 else { continue }
            for i in 0..<k {
                let zi = z[base + i] * wr
                b[i] += zi * y[r]
                for j in 0...i { a[i * k + j] += zi * z[base + j] }
            }
        }
        for i in 0..<k { for j in 0..<i { a[j * k + i] = a[i * k + j] } }
        for i in 1..<max(k, 1) { a[i * k + i] += max(ridge, 1e-9) }
        // Cholesky: a = L Lᵀ.
        var l = [Double](repeating: 0, count: k * k)
        for i in 0..<k {
            for j in 0...i {
                var s = a[i * k + j]
                for m in 0..<j { s -= l[i * k + m] * l[j * k + m] }
                if i == j {
                    guard s > 0 else { throw UpliftError("the linear system is singular (a constant or duplicated feature?)") }
                    l[i * k + i] = s.squareRoot()
                } else {
                    l[i * k + j] = s / l[j * k + j]
                }
            }
        }
        var v = [Double](repeating: 0, count: k)
        for i in 0..<k { var s = b[i]; for m in 0..<i { s -= l[i * k + m] * v[m] }; v[i] = s / l[i * k + i] }
        var beta = [Double](repeating: 0, count: k)
        for i in stride(from: k - 1, through: 0, by: -1) {
            var s = v[i]
            for m in (i + 1)..<k { s -= l[m * k + i] * beta[m] }
            beta[i] = s / l[i * k + i]
        }
        return beta
    }

    public func predict(_ x: FeatureMatrix) throws(UpliftError) -> [Float] {
        guard coefficients.count == x.columns + 1 else {
            throw UpliftError(coefficients.isEmpty ? "predict before fit" : "the model has \(coefficients.count - 1) features, the data \(x.columns)")
        }
        return (0..<x.rows).map { r in
            var eta = coefficients[0]
            for c in 0..<x.columns { eta += coefficients[c + 1] * (Double(x[r, c]) - means[c]) / scales[c] }
            return Float(objective == .binaryLogistic ? 1 / (1 + exp(-eta)) : eta)
        }
    }

    public func serialized() throws(UpliftError) -> [UInt8] {
        guard !coefficients.isEmpty else { throw UpliftError("serialize before fit") }
        let doubles = [Double(means.count)] + means + scales + coefficients
        return doubles.flatMap { d in (0..<8).map { UInt8(truncatingIfNeeded: d.bitPattern >> (8 * UInt64($0))) } }
    }
}
