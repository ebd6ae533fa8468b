import Foundation

/// Student's t distribution with `degreesOfFreedom` ν > 0 (fractional ν allowed, as Welch's test needs).
public struct StudentT: Sendable {
    public let degreesOfFreedom: Double

    public init(degreesOfFreedom: Double) {
        precondition(degreesOfFreedom > 0, "degrees of freedom must be positive")
        self.degreesOfFreedom = degreesOfFreedom
    }

    /// P(|T| ≥ |t|) = I_{ν/(ν+t²)}(ν/2, 1/2).
    public func twoSidedP(_ t: Double) -> Double {
        guard t.isFinite else { return t.isNaN ? .nan : 0 }
        let nu = degreesOfFreedom
        return Beta.regularizedIncomplete(x: nu / (nu + t * t), a: nu / 2, b: 0.5)
    }

    /// P(T ≤ t).
    public func cdf(_ t: Double) -> Double {
        let tail = twoSidedP(t) / 2
        return t >= 0 ? 1 - tail : tail
    }

    /// The p-quantile: bisection for t > 0 on the two-sided tail P(|T| ≥ t) = 2(1 − p), which keeps
    /// full precision far into the tail (relative error about 1e-14).
    public func quantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "the t quantile needs 0 < p < 1")
        if p == 0.5 { return 0 }
        if p < 0.5 { return -quantile(1 - p) }
        let target = 2 * (1 - p)
        var lo = 0.0, hi = 1.0
        while twoSidedP(hi) > target { lo = hi; hi *= 2; if hi > 1e300 { return .infinity } }
        for _ in 0..<2000 {
            let mid = (lo + hi) / 2
            guard mid > lo, mid < hi else { break }
            if twoSidedP(mid) > target { lo = mid } else { hi = mid }
        }
        return (lo + hi) / 2
    }
}

/// The regularized incomplete beta function.
public enum Beta {
    /// I_x(a, b) by the continued fraction of Numerical Recipes (betacf), using the symmetry
    /// I_x(a, b) = 1 − I_{1−x}(b, a) where it converges faster.
    public static func regularizedIncomplete(x: Double, a: Double, b: Double) -> Double {
        guard x > 0 else { return 0 }
        guard x < 1 else { return 1 }
        let logFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
        if x < (a + 1) / (a + b + 2) {
            return exp(logFront) * continuedFraction(x: x, a: a, b: b) / a
        }
        return 1 - exp(logFront) * continuedFraction(x: 1 - x, a: b, b: a) / b
    }

    private static func continuedFraction(x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        let qab = a + b, qap = a + 1, qam = a - 1
        var c = 1.0
        var d = 1 - qab * x / qap
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...10_000 {
            let m = Double(m), m2 = 2 * m
            var aa = m * (b - m) * x / ((qam + m2) * (a + m2))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            h *= d * c
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return h
    }
}
