import Foundation

/// Pearson's χ² test of observed assignment counts against the configured weights.
public struct SampleRatioMismatch: Sendable, Equatable {
    /// The χ² statistic.
    public let chiSquare: Double
    /// Degrees of freedom: arms with positive weight, less one.
    public let degreesOfFreedom: Int
    /// P(χ² ≥ statistic) under the configured weights.
    public let pValue: Double
    /// The threshold below which the split is flagged.
    public static let threshold = 0.001

    /// True when p < 0.001: the observed split is not what the weights promise.
    public var isMismatch: Bool { pValue < Self.threshold }

    /// Tests counts against weights (any positive scale). Zero-weight arms are skipped; nil when
    /// fewer than two arms have weight or nothing was assigned.
    public init?(counts: [Int], weights: [Double]) {
        precondition(counts.count == weights.count, "one count per weight")
        let kept = zip(counts, weights).filter { $0.1 > 0 }
        let total = kept.reduce(0) { $0 + $1.0 }
        let weightSum = kept.reduce(0) { $0 + $1.1 }
        guard kept.count >= 2, total > 0 else { return nil }
        var statistic = 0.0
        for (count, weight) in kept {
            let expected = Double(total) * weight / weightSum
            statistic += (Double(count) - expected) * (Double(count) - expected) / expected
        }
        chiSquare = statistic
        degreesOfFreedom = kept.count - 1
        pValue = Self.upperRegularizedGamma(Double(degreesOfFreedom) / 2, statistic / 2)
    }

    /// Tests several segments at once, each with the weights in force while its units were
    /// assigned (weights may change during an experiment): the segments' χ² statistics and degrees
    /// of freedom add up. Nil when no segment can be tested.
    public init?(segments: [(counts: [Int], weights: [Double])]) {
        let tests = segments.compactMap { SampleRatioMismatch(counts: $0.counts, weights: $0.weights) }
        guard !tests.isEmpty else { return nil }
        chiSquare = tests.reduce(0) { $0 + $1.chiSquare }
        degreesOfFreedom = tests.reduce(0) { $0 + $1.degreesOfFreedom }
        pValue = Self.upperRegularizedGamma(Double(degreesOfFreedom) / 2, chiSquare / 2)
    }

    /// Q(a, x) = Γ(a, x) / Γ(a): a series for x < a + 1, else a continued fraction (Lentz).
    static func upperRegularizedGamma(_ a: Double, _ x: Double) -> Double {
        guard x > 0 else { return 1 }
        let logPrefix = a * log(x) - x - lgamma(a)
        if x < a + 1 {
            var sum = 1 / a, term = 1 / a, n = a
            for _ in 0..<10_000 {
                n += 1
                term *= x / n
                sum += term
                if abs(term) < abs(sum) * 1e-15 { break }
            }
            return max(0, 1 - sum * exp(logPrefix))
        }
        let tiny = 1e-300
        var b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d
        for i in 1...10_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return min(1, exp(logPrefix) * h)
    }
}
