import XCTest
@testable import Synthetic
import Stats

/// Conformal intervals per period (Chernozhukov, Wüthrich & Zhu 2021): coverage of planted effects
/// in a factor model. The 200-panel study is `tools/bench synthetic-inference` (docs/benchmarks.md).
final class ConformalTests: XCTestCase {
    /// 20 donors on two factors; the treated unit a convex mix of five of them plus noise; `effect`
    /// added in each of the 8 post-periods.
    static func panel(seed: UInt64, t0: Int = 39, t1: Int = 8, effect: Double) -> (treated: [Double], donors: [[Double]]) {
        var g = SplitMix64(seed: seed)
        let t = t0 + t1
        let f1 = (0..<t).map { Double($0) / 10 + g.normal() * 0.3 }, f2 = (0..<t).map { sin(Double($0) / 4) + g.normal() * 0.3 }
        let donors = (0..<20).map { _ -> [Double] in
            let a = 1 + g.uniform(), b = g.normal(), level = 5 + g.normal()
            return (0..<t).map { level + a * f1[$0] + b * f2[$0] + 0.5 * g.normal() }
        }
        let treated = (0..<t).map { s in (0..<5).reduce(0) { $0 + 0.2 * donors[$1][s] } + 0.5 * g.normal() + (s >= t0 ? effect : 0) }
        return (treated, donors)
    }

    func testIntervalsCoverPlantedEffectsAtAboutTheirLevel() {
        var covered = 0, total = 0
        for seed in 0..<50 {
            let (treated, donors) = Self.panel(seed: 700 + UInt64(seed), effect: 2)
            for interval in ConformalIntervals.intervals(treated: treated, donors: donors, prePeriods: 39, alpha: 0.05) {
                total += 1
                if interval.lower <= 2 && 2 <= interval.upper { covered += 1 }
                XCTAssertLessThan(interval.lower, interval.upper)
                XCTAssertTrue(interval.lower.isFinite && interval.upper.isFinite)
            }
        }
        let rate = Double(covered) / Double(total)
        XCTAssertGreaterThan(rate, 0.90, "coverage \(rate) of \(total)")
        XCTAssertLessThan(rate, 0.99, "coverage \(rate) of \(total)")
    }

    /// An effect ten noise SDs large is outside every interval; too short a pre-period rejects nothing.
    func testLargeEffectsAreDetectedAndShortPanelsAreUnbounded() {
        let (treated, donors) = Self.panel(seed: 3, effect: 10)
        for interval in ConformalIntervals.intervals(treated: treated, donors: donors, prePeriods: 39) {
            XCTAssertGreaterThan(interval.lower, 0)
        }
        let short = Self.panel(seed: 4, t0: 10, t1: 2, effect: 10)
        let unbounded = ConformalIntervals.intervals(treated: short.treated, donors: short.donors, prePeriods: 10)
        XCTAssertEqual(unbounded.first?.lower, -.infinity)
    }
}
