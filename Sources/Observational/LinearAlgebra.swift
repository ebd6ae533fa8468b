import Foundation
import Stats

/// A dense matrix of doubles stored column by column: the layout Householder QR and the
/// regressions walk (each column contiguous).
public struct ColumnMatrix: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    public var values: [Double]

    public init(rows: Int, columns: Int, values: [Double]) {
        precondition(values.count == rows * columns, "a matrix's values must be rows × columns")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    public init(rows: Int, columns: [[Double]]) {
        self.rows = rows
        self.columns = columns.count
        var values = [Double]()
        values.reserveCapacity(rows * columns.count)
        for column in columns {
            precondition(column.count == rows, "every column needs one value per row")
            values += column
        }
        self.values = values
    }

    public subscript(row: Int, column: Int) -> Double {
        get { values[column * rows + row] }
        set { values[column * rows + row] = newValue }
    }

    public func column(_ j: Int) -> ArraySlice<Double> { values[(j * rows)..<((j + 1) * rows)] }

    /// The matrix with a leading column of ones.
    public func withIntercept() -> ColumnMatrix {
        ColumnMatrix(rows: rows, columns: columns + 1, values: [Double](repeating: 1, count: rows) + values)
    }

    /// The matrix with `column` placed first.
    public func prepending(_ column: [Double]) -> ColumnMatrix {
        precondition(column.count == rows)
        return ColumnMatrix(rows: rows, columns: columns + 1, values: column + values)
    }

    /// The rows at `indices`, in that order.
    public func selecting(rows indices: [Int]) -> ColumnMatrix {
        var out = [Double]()
        out.reserveCapacity(indices.count * columns)
        for j in 0..<columns {
            let base = j * rows
            for i in indices { out.append(values[base + i]) }
        }
        return ColumnMatrix(rows: indices.count, columns: columns, values: out)
    }

    /// The columns at `indices`.
    public func selecting(columns indices: [Int]) -> ColumnMatrix {
        var out = [Double]()
        out.reserveCapacity(indices.count * rows)
        for j in indices { out += column(j) }
        return ColumnMatrix(rows: rows, columns: indices.count, values: out)
    }

    /// X·b.
    public func times(_ b: [Double]) -> [Double] {
        precondition(b.count == columns)
        var out = [Double](repeating: 0, count: rows)
        values.withUnsafeBufferPointer { v in
            for j in 0..<columns where b[j] != 0 {
                let bj = b[j], base = j * rows
                for i in 0..<rows { out[i] += v[base + i] * bj }
            }
        }
        return out
    }
}

/// Householder QR of an n × p matrix (n ≥ p), the least-squares workhorse: coefficients, the
/// inverse of X'X from R, and leverages. Columns whose diagonal in R falls below a relative
/// tolerance are reported as collinear rather than solved through.
public struct HouseholderQR: Sendable {
    public let rows: Int
    public let columns: Int
    /// R in the upper triangle, the Householder vectors below it (column-major).
    private var factor: [Double]
    private var tau: [Double]

    /// The first column (0-based) whose R diagonal is negligible against the largest, if any:
    /// that column is a linear combination of the ones before it.
    public private(set) var firstDependentColumn: Int?

