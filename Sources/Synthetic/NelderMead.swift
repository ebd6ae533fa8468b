/// The Nelder–Mead simplex search as scipy's `minimize(method="Nelder-Mead")` runs it (non-adaptive
/// coefficients ρ = 1, χ = 2, ψ = ½, σ = ½; the initial simplex moves each coordinate by 5%, or to
/// 0.00025 when it is 0; stops when both the simplex and its values are within `xatol` and `fatol`,
/// or after 200·n iterations or evaluations). Synth and pysyncon choose the predictor weights V
/// with it, so the same search from the same start finds the same optimum.
public enum NelderMead {
    public struct Result: Sendable {
        public let x: [Double]
        public let value: Double
        public let iterations: Int
        public let evaluations: Int
    }

    public static func minimize(_ f: ([Double]) -> Double, from x0: [Double], xatol: Double = 1e-4, fatol: Double = 1e-4,
                                maxIterations: Int? = nil) -> Result {
        let n = x0.count
        let limit = maxIterations ?? 200 * n
        let (rho, chi, psi, sigma) = (1.0, 2.0, 0.5, 0.5)
        var simplex = [x0]
        for k in 0..<n {
            var y = x0
            y[k] = y[k] != 0 ? (1 + 0.05) * y[k] : 0.00025
            simplex.append(y)
        }
        var evaluations = 0
        func value(_ x: [Double]) -> Double {
            evaluations += 1
            return f(x)
        }
        var values = simplex.map(value)
        func sortSimplex() {
            let order = values.indices.sorted { values[$0] < values[$1] }
            simplex = order.map { simplex[$0] }
            values = order.map { values[$0] }
        }
        sortSimplex()
        var iterations = 1
        while evaluations < limit && iterations < limit {
            let spread = simplex.dropFirst().map { s in zip(s, simplex[0]).map { abs($0 - $1) }.max() ?? 0 }.max() ?? 0
            let valueSpread = values.dropFirst().map { abs(values[0] - $0) }.max() ?? 0
            if spread <= xatol && valueSpread <= fatol { break }
            let centroid = (0..<n).map { k in simplex.dropLast().reduce(0) { $0 + $1[k] } / Double(n) }
            let worst = simplex[n]
            let reflected = (0..<n).map { (1 + rho) * centroid[$0] - rho * worst[$0] }
            let fr = value(reflected)
            var shrink = false
            if fr < values[0] {
                let expanded = (0..<n).map { (1 + rho * chi) * centroid[$0] - rho * chi * worst[$0] }
                let fe = value(expanded)
                if fe < fr { simplex[n] = expanded; values[n] = fe } else { simplex[n] = reflected; values[n] = fr }
            } else if fr < values[n - 1] {
                simplex[n] = reflected; values[n] = fr
            } else if fr < values[n] {
                let contracted = (0..<n).map { (1 + psi * rho) * centroid[$0] - psi * rho * worst[$0] }
                let fc = value(contracted)
                if fc <= fr { simplex[n] = contracted; values[n] = fc } else { shrink = true }
            } else {
                let inside = (0..<n).map { (1 - psi) * centroid[$0] + psi * worst[$0] }
                let fcc = value(inside)
                if fcc < values[n] { simplex[n] = inside; values[n] = fcc } else { shrink = true }
            }
            if shrink {
                for j in 1...n {
                    simplex[j] = (0..<n).map { simplex[0][$0] + sigma * (simplex[j][$0] - simplex[0][$0]) }
                    values[j] = value(simplex[j])
                }
            }
            iterations += 1
            sortSimplex()
        }
        return Result(x: simplex[0], value: values[0], iterations: iterations, evaluations: evaluations)
    }
}
