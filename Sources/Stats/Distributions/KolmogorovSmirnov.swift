import Foundation

/// The one-sample Kolmogorov–Smirnov test against the uniform distribution on [0, 1].
public enum KolmogorovSmirnov {
    /// D = sup |F_n(x) − x| and its asymptotic p-value (Kolmogorov's series with Stephens' correction).
    public static func uniform(_ sample: [Double]) -> (statistic: Double, pValue: Double) {
        let sorted = sample.sorted()
        let n = Double(sorted.count)
        var d = 0.0
        for (i, x) in sorted.enumerated() {
            d = max(d, Double(i + 1) / n - x, x - Double(i) / n)
        }
        let lambda = (n.squareRoot() + 0.12 + 0.11 / n.squareRoot()) * d
        var p = 0.0
        for k in 1...100 {
            let term = 2 * (k % 2 == 1 ? 1.0 : -1.0) * exp(-2 * Double(k * k) * lambda * lambda)
            p += term
            if abs(term) < 1e-12 { break }
        }
        return (d, min(1, max(0, p)))
    }
}
