import Foundation
import XCTest
@testable import Synthetic
import Stats

/// Synthetic DiD on California's Proposition 99: the numbers of the authors' `synthdid` package
/// and of Arkhangelsky et al. (2021), Table 1.
final class SyntheticDiDTests: XCTestCase {
    /// 38 control states then California; 1970–1988 before, 1989–2000 after.
    static func california() throws -> (y: [[Double]], states: [String]) {
        let url = Bundle.module.url(forResource: "california_prop99", withExtension: "csv", subdirectory: "Fixtures")!
        let lines = try String(contentsOf: url, encoding: .utf8).split(whereSeparator: \.isNewline)
        let header = lines[0].split(separator: ",").dropFirst().map(String.init)
        let rows = lines.dropFirst().map { $0.split(separator: ",").dropFirst().map { Double($0)! } }
        var states = header.filter { $0 != "California" }
        states.append("California")
        let y = states.map { s in rows.map { $0[header.firstIndex(of: s)!] } }
        return (y, states)
    }

    /// `multiDiff`'s test of synthdid on `california_prop99`: −15.603828; the data here carry
    /// single-precision noise (89.80000305 for 89.8), so 1e-4.
    func testSyntheticDiDEqualsSynthdid() throws {
        let (y, _) = try Self.california()
        XCTAssertEqual(y.count, 39)
        XCTAssertEqual(y[0].count, 31)
        let sdid = SyntheticDiD.estimate(y, controls: 38, prePeriods: 19)
        XCTAssertEqual(sdid.tau, -15.603828, accuracy: 1e-4)
        XCTAssertEqual(sdid.omega.reduce(0, +), 1, accuracy: 1e-12)
        XCTAssertEqual(sdid.lambda.reduce(0, +), 1, accuracy: 1e-12)
        XCTAssertEqual(sdid.curve.reduce(0, +) / 12, sdid.tau, accuracy: 1e-12)
    }

    /// Arkhangelsky et al. (2021), Table 1, California: SDID −15.6, SC −19.6, DID −27.3.
    func testTheThreeEstimatorsOfThePaper() throws {
        let (y, _) = try Self.california()
        XCTAssertEqual(SyntheticDiD.estimate(y, controls: 38, prePeriods: 19, estimator: .sdid).tau, -15.6, accuracy: 0.05)
        XCTAssertEqual(SyntheticDiD.estimate(y, controls: 38, prePeriods: 19, estimator: .sc).tau, -19.6, accuracy: 0.05)
        XCTAssertEqual(SyntheticDiD.estimate(y, controls: 38, prePeriods: 19, estimator: .did).tau, -27.3, accuracy: 0.05)
    }

    /// A planted effect in a factor model with unit and time effects: SDID finds it.
    func testPlantedEffectInAFactorModel() {
        var g = SplitMix64(seed: 5)
        let n0 = 30, t0 = 25, t1 = 8
        let loadings = (0...n0).map { _ in g.normal() }, levels = (0...n0).map { _ in 10 * g.normal() }
        let factor = (0..<(t0 + t1)).map { Double($0) * 0.2 + 2 * sin(Double($0) / 3) }
        var y = (0...n0).map { i in factor.indices.map { s in levels[i] + loadings[i] * factor[s] + 0.3 * g.normal() } }
        for s in t0..<(t0 + t1) { y[n0][s] += 3 }
        let e = SyntheticDiD.estimate(y, controls: n0, prePeriods: t0)
        XCTAssertEqual(e.tau, 3, accuracy: 0.3)
        let se = SyntheticDiD.placeboStandardError(y, controls: n0, prePeriods: t0, estimator: .sdid, replications: 100)
        XCTAssertNotNil(se)
        XCTAssertLessThan(se!, 1)
    }
}
