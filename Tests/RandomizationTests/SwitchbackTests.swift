import XCTest
@testable import Randomization

final class SwitchbackTests: XCTestCase {
    let arms = [Arm(name: "control", weight: 50), Arm(name: "treatment", weight: 50)]
    // 2026-11-22 00:00:00 UTC
    let midnight: Int64 = 1_795_305_600

    func testWindowsAlignToUTCMidnight() throws {
        let design = try SwitchbackDesign(arms: arms, seed: "s", windowSeconds: 1800, start: midnight + 600)
        XCTAssertEqual(design.start, midnight, "the start snaps to its window's boundary")
        let w = try XCTUnwrap(design.window(at: midnight + 3600 + 1799))
        XCTAssertEqual(w.start, midnight + 3600, ":00 window")
        XCTAssertEqual(w.end, midnight + 5400)
        XCTAssertEqual(w.period, 3)
        XCTAssertEqual(design.window(at: midnight + 5400)?.start, midnight + 5400, ":30 window")
        XCTAssertNil(design.window(at: midnight - 1))
        XCTAssertThrowsError(try SwitchbackDesign(arms: arms, seed: "s", windowSeconds: 7 * 60, start: midnight))
        XCTAssertThrowsError(try SwitchbackDesign(arms: arms, seed: "s", windowSeconds: 1800, burnInSeconds: 1800, start: midnight))
    }

    func testIndependentDrawsPerRegionAndWindow() throws {
        let design = try SwitchbackDesign(arms: arms, seed: "s", windowSeconds: 3600, start: midnight)
        var counts = [0, 0]
        var agreeAcrossRegions = 0
        for period in 1...2000 {
            let a = design.armIndex(region: "north", period: period)
            let b = design.armIndex(region: "south", period: period)
            counts[a] += 1
            if a == b { agreeAcrossRegions += 1 }
            // The draw is GrowthBook's hash of "region|window start".
            let n = GrowthBookHash.hash(seed: "s", value: "north|\(midnight + Int64(period - 1) * 3600)", version: 2)!
            XCTAssertEqual(a, n < 0.5 ? 0 : 1)
        }
        XCTAssertEqual(Double(counts[0]) / 2000, 0.5, accuracy: 0.05)
        XCTAssertEqual(Double(agreeAcrossRegions) / 2000, 0.5, accuracy: 0.05, "regions are drawn independently")
    }

    func testBurnInFollowsEverySwitch() throws {
        let design = try SwitchbackDesign(arms: arms, seed: "s", windowSeconds: 1800, burnInSeconds: 300, start: midnight)
        for period in 1...200 {
            let windowStart = midnight + Int64(period - 1) * 1800
            let early = try XCTUnwrap(design.assign(region: "r", at: windowStart + 299))
            let late = try XCTUnwrap(design.assign(region: "r", at: windowStart + 300))
            let switched = period == 1 || design.armIndex(region: "r", period: period - 1) != design.armIndex(region: "r", period: period)
            XCTAssertEqual(early.switched, switched)
            XCTAssertEqual(early.inBurnIn, switched, "period \(period)")
            XCTAssertFalse(late.inBurnIn)
            XCTAssertEqual(early.arm, late.arm)
        }
    }

    func testOptimalDesignRandomizesAtBSZPoints() throws {
        // m = 2, T = 12 periods (n = 6): points 1, 5, 7, 9 = 1, 2m+1, 3m+1, …, (n−2)m+1.
        let design = try SwitchbackDesign(arms: arms, seed: "s", windowSeconds: 3600, carryover: 2, periods: 12, start: midnight)
        XCTAssertEqual(design.randomizationPoints(upTo: 12), [1, 5, 7, 9])
        XCTAssertEqual((1...12).map(design.randomizationPeriod(for:)), [1, 1, 1, 1, 5, 5, 7, 7, 9, 9, 9, 9])
        // m = 3, T = 15 (n = 5): 1, 7, 10.
        let three = try SwitchbackDesign(arms: arms, seed: "s", windowSeconds: 3600, carryover: 3, periods: 15, start: midnight)
        XCTAssertEqual(three.randomizationPoints(upTo: 15), [1, 7, 10])
        // Without a horizon, points continue every m periods.
        let open = try SwitchbackDesign(arms: arms, seed: "s", windowSeconds: 3600, carryover: 2, start: midnight)
        XCTAssertEqual(open.randomizationPoints(upTo: 12), [1, 5, 7, 9, 11])
        // Arms hold between points.
        for region in ["a", "b", "c"] {
            for period in 1...12 {
                XCTAssertEqual(design.armIndex(region: region, period: period),
                               design.armIndex(region: region, period: design.randomizationPeriod(for: period)))
            }
        }
        XCTAssertNil(design.window(at: midnight + 12 * 3600), "after the last period")
        XCTAssertThrowsError(try SwitchbackDesign(arms: arms, seed: "s", windowSeconds: 3600, carryover: 2, periods: 11, start: midnight))
    }
}
