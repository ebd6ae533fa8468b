import XCTest
@testable import Synthetic
import Stats

/// CausalImpact's model on simulated series with planted effects. The 200-series coverage study is
/// `tools/bench impact` (docs/benchmarks.md).
final class StructuralTimeSeriesTests: XCTestCase {
    /// CausalImpact's own example, in shape: x₁ a slowly wandering series around 100, y = 1.2x₁ + noise,
    /// two more controls unrelated to y; `effect` added after period 70 of 100.
    static func series(seed: UInt64, effect: Double, n: Int = 100, start: Int = 70) -> (y: [Double], controls: [[Double]]) {
        var g = SplitMix64(seed: seed)
        var level = 0.0
        let x1 = (0..<n).map { _ -> Double in level = 0.95 * level + g.normal(); return 100 + level }
        let x2 = (0..<n).map { _ in 50 + 2 * g.normal() }, x3 = (0..<n).map { i in 10 + sin(Double(i) / 5) + 0.5 * g.normal() }
        let y = (0..<n).map { i in 1.2 * x1[i] + g.normal() + (i >= start ? effect : 0) }
        return (y, [x1, x2, x3])
    }

    func testRecoversAPlantedEffectAndRepeatsWithItsSeed() throws {
        let (y, controls) = Self.series(seed: 1, effect: 10)
        var o = StructuralTimeSeries.Options()
        o.draws = 2000
        let r = try StructuralTimeSeries.fit(y: y, controls: controls, prePeriods: 70, options: o)
        XCTAssertEqual(r.averageEffect.mean, 10, accuracy: 1.5)
        XCTAssertLessThan(r.averageEffect.lower, 10)
        XCTAssertGreaterThan(r.averageEffect.upper, 10)
        XCTAssertGreaterThan(r.averageEffect.lower, 5)
        XCTAssertGreaterThan(r.probabilityOfEffect, 0.99)
        XCTAssertEqual(r.relativeEffect.mean, 10 / 120, accuracy: 0.015)
        XCTAssertGreaterThan(r.inclusion[0], 0.95, "x₁ drives y")
        XCTAssertEqual(r.coefficients[0], 1.2, accuracy: 0.15)
        XCTAssertEqual(r.cumulative.count, 30)
        XCTAssertEqual(r.cumulative.last!.mean, r.cumulativeEffect.mean, accuracy: 1e-6)
        let again = try StructuralTimeSeries.fit(y: y, controls: controls, prePeriods: 70, options: o)
        XCTAssertEqual(again.averageEffect, r.averageEffect, "seeded: the same draws")
    }

    /// Over 40 series with an effect of 3 (three noise SDs), the 95% interval of the average effect
    /// covers it about 95% of the time, and with no effect the probability of an effect is rarely high.
    func testIntervalsCoverPlantedEffects() throws {
        var covered = 0, falseAlarms = 0
        var o = StructuralTimeSeries.Options()
        o.draws = 1000
        for seed in 0..<40 {
            let (y, controls) = Self.series(seed: 100 + UInt64(seed), effect: 3)
            let r = try StructuralTimeSeries.fit(y: y, controls: controls, prePeriods: 70, options: o)
            if r.averageEffect.lower <= 3 && 3 <= r.averageEffect.upper { covered += 1 }
            let (y0, c0) = Self.series(seed: 500 + UInt64(seed), effect: 0)
            if try StructuralTimeSeries.fit(y: y0, controls: c0, prePeriods: 70, options: o).probabilityOfEffect > 0.975 { falseAlarms += 1 }
        }
        XCTAssertGreaterThanOrEqual(covered, 34, "covered \(covered) of 40")
        XCTAssertLessThanOrEqual(falseAlarms, 6, "false alarms \(falseAlarms) of 40")
    }

    func testSeasonalModelAndRefusals() throws {
        var g = SplitMix64(seed: 8)
        let n = 140
        let pattern = [3.0, 1, 0, -1, -2, -2, 1]
        let y = (0..<n).map { i in 50 + pattern[i % 7] + 0.5 * g.normal() + (i >= 112 ? 4 : 0) }
        var o = StructuralTimeSeries.Options()
        o.draws = 1000
        o.season = 7
        let r = try StructuralTimeSeries.fit(y: y, controls: [], prePeriods: 112, options: o)
        XCTAssertEqual(r.averageEffect.mean, 4, accuracy: 1)
        XCTAssertThrowsError(try StructuralTimeSeries.fit(y: [1, 2], controls: [], prePeriods: 1)) {
            XCTAssertEqual("\($0)", "the pre-period needs at least 3 periods")
        }
        XCTAssertThrowsError(try StructuralTimeSeries.fit(y: [1, 2, 3, .nan], controls: [], prePeriods: 3)) {
            XCTAssertEqual("\($0)", "a value is not a finite number")
        }
    }
}
