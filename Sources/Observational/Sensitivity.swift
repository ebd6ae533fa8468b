import Foundation
import Stats

/// Omitted-variable-bias sensitivity of a regression coefficient (Cinelli & Hazlett 2020), as R's
/// `sensemakr` computes it: the treatment's partial R² with the outcome, the robustness values
/// RV_q and RV_{q,α}, and bounds on a confounder k times as strong as a named covariate.
public struct OmittedVariableSensitivity: Sendable {
    public let estimate: Double
    public let standardError: Double
    public let degreesOfFreedom: Int
    public let q: Double
    public let alpha: Double

    public init(estimate: Double, standardError: Double, degreesOfFreedom: Int, q: Double = 1, alpha: Double = 0.05) {
        self.estimate = estimate
        self.standardError = standardError
        self.degreesOfFreedom = degreesOfFreedom
        self.q = q
        self.alpha = alpha
    }

    public var tStatistic: Double { estimate / standardError }

    /// R²_{Y∼D|X} = t²/(t² + dof).
    public var partialR2: Double { let t = tStatistic; return t * t / (t * t + Double(degreesOfFreedom)) }

    /// RV_q: the partial R² a confounder needs with both D and Y to bring the estimate to (1 − q)·estimate.
    public var robustnessValue: Double {
        let fq = q * abs(tStatistic) / Double(degreesOfFreedom).squareRoot()
        return 0.5 * ((fq * fq * fq * fq + 4 * fq * fq).squareRoot() - fq * fq)
    }

    /// RV_{q,α}: the same, to make the reduced estimate lose significance at α.
    public var robustnessValueAlpha: Double {
        let dof = Double(degreesOfFreedom)
        let fq = q * abs(tStatistic) / dof.squareRoot()
        let fcrit = abs(StudentT(degreesOfFreedom: dof - 1).quantile(alpha / 2)) / (dof - 1).squareRoot()
        let fqa = fq - fcrit
        if fqa < 0 { return 0 }
        let rv = 0.5 * ((fqa * fqa * fqa * fqa + 4 * fqa * fqa).squareRoot() - fqa * fqa)
        // Past f_q > 1/f*, the bound is the extreme scenario's (sensemakr's rvx).
        if fq > 1 / fcrit { return (fq * fq - fcrit * fcrit) / (1 + fq * fq) }
        return rv
    }

    public struct Bound: Sendable, Equatable {
        public let label: String
        public let r2dz: Double
        public let r2yz: Double
        public let adjustedEstimate: Double
        public let adjustedStandardError: Double
        public let adjustedT: Double
        public let lower: Double
        public let upper: Double
    }

    /// The estimate, SE and interval were a confounder Z with partial R² `r2dz` with D and `r2yz`
    /// with Y (given X and D) omitted; the bias taken toward zero.
    public func adjusted(r2dz: Double, r2yz: Double, label: String = "manual") -> Bound {
        let dof = Double(degreesOfFreedom)
        let bias = standardError * (r2yz * r2dz / (1 - r2dz)).squareRoot() * dof.squareRoot()
        let adjustedEstimate = estimate >= 0 ? estimate - bias : estimate + bias
        let adjustedSE = ((1 - r2yz) / (1 - r2dz)).squareRoot() * standardError * (dof / (dof - 1)).squareRoot()
        let critical = StudentT(degreesOfFreedom: dof).quantile(1 - alpha / 2)
        return Bound(label: label, r2dz: r2dz, r2yz: r2yz, adjustedEstimate: adjustedEstimate, adjustedStandardError: adjustedSE,
                     adjustedT: adjustedEstimate / adjustedSE, lower: adjustedEstimate - critical * adjustedSE, upper: adjustedEstimate + critical * adjustedSE)
    }

    /// Bounds from a benchmark covariate: its partial R² with the treatment (given the other
    /// covariates, `r2dxj`) and with the outcome (given the others and D, `r2yxj`), scaled by each k.
    public func bounds(benchmark: String, r2dxj: Double, r2yxj: Double, multiples: [Double]) throws(ObservationalError) -> [Bound] {
        try multiples.map { (k: Double) throws(ObservationalError) -> Bound in
            let r2dz = k * r2dxj / (1 - r2dxj)
            guard r2dz < 1 else { throw ObservationalError(.invalidOption, "a confounder \(k)× \(benchmark) would explain all of the treatment; use smaller multiples") }
            let r2zxj = k * r2dxj * r2dxj / ((1 - k * r2dxj) * (1 - r2dxj))
            guard r2zxj < 1 else { throw ObservationalError(.invalidOption, "multiple \(k) of \(benchmark) is impossible: use smaller multiples") }
            let r2yz = min(1, pow((k.squareRoot() + r2zxj.squareRoot()) / (1 - r2zxj).squareRoot(), 2) * (r2yxj / (1 - r2yxj)))
            let label = "\(k == k.rounded() ? String(Int(k)) : String(k))x \(benchmark)"
            return adjusted(r2dz: r2dz, r2yz: r2yz, label: label)
        }
    }
}

/// E-values (VanderWeele & Ding 2017): the minimum strength of association, on the risk-ratio
/// scale, that an unmeasured confounder would need with both treatment and outcome to explain
/// away an estimate.
public enum EValue {
    /// The E-value of a risk ratio: RR + √(RR(RR − 1)) for RR ≥ 1, and of 1/RR below 1.
    public static func riskRatio(_ rr: Double) -> Double {
        let r = rr < 1 ? 1 / rr : rr
        return r + (r * (r - 1)).squareRoot()
    }

    /// The E-value of the interval limit nearer to 1, or 1 when the interval contains 1.
    public static func confidenceLimit(lower: Double, upper: Double) -> Double {
        if lower <= 1 && upper >= 1 { return 1 }
        return riskRatio(lower > 1 ? lower : upper)
    }

    /// A standardized mean difference d as an approximate risk ratio, RR ≈ exp(0.91 d).
    public static func riskRatio(standardizedDifference d: Double) -> Double { exp(0.91 * d) }

    /// Point and interval-limit E-values of a difference in means `estimate` (SE `se`) for an
    /// outcome with standard deviation `sd`, via the SMD conversion (VanderWeele & Ding 2017, §5).
    public static func meanDifference(estimate: Double, standardError se: Double, outcomeSD sd: Double) -> (point: Double, limit: Double) {
        let d = estimate / sd, dse = se / sd
        let point = riskRatio(riskRatio(standardizedDifference: d))
        let lower = riskRatio(standardizedDifference: d - 1.959963984540054 * dse)
        let upper = riskRatio(standardizedDifference: d + 1.959963984540054 * dse)
        return (point, confidenceLimit(lower: lower, upper: upper))
    }

    /// Point and interval-limit E-values of a risk ratio with its interval.
    public static func riskRatio(_ rr: Double, lower: Double, upper: Double) -> (point: Double, limit: Double) {
        (riskRatio(rr), confidenceLimit(lower: lower, upper: upper))
    }
}
