/// Solves A x = b for a symmetric positive-definite A (n × n; row- or column-major alike) by
/// Cholesky; nil when A is not positive definite. The small dense systems of the estimators (ridge
/// corrections, IRLS steps, sandwich pieces) share it.
public func choleskySolve(_ a: [Double], _ b: [Double], size n: Int) -> [Double]? {
    var l = a
    for j in 0..<n {
        var d = l[j * n + j]
        for k in 0..<j { d -= l[k * n + j] * l[k * n + j] }
        guard d > 0, d.isFinite else { return nil }
        let ljj = d.squareRoot()
        l[j * n + j] = ljj
        for i in (j + 1)..<max(j + 1, n) {
            var s = l[j * n + i]
            for k in 0..<j { s -= l[k * n + i] * l[k * n + j] }
            l[j * n + i] = s / ljj
        }
    }
    // L[i][j] (i ≥ j) is stored at l[j * n + i].
    var y = b
    for i in 0..<n {
        var s = y[i]
        for k in 0..<i { s -= l[k * n + i] * y[k] }
        y[i] = s / l[i * n + i]
    }
    for i in stride(from: n - 1, through: 0, by: -1) {
        var s = y[i]
        for k in (i + 1)..<max(i + 1, n) { s -= l[i * n + k] * y[k] }
        y[i] = s / l[i * n + i]
    }
    return y
}

/// The upper-triangular U with UᵀU = A (A symmetric, n × n), row-major: U[i][j] at `i * n + j`.
/// Nil when A is not positive definite — unless `floor` is given, when a pivot below it is raised
/// to it (a semidefinite A stays usable, as a sampler needs).
public func upperCholesky(_ a: [Double], size n: Int, floor: Double? = nil) -> [Double]? {
    var u = [Double](repeating: 0, count: n * n)
    for i in 0..<n {
        for j in i..<n {
            var s = a[i * n + j]
            for k in 0..<i { s -= u[k * n + i] * u[k * n + j] }
            if i == j {
                if let floor { s = max(s, floor) } else if !(s > 0) { return nil }
                u[i * n + i] = s.squareRoot()
            } else {
                u[i * n + j] = s / u[i * n + i]
            }
        }
    }
    return u
}
