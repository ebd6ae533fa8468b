import XCTest
@testable import Synthetic
import Stats

/// Ridge ASCM against ground truth: a treated unit outside the donors' convex hull.
final class AugmentedSyntheticTests: XCTestCase {
    /// 20 donors with loadings on a trending factor in [0.5, 1.5]; the treated unit's loading 2 puts
    /// it outside their hull, where the synthetic control cannot follow it.
    static func panel(seed: UInt64, effect: Double, t0: Int = 30, t1: Int = 10) -> (treated: [Double], donors: [[Double]]) {
        var g = SplitMix64(seed: seed)
        let t = t0 + t1
        let factor = (0..<t).map { Double($0) * 0.3 + g.normal() * 0.5 }
        let donors = (0..<20).map { _ -> [Double] in
            let loading = 0.5 + g.uniform()
            return (0..<t).map { 10 + loading * factor[$0] + 0.3 * g.normal() }
        }
        let treated = (0..<t).map { s in 10 + 2 * factor[s] + 0.3 * g.normal() + (s >= t0 ? effect : 0) }
        return (treated, donors)
    }

    func testReducesTheBiasOfTheSyntheticControlOutsideTheHull() throws {
        var scError = 0.0, augError = 0.0
        for seed in 0..<20 {
            let (treated, donors) = Self.panel(seed: 40 + UInt64(seed), effect: 1)
            let aug = AugmentedSynthetic.estimate(treated: treated, donors: donors, prePeriods: 30)
            let sc = AugmentedSynthetic.estimate(treated: treated, donors: donors, prePeriods: 30, lambda: 1e12)
            scError += abs(sc.att - 1) / 20
            augError += abs(aug.att - 1) / 20
            XCTAssertEqual(aug.weights.reduce(0, +), 1, accuracy: 1e-9)
            XCTAssertLessThan(aug.preRMSPE, sc.preRMSPE)
        }
        XCTAssertGreaterThan(scError, 1, "the synthetic control misses the extrapolation")
        XCTAssertLessThan(augError, scError / 3, "ridge ASCM: \\(augError) against SC \\(scError)")
    }

    func testInsideTheHullItStaysNearTheSyntheticControl() {
        var g = SplitMix64(seed: 5)
        let factor = (0..<40).map { Double($0) * 0.3 + g.normal() * 0.5 }
        let donors = (0..<20).map { j in (0..<40).map { 10 + (0.5 + Double(j) / 19) * factor[$0] + 0.3 * g.normal() } }
        let treated = (0..<40).map { s in 0.5 * donors[4][s] + 0.5 * donors[12][s] + 0.1 * g.normal() + (s >= 30 ? 2 : 0) }
        let aug = AugmentedSynthetic.estimate(treated: treated, donors: donors, prePeriods: 30)
        let sc = AugmentedSynthetic.estimate(treated: treated, donors: donors, prePeriods: 30, lambda: 1e12)
        for (a, b) in zip(sc.scWeights, sc.weights) { XCTAssertEqual(a, b, accuracy: 1e-9, "λ → ∞: the synthetic control itself") }
        XCTAssertEqual(aug.att, 2, accuracy: 0.3)
        XCTAssertEqual(sc.att, 2, accuracy: 0.3)
    }
}
