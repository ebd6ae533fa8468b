import Stats
import Foundation

/// Data with known treatment effects.
///
/// Setups A–D are Nie & Wager's (2021) designs exactly as CausalML's `synthetic_data` modes 1–4
/// implement them (`causalml/dataset/regression.py`): y = b(x) + (w − 0.5)·τ(x) + σ·ε, five features.
/// A: x ~ U(0,1), b = sin(πx1x2) + 2(x3 − 0.5)² + x4 + 0.5x5, e = clip(sin(πx1x2), 0.1, 0.9), τ = (x1 + x2)/2.
/// B: x ~ N(0,1), b = max(0, x1 + x2, x3) + max(0, x4 + x5), e = 0.5, τ = x1 + log(1 + e^x2).
/// C: x ~ N(0,1), b = 2·log(1 + e^(x1+x2+x3)), e = 1/(1 + e^(x2+x3)), τ = 1.
/// D: x ~ N(0,1), b = (max(0, x1+x2+x3) + max(0, x4+x5))/2, e = 1/(1 + e^−x1 + e^−x2),
///    τ = max(0, x1+x2+x3) − max(0, x4+x5).
/// Treatment is randomized (e = 0.5) only in B; A, C and D are confounded through e(x).
///
/// `binary`: a voucher campaign with a logistic response: P(buy) = σ(b(x) + w·δ(x)), randomized
/// 50/50, where "sleeping dogs" (x1 > 0.8) are put off by the voucher (δ = −1.2), "sure things"
/// (x2 > 1.2) buy anyway (b large, δ = 0) and the rest are persuadable in proportion to x3.
///
/// `vouchers`: K voucher levels against control, randomized in equal shares, with the binary
/// response's segments, an effect growing with the level at a diminishing rate, and a cost per
/// arm (face value × redemption, redemption being the conversion probability under that arm).
public enum SyntheticData {
    public enum Setup: String, Sendable, CaseIterable {
        case a = "A", b = "B", c = "C", d = "D", binary, vouchers

        public var randomized: Bool { self == .b || self == .binary || self == .vouchers }
        public var binaryOutcome: Bool { self == .binary || self == .vouchers }
    }

    public struct Sample: Sendable {
        /// n × 5 features, row-major.
        public var features: FeatureMatrix
        /// 0 control, 1…K treatments.
        public var arm: [Int]
        public var outcome: [Double]
        /// True effect of each treatment arm: `tau[arm − 1][row]`.
        public var tau: [[Double]]
        /// Propensity of the arm each unit got (randomized designs: its share).
        public var propensity: [Double]
        /// Arm names, control first.
        public var arms: [String]
        /// Face value of each treatment arm's voucher (`vouchers` only), `cost[arm − 1]`.
        public var faceValue: [Double]
    }

    public static func generate(_ setup: Setup, n: Int, seed: UInt64, levels: Int = 3, sigma: Double = 1) -> Sample {
        var g = SplitMix64(seed: seed)
        var x = [Float](), arm = [Int](), y = [Double](), tau = [Double](), e = [Double]()
        x.reserveCapacity(n * 5)
        func softplus(_ v: Double) -> Double { v > 30 ? v : log1p(exp(v)) }
        func expit(_ v: Double) -> Double { 1 / (1 + exp(-v)) }
        if setup == .vouchers { return vouchers(n: n, levels: max(1, levels), g: &g) }
        for _ in 0..<n {
            let u: [Double] = setup == .a ? (0..<5).map { _ in g.uniform() } : (0..<5).map { _ in g.normal() }
            var b = 0.0, p = 0.5, t = 0.0
            switch setup {
            case .a:
                b = sin(.pi * u[0] * u[1]) + 2 * pow(u[2] - 0.5, 2) + u[3] + 0.5 * u[4]
                p = max(0.1, min(sin(.pi * u[0] * u[1]), 0.9))
                t = (u[0] + u[1]) / 2
            case .b:
                b = max(0, u[0] + u[1], u[2]) + max(0, u[3] + u[4])
                t = u[0] + softplus(u[1])
            case .c:
                b = 2 * softplus(u[0] + u[1] + u[2])
                p = 1 / (1 + exp(u[1] + u[2]))
                t = 1
            case .d:
                b = (max(0, u[0] + u[1] + u[2]) + max(0, u[3] + u[4])) / 2
                p = 1 / (1 + exp(-u[0]) + exp(-u[1]))
                t = max(0, u[0] + u[1] + u[2]) - max(0, u[3] + u[4])
            case .binary:
                let (base, delta) = voucherResponse(u, level: 1)
                let w = g.uniform() < 0.5 ? 1 : 0
                let py = expit(base + Double(w) * delta)
                x.append(contentsOf: u.map(Float.init))
                arm.append(w)
                y.append(g.uniform() < py ? 1 : 0)
                tau.append(expit(base + delta) - expit(base))
                e.append(0.5)
                continue
            case .vouchers: fatalError("handled above")
            }
            let w = g.uniform() < p ? 1 : 0
            x.append(contentsOf: u.map(Float.init))
            arm.append(w)
            y.append(b + (Double(w) - 0.5) * t + sigma * g.normal())
            tau.append(t)
            e.append(w == 1 ? p : 1 - p)
        }
        return Sample(features: FeatureMatrix(values: x, rows: n, columns: 5), arm: arm, outcome: y, tau: [tau],
                      propensity: e, arms: ["control", "treatment"], faceValue: [])
    }

    /// Baseline logit and voucher effect on the logit for a unit, at voucher level `level` (1 = smallest).
    static func voucherResponse(_ u: [Double], level: Int) -> (base: Double, delta: Double) {
        let sleepingDog = u[0] > 0.8, sureThing = u[1] > 1.2
        let base = sureThing ? 2.5 : -1.5 + 0.4 * u[3]
        let strength = log1p(Double(level)) / log(2) // 1, 1.58, 2, … : diminishing returns
        let delta: Double = sleepingDog ? -1.2 : sureThing ? 0 : strength * (0.6 + 0.4 * u[2])
        return (base, delta)
    }

    static func vouchers(n: Int, levels: Int, g: inout SplitMix64) -> Sample {
        func expit(_ v: Double) -> Double { 1 / (1 + exp(-v)) }
        let face = (1...levels).map { 5.0 * Double($0) }
        var x = [Float](), arm = [Int](), y = [Double](), tau = [[Double]](repeating: [], count: levels), e = [Double]()
        for _ in 0..<n {
            let u = (0..<5).map { _ in g.normal() }
            let w = Int(g.uniform() * Double(levels + 1))
            let (base, _) = voucherResponse(u, level: 1)
            let p0 = expit(base)
            for k in 1...levels { tau[k - 1].append(expit(base + voucherResponse(u, level: k).delta) - p0) }
            let py = w == 0 ? p0 : expit(base + voucherResponse(u, level: w).delta)
            x.append(contentsOf: u.map(Float.init))
            arm.append(w)
            y.append(g.uniform() < py ? 1 : 0)
            e.append(1 / Double(levels + 1))
        }
        return Sample(features: FeatureMatrix(values: x, rows: n, columns: 5), arm: arm, outcome: y, tau: tau, propensity: e,
                      arms: ["control"] + face.map { "voucher\(Int($0))" }, faceValue: face)
    }
}
