import Foundation
import Stats
import XCTest

final class DeltaMethodTests: XCTestCase {
    /// The ratio's variance against a derivation written here from the raw values: linearize each
    /// unit as (Nᵢ − R·Dᵢ) / D̄ (Deng, Knoblich & Lu 2018, section 3.2); the variance of the ratio is
    /// the sample variance of those values over n. The code under test works from sums only.
    func testRatioVarianceEqualsTheLinearizationOfTheRawValues() {
        var g = SplitMix64(seed: 11)
        let n = 500
        var numerator: [Double] = [], denominator: [Double] = []
        for _ in 0..<n {
            let sessions = 1 + Double(Int(g.uniform() * 6))
            denominator.append(sessions)
            numerator.append(sessions * (0.2 + 0.3 * g.uniform()) + (g.uniform() < 0.1 ? 3 : 0))
        }
        let estimate = DeltaMethod.ratio(CovariateSummary(y: numerator, x: denominator))

        let r = numerator.reduce(0, +) / denominator.reduce(0, +)
        let dBar = denominator.reduce(0, +) / Double(n)
        let linear = zip(numerator, denominator).map { ($0 - r * $1) / dBar }
        let mean = linear.reduce(0, +) / Double(n)
        let variance = linear.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
        XCTAssertEqual(estimate.mean, r, accuracy: 1e-12)
        XCTAssertEqual(estimate.varianceOfMean, variance / Double(n), accuracy: 1e-12 * variance / Double(n))
    }

    /// Ground truth by simulation: over 4,000 samples of 400 units with a known ratio, the spread of
    /// the ratio matches the delta method's average variance within 6 %, and 95 % intervals cover
    /// the true ratio 93–97 % of the time.
    func testRatioVarianceMatchesTheSpreadOfSimulatedRatios() {
        var g = SplitMix64(seed: 5)
        let replicates = 4000, n = 400
        let trueRatio = 0.5  // E[N] / E[D] with N = D·U(0.3, 0.7)
        var ratios: [Double] = [], variances: [Double] = [], covered = 0
        let z = Normal.criticalValue(confidence: 0.95)
        for _ in 0..<replicates {
            var s = CovariateSummary(count: 0, sumY: 0, sumY2: 0, sumX: 0, sumX2: 0, sumXY: 0)
            for _ in 0..<n {
                let d = 1 + Double(Int(g.uniform() * 4)), y = d * (0.3 + 0.4 * g.uniform())
                s.count += 1; s.sumY += y; s.sumY2 += y * y; s.sumX += d; s.sumX2 += d * d; s.sumXY += d * y
            }
            let e = DeltaMethod.ratio(s)
            ratios.append(e.mean)
            variances.append(e.varianceOfMean)
            if abs(e.mean - trueRatio) <= z * e.varianceOfMean.squareRoot() { covered += 1 }
        }
        let mean = ratios.reduce(0, +) / Double(replicates)
        let spread = ratios.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(replicates - 1)
        let predicted = variances.reduce(0, +) / Double(replicates)
        XCTAssertEqual(mean, trueRatio, accuracy: 0.002)
        XCTAssertEqual(predicted / spread, 1, accuracy: 0.06)
        XCTAssertEqual(Double(covered) / Double(replicates), 0.95, accuracy: 0.02)
    }

    /// The normal difference against published values: z = 1 / √0.5 = √2 gives a two-sided
    /// p = 2·(1 − Φ(√2)) = 0.157299207050285 (scipy.stats.norm.sf(2 ** 0.5) * 2), and the 95 %
    /// critical value is 1.959963984540054 (scipy.stats.norm.ppf(0.975)).
    func testNormalDifferenceAgainstPublishedNormalValues() {
        let effect = DeltaMethod.difference(control: MeanEstimate(mean: 2, varianceOfMean: 0.25),
                                            treatment: MeanEstimate(mean: 3, varianceOfMean: 0.25))
        XCTAssertEqual(effect.estimate, 1)
        XCTAssertEqual(effect.standardError, 0.5.squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(effect.pValue, 0.157299207050285, accuracy: 1e-14)
        XCTAssertEqual(Normal.criticalValue(confidence: 0.95), 1.959963984540054, accuracy: 1e-14)
        XCTAssertEqual(effect.lower, 1 - 1.959963984540054 * 0.5.squareRoot(), accuracy: 1e-13)
        XCTAssertEqual(effect.upper, 1 + 1.959963984540054 * 0.5.squareRoot(), accuracy: 1e-13)
        XCTAssertNil(effect.degreesOfFreedom)
    }
}
