import XCTest
import Randomization

/// Reference values from scipy 1.17.1: `scipy.stats.chisquare(counts, expected)`, run once.
final class SampleRatioMismatchTests: XCTestCase {
    func testBalancedCountsPass() throws {
        let srm = try XCTUnwrap(SampleRatioMismatch(counts: [5000, 5050], weights: [50, 50]))
        XCTAssertEqual(srm.chiSquare, 0.24875621890547264, accuracy: 1e-12)
        XCTAssertEqual(srm.pValue, 0.6179522266795625, accuracy: 1e-9)
        XCTAssertFalse(srm.isMismatch)
    }

    func testSkewedCountsAreFlagged() throws {
        let srm = try XCTUnwrap(SampleRatioMismatch(counts: [5000, 5300], weights: [50, 50]))
        XCTAssertEqual(srm.chiSquare, 8.737864077669903, accuracy: 1e-9)
        XCTAssertEqual(srm.pValue, 0.003116693839866867, accuracy: 1e-9)
        XCTAssertFalse(srm.isMismatch, "p = 0.003 is not below 0.001")
        let worse = try XCTUnwrap(SampleRatioMismatch(counts: [5000, 5500], weights: [50, 50]))
        XCTAssertEqual(worse.chiSquare, 23.80952380952381, accuracy: 1e-9)
        XCTAssertEqual(worse.pValue, 1.0635492679527356e-06, accuracy: 1e-15)
        XCTAssertTrue(worse.isMismatch)
    }

    func testUnevenWeightsAndZeroWeightArmsSkipped() throws {
        let srm = try XCTUnwrap(SampleRatioMismatch(counts: [2000, 3100, 4900, 7], weights: [20, 30, 50, 0]))
        XCTAssertEqual(srm.degreesOfFreedom, 2)
        XCTAssertEqual(srm.chiSquare, 5.333333333333334, accuracy: 1e-9)
        XCTAssertEqual(srm.pValue, 0.0694834512228015, accuracy: 1e-12)
        XCTAssertNil(SampleRatioMismatch(counts: [0, 0], weights: [50, 50]))
        XCTAssertNil(SampleRatioMismatch(counts: [10, 10], weights: [100, 0]))
    }

    func testLargeStatisticTails() throws {
        let srm = try XCTUnwrap(SampleRatioMismatch(counts: [1000, 2000, 3000], weights: [1, 1, 1]))
        XCTAssertEqual(srm.chiSquare, 1000, accuracy: 1e-9)
        XCTAssertEqual(srm.pValue / 7.124576406741474e-218, 1, accuracy: 1e-9)
    }
}
