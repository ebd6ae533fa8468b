import XCTest
@testable import Randomization

final class DesignTests: XCTestCase {
    let arms = [Arm(name: "control", weight: 50), Arm(name: "treatment", weight: 50)]

    func testArmListParsingAndValidation() throws {
        XCTAssertEqual(try Arm.parseList("control:40, treatment : 60"), [Arm(name: "control", weight: 40), Arm(name: "treatment", weight: 60)])
        XCTAssertEqual(try Arm.parseList("a:33.3,b:33.3,c:33.4").count, 3)
        for bad in ["control:50,treatment:40", "control", "control:50", ":50,b:50", "a:x,b:100", "a:-10,b:110", "a:50,a:50", "a:nan,b:50"] {
            XCTAssertThrowsError(try Arm.parseList(bad), bad)
        }
        XCTAssertEqual(try? Arm.parseList("a:50,b:40"), nil)
        XCTAssertThrowsError(try Arm.parseList("a:50,b:40")) { XCTAssertEqual("\($0)", "arm weights sum to 90, not 100") }
    }

    func testUserSplitMatchesGrowthBookAndIsBalanced() throws {
        let split = try UserSplit(arms: arms, seed: "checkout")
        var counts = [0, 0]
        for i in 0..<100_000 {
            let unit = "user-\(i)"
            let arm = try XCTUnwrap(split.assign(unit))
            counts[arm] += 1
            // The same as GrowthBook's functions composed by hand.
            let n = GrowthBookHash.hash(seed: "checkout", value: unit, version: 2)!
            XCTAssertEqual(arm, n < 0.5 ? 0 : 1)
        }
        let srm = try XCTUnwrap(SampleRatioMismatch(counts: counts, weights: [50, 50]))
        XCTAssertFalse(srm.isMismatch, "\(counts) p=\(srm.pValue)")
    }

    func testLoweringCoverageDropsUnitsButNeverMovesThem() throws {
        let full = try UserSplit(arms: arms, seed: "s", coverage: 1)
        let half = try UserSplit(arms: arms, seed: "s", coverage: 0.5)
        var dropped = 0
        for i in 0..<20_000 {
            let unit = "u\(i)"
            if let arm = half.assign(unit) { XCTAssertEqual(arm, full.assign(unit)) } else { dropped += 1 }
        }
        XCTAssertEqual(Double(dropped) / 20_000, 0.5, accuracy: 0.02)
    }

    func testLayersAreMutuallyExclusive() throws {
        let a = try UserSplit(arms: arms, seed: "a", layer: Namespace(id: "pricing", start: 0, end: 0.3))
        let b = try UserSplit(arms: arms, seed: "b", layer: Namespace(id: "pricing", start: 0.3, end: 1))
        var inA = 0, inB = 0
        for i in 0..<20_000 {
            let unit = "u\(i)"
            let ea = a.assign(unit) != nil, eb = b.assign(unit) != nil
            XCTAssertFalse(ea && eb, "a unit in two experiments of one layer")
            XCTAssertTrue(ea || eb, "the ranges cover the layer")
            if ea { inA += 1 }
            if eb { inB += 1 }
        }
        XCTAssertEqual(Double(inA) / 20_000, 0.3, accuracy: 0.02)
        XCTAssertTrue(Namespace(id: "x", start: 0, end: 0.5).overlaps(Namespace(id: "x", start: 0.4, end: 1)))
        XCTAssertFalse(Namespace(id: "x", start: 0, end: 0.5).overlaps(Namespace(id: "x", start: 0.5, end: 1)))
        XCTAssertFalse(Namespace(id: "x", start: 0, end: 0.5).overlaps(Namespace(id: "y", start: 0, end: 0.5)))
    }

    func testHoldoutGroupsAreSizedAndNested() throws {
        let five = try Holdout(percent: 5, seed: "h")
        let ten = try Holdout(percent: 10, seed: "h")
        var held = 0, measured = 0
        for i in 0..<100_000 {
            let unit = "u\(i)"
            switch five.group(of: unit) {
            case .heldOut:
                held += 1
                XCTAssertEqual(ten.group(of: unit), .heldOut, "raising the percent keeps held-out units held out")
            case .measurement: measured += 1
            case .general: break
            }
        }
        XCTAssertEqual(Double(held) / 100_000, 0.05, accuracy: 0.004)
        XCTAssertEqual(Double(measured) / 100_000, 0.05, accuracy: 0.004)
        XCTAssertThrowsError(try Holdout(percent: 60))
        XCTAssertThrowsError(try Holdout(percent: -1))
    }

    func testClusterUnitsShareTheirClustersArm() throws {
        let design = try ClusterSplit(arms: arms, seed: "geo")
        let direct = try UserSplit(arms: arms, seed: "geo")
        for cell in ["cell-1", "cell-2", "berlin-mitte"] { XCTAssertEqual(design.assign(cluster: cell), direct.assign(cell)) }
    }
}
