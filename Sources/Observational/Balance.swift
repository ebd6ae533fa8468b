import Foundation

/// Covariate balance before and after matching or weighting, as cobalt reports it: the
/// standardized mean difference (weighted means, the *unweighted* standard deviation of the
/// target arm — the treated for the ATT, the untreated for the ATC, the pooled √((s₁² + s₀²)/2)
/// for the ATE — in both columns so the change is the means'), the variance ratio and the
/// effective sample size per arm, (Σw)²/Σw².
public struct Balance: Sendable {
    public struct Row: Sendable, Equatable {
        public let covariate: String
        public let smdBefore: Double
        public let smdAfter: Double
        public let varianceRatioBefore: Double
        public let varianceRatioAfter: Double
        /// |SMD| after above the threshold (0.1).
        public var flagged: Bool { abs(smdAfter) > 0.1 }
    }

    public let rows: [Row]
    public let estimand: Estimand
    public let effectiveTreated: Double
    public let effectiveControl: Double
    /// Which standard deviation the SMDs divide by, in words.
    public var standardDeviation: String {
        switch estimand {
        case .ate: "pooled: √((s²₁ + s²₀)/2), unweighted"
        case .att: "the treated units' s₁, unweighted (as MatchIt and cobalt for the ATT)"
        case .atc: "the untreated units' s₀, unweighted"
        }
    }

    public init(_ data: StudyData, weights: [Double], estimand: Estimand) {
        let t = data.treatment
        let ones = [Double](repeating: 1, count: data.count)
        var rows: [Row] = []
        for (j, name) in data.names.enumerated() {
            let x = Array(data.covariates.column(j))
            let (m1, v1) = Self.moments(x, t, ones, arm: 1), (m0, v0) = Self.moments(x, t, ones, arm: 0)
            let (w1, wv1) = Self.moments(x, t, weights, arm: 1), (w0, wv0) = Self.moments(x, t, weights, arm: 0)
            let sd: Double = switch estimand {
            case .ate: ((v1 + v0) / 2).squareRoot()
            case .att: v1.squareRoot()
            case .atc: v0.squareRoot()
            }
            let scale = sd > 0 ? sd : 1
            rows.append(Row(covariate: name, smdBefore: (m1 - m0) / scale, smdAfter: (w1 - w0) / scale,
                            varianceRatioBefore: v0 > 0 ? v1 / v0 : .nan, varianceRatioAfter: wv0 > 0 ? wv1 / wv0 : .nan))
        }
        self.rows = rows
        self.estimand = estimand
        func ess(_ arm: Double) -> Double {
            var s = 0.0, s2 = 0.0
            for i in 0..<data.count where t[i] == arm { s += weights[i]; s2 += weights[i] * weights[i] }
            return s2 > 0 ? s * s / s2 : 0
        }
        effectiveTreated = ess(1)
        effectiveControl = ess(0)
    }

    /// Weighted mean and variance (the unbiased weighted form, as cobalt's `col_w_sd`) within one arm.
    public static func moments(_ x: [Double], _ t: [Double], _ w: [Double], arm: Double) -> (Double, Double) {
        var sw = 0.0, sw2 = 0.0, sx = 0.0
        for i in x.indices where t[i] == arm && w[i] > 0 { sw += w[i]; sw2 += w[i] * w[i]; sx += w[i] * x[i] }
        guard sw > 0 else { return (.nan, .nan) }
        let mean = sx / sw
        var ss = 0.0
        for i in x.indices where t[i] == arm && w[i] > 0 { ss += w[i] * (x[i] - mean) * (x[i] - mean) }
        let denominator = sw - sw2 / sw
        return (mean, denominator > 0 ? ss / denominator : 0)
    }
}
