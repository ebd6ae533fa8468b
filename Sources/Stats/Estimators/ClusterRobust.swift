/// One cluster's sufficient statistics: units, Σy, and Σx (a ratio's denominator, else 0).
public struct ClusterSummary: Sendable, Equatable {
    public var count: Double
    public var sumY: Double
    public var sumX: Double

    public init(count: Double, sumY: Double, sumX: Double = 0) {
        self.count = count
        self.sumY = sumY
        self.sumX = sumX
    }
}

/// Cluster-robust (CR1) inference for cluster-randomized experiments: every unit of a cluster
/// shares its arm, so units are not independent and the cluster is the unit of variance.
///
/// For the difference in means (OLS of y on a treatment dummy) the CR1 sandwich is
/// G/(G−1)·(N−1)/(N−2) · Σ_arms Σ_clusters (Σ_c y − n_c ȳ_arm)² / N_arm², and the interval uses
/// t with G − 1 degrees of freedom (G clusters in all). Ratio metrics Σy/Σx use the linearized
/// residuals Σ_c y − R·Σ_c x over Σx_arm (the delta method at the cluster level).
public enum ClusterRobust {
    /// The arm's estimate and the (uncorrected) sandwich variance of it.
    static func arm(_ clusters: [ClusterSummary], ratio: Bool) -> (estimate: Double, variance: Double, units: Double) {
        let n = clusters.reduce(0) { $0 + $1.count }
        let sy = clusters.reduce(0) { $0 + $1.sumY }
        if ratio {
            let sx = clusters.reduce(0) { $0 + $1.sumX }
            let r = sy / sx
            let v = clusters.reduce(0) { acc, c in let e = c.sumY - r * c.sumX; return acc + e * e } / (sx * sx)
            return (r, v, n)
        }
        let mean = sy / n
        let v = clusters.reduce(0) { acc, c in let e = c.sumY - c.count * mean; return acc + e * e } / (n * n)
        return (mean, v, n)
    }

    /// Treatment − control with a CR1 interval; nil when either arm has no cluster.
    public static func difference(control: [ClusterSummary], treatment: [ClusterSummary], ratio: Bool = false,
                                  confidence: Double = 0.95) -> (absolute: Effect, controlEstimate: Double, treatmentEstimate: Double,
                                                                 controlVariance: Double, treatmentVariance: Double)? {
        guard !control.isEmpty, !treatment.isEmpty else { return nil }
        let c = arm(control, ratio: ratio), t = arm(treatment, ratio: ratio)
        let g = Double(control.count + treatment.count)
        let n = c.units + t.units
        let correction = g / (g - 1) * (n - 1) / (n - 2)
        let vc = c.variance * correction, vt = t.variance * correction
        let se = (vc + vt).squareRoot()
        let diff = t.estimate - c.estimate
        guard g > 2, se > 0, se.isFinite else {
            return (Effect(estimate: diff, standardError: se, lower: .nan, upper: .nan, pValue: .nan, degreesOfFreedom: nil),
                    c.estimate, t.estimate, vc, vt)
        }
        let dist = StudentT(degreesOfFreedom: g - 1)
        let q = dist.quantile(1 - (1 - confidence) / 2)
        return (Effect(estimate: diff, standardError: se, lower: diff - q * se, upper: diff + q * se,
                       pValue: dist.twoSidedP(diff / se), degreesOfFreedom: g - 1),
                c.estimate, t.estimate, vc, vt)
    }
}