    public init(_ x: ColumnMatrix, tolerance: Double = 1e-10) {
        rows = x.rows
        columns = x.columns
        precondition(rows >= columns, "QR needs at least as many rows as columns")
        var a = x.values
        var tau = [Double](repeating: 0, count: columns)
        let n = rows
        var norms = [Double](repeating: 0, count: columns)
        let pcount = x.columns
        a.withUnsafeMutableBufferPointer { a in
            for j in 0..<pcount {
                var s = 0.0
                for i in 0..<n { s += a[j * n + i] * a[j * n + i] }
                norms[j] = s.squareRoot()
            }
            for k in 0..<pcount {
                let base = k * n
                var norm = 0.0
                for i in k..<n { norm += a[base + i] * a[base + i] }
                norm = norm.squareRoot()
                if norm == 0 { tau[k] = 0; continue }
                let alpha = a[base + k] > 0 ? -norm : norm
                let v0 = a[base + k] - alpha
                // v = (1, a[k+1..]/v0), tau = (alpha - a_kk)/alpha... in the LAPACK form:
                for i in (k + 1)..<max(k + 1, n) { a[base + i] /= v0 }
                tau[k] = (alpha - a[base + k]) / alpha
                a[base + k] = alpha
                for j in (k + 1)..<pcount {
                    let cb = j * n
                    var dot = a[cb + k]
                    for i in (k + 1)..<n { dot += a[base + i] * a[cb + i] }
                    dot *= tau[k]
                    a[cb + k] -= dot
                    for i in (k + 1)..<n { a[cb + i] -= dot * a[base + i] }
                }
            }
        }
        factor = a
        self.tau = tau
        for k in 0..<columns {
            let scale = max(norms[k], 1e-300)
            if abs(a[k * n + k]) <= tolerance * scale || norms[k] == 0 {
                firstDependentColumn = k
                break
            }
        }
    }

    /// Qᵀy.
    public func qTransposeTimes(_ y: [Double]) -> [Double] {
        precondition(y.count == rows)
        var y = y
        let n = rows
        factor.withUnsafeBufferPointer { a in
            for k in 0..<columns where tau[k] != 0 {
                let base = k * n
                var dot = y[k]
                for i in (k + 1)..<n { dot += a[base + i] * y[i] }
                dot *= tau[k]
                y[k] -= dot
                for i in (k + 1)..<n { y[i] -= dot * a[base + i] }
            }
        }
        return y
    }

    /// The least-squares coefficients b minimising ‖y − Xb‖.
    public func solve(_ y: [Double]) -> [Double] {
        let qty = qTransposeTimes(y)
        return backSubstitute(Array(qty.prefix(columns)))
    }

    private func r(_ i: Int, _ j: Int) -> Double { factor[j * rows + i] }

    /// Solves R b = c.
    public func backSubstitute(_ c: [Double]) -> [Double] {
        var b = c
        for i in stride(from: columns - 1, through: 0, by: -1) {
            var s = b[i]
            for j in (i + 1)..<columns { s -= r(i, j) * b[j] }
            b[i] = s / r(i, i)
        }
        return b
    }

    /// R⁻¹ (upper triangular), column-major p × p.
    public func rInverse() -> [Double] {
        let p = columns
        var inv = [Double](repeating: 0, count: p * p)
        for j in 0..<p {
            inv[j * p + j] = 1 / r(j, j)
            for i in stride(from: j - 1, through: 0, by: -1) {
                var s = 0.0
                for k in (i + 1)...j { s += r(i, k) * inv[j * p + k] }
                inv[j * p + i] = -s / r(i, i)
            }
        }
        return inv
    }

    /// (XᵀX)⁻¹ = R⁻¹R⁻ᵀ, column-major p × p.
    public func inverseGram() -> [Double] {
        let p = columns, ri = rInverse()
        var out = [Double](repeating: 0, count: p * p)
        for i in 0..<p {
            for j in i..<p {
                var s = 0.0
                for k in j..<p { s += ri[k * p + i] * ri[k * p + j] }
                out[j * p + i] = s
                out[i * p + j] = s
            }
        }
        return out
    }
}

/// The inverse of a symmetric positive-definite matrix (column-major), nil when it is not.
public func symmetricInverse(_ a: [Double], size n: Int) -> [Double]? {
    var out = [Double](repeating: 0, count: n * n)
    for j in 0..<n {
        var e = [Double](repeating: 0, count: n)
        e[j] = 1
        guard let column = choleskySolve(a, e, size: n) else { return nil }
        for i in 0..<n { out[j * n + i] = column[i] }
    }
    return out
}
