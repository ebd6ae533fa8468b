import XCTest
@testable import Synthetic
import Stats

/// Geo test design by simulation on a panel of 25 markets on two factors.
final class GeoPlanTests: XCTestCase {
    static func markets(seed: UInt64 = 17, periods: Int = 120) -> [String: [Double]] {
        var g = SplitMix64(seed: seed)
        let f1: [Double] = (0..<periods).map { (s: Int) -> Double in
            let trend: Double = 0.002 * Double(s)
            let cycle: Double = 0.05 * sin(Double(s) * 2 * Double.pi / 52)
            return 1 + trend + cycle
        }
        var f2 = 0.0
        let f2s = (0..<periods).map { _ -> Double in f2 = 0.8 * f2 + 0.01 * g.normal(); return f2 }
        var panel: [String: [Double]] = [:]
        for m in 0..<25 {
            let level = 1000 * exp(0.3 * g.normal()), loading = g.normal()
            var series: [Double] = []
            for s in 0..<periods {
                let noise: Double = exp(0.01 * g.normal())
                series.append(level * (f1[s] + loading * f2s[s]) * noise)
            }
            panel[String(format: "m%02d", m)] = series
        }
        return panel
    }

    func testPowerGrowsWithTheEffectAndTheBestSetIsRecommended() throws {
        let panel = Self.markets()
        let sets = GeoPlan.candidates(panel, count: 2, limit: 6)
        XCTAssertEqual(sets.count, 6)
        XCTAssertTrue(sets.allSatisfy { $0.count == 2 })
        var o = GeoPlan.Options(duration: 8, effects: [0, 0.01, 0.05, 0.10])
        o.windows = 10
        let results = try GeoPlan.evaluate(panel, sets: sets, options: o)
        for r in results {
            XCTAssertLessThanOrEqual(r.power[0], 0.3, "no effect: detections are false alarms (\(r.units))")
            XCTAssertGreaterThanOrEqual(r.power[3], r.power[1], "\(r.units)")
            XCTAssertEqual(r.meanEstimate[3], 0.10, accuracy: 0.03, "the estimate tracks the planted lift (\(r.units))")
        }
        let best = try XCTUnwrap(GeoPlan.recommend(results))
        XCTAssertNotNil(best.minimumDetectableEffect)
        XCTAssertTrue(results.allSatisfy { ($0.minimumDetectableEffect ?? 1) >= best.minimumDetectableEffect! })
    }

    func testRefusals() {
        let panel = Self.markets(periods: 15)
        XCTAssertThrowsError(try GeoPlan.evaluate(panel, sets: [["m00"]], options: .init(duration: 8, effects: [0.05]))) {
            XCTAssertEqual("\($0)", "the panel has 15 periods: too few for a 8-period test after at least 10 periods of history")
        }
        let small = ["a": [1.0, 2, 3], "b": [1.0, 2, 3], "c": [2.0, 3, 4]]
        XCTAssertThrowsError(try GeoPlan.evaluate(small, sets: [["a"]], options: { var o = GeoPlan.Options(duration: 1, effects: [0.1]); o.minimumPre = 2; return o }())) {
            XCTAssertEqual("\($0)", "with 2 donors the smallest placebo p-value is 1/3, above alpha 0.1: add markets or raise alpha")
        }
    }
}
