import Foundation
import Stats

/// A simulated observational study with a known effect, for tests, benchmarks and the demo.
/// Five standard-normal covariates; treatment with probability
/// e(x) = logistic(−0.3 + 0.8 sin(πx₁/2) + 0.6(x₂² − 1) + 0.4x₃); outcome
/// Y = τ·T + 2 sin(πx₁/2) + (x₂² − 1) + 0.5x₃x₄ + 0.5x₅ + ε, ε ~ N(0, 1).
/// The confounding runs through sin(x₁) and x₂², so a difference in means and a regression linear
/// in x are both biased while the doubly robust estimators with flexible nuisances are not.
public struct ConfoundedDesign: Sendable {
    public let effect: Double
    public init(effect: Double = 1) { self.effect = effect }

    public static let covariateNames = ["x1", "x2", "x3", "x4", "x5"]

    public func propensity(_ x: [Double]) -> Double {
        1 / (1 + exp(-(-0.3 + 0.8 * sin(Double.pi * x[0] / 2) + 0.6 * (x[1] * x[1] - 1) + 0.4 * x[2])))
    }

    /// `n` units; returns the study and the true propensities.
    public func sample(_ n: Int, seed: UInt64) -> (data: StudyData, propensity: [Double]) {
        var rng = SplitMix64(seed: seed)
        var columns = [[Double]](repeating: [Double](repeating: 0, count: n), count: 5)
        var t = [Double](repeating: 0, count: n), y = [Double](repeating: 0, count: n), e = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let x = (0..<5).map { _ in rng.normal() }
            for j in 0..<5 { columns[j][i] = x[j] }
            e[i] = propensity(x)
            t[i] = rng.uniform() < e[i] ? 1 : 0
            y[i] = effect * t[i] + 2 * sin(Double.pi * x[0] / 2) + (x[1] * x[1] - 1) + 0.5 * x[2] * x[3] + 0.5 * x[4] + rng.normal()
        }
        let data = try! StudyData(covariates: ColumnMatrix(rows: n, columns: columns), names: Self.covariateNames, treatment: t, outcome: y)
        return (data, e)
    }
}
