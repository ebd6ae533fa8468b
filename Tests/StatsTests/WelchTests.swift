import Foundation
import XCTest
import Stats

/// Welch, t and normal against scipy (Fixtures/README.md says how the values were made).
final class WelchTests: XCTestCase {
    private func fixture() throws -> [String: Any] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/welch-cases", withExtension: "json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    func testWelchMatchesScipy() throws {
        let cases = try XCTUnwrap(try fixture()["welch"] as? [[String: Any]])
        XCTAssertEqual(cases.count, 5)
        for c in cases {
            let name = c["name"] as! String
            let control = SampleSummary((c["control"] as! [NSNumber]).map(\.doubleValue))
            let treatment = SampleSummary((c["treatment"] as! [NSNumber]).map(\.doubleValue))
            let effect = Welch.absolute(control: control, treatment: treatment)
            let expected = { (key: String) in (c[key] as! NSNumber).doubleValue }
            XCTAssertEqual(effect.estimate / effect.standardError, expected("statistic"), accuracy: 1e-9, name)
            XCTAssertEqual(effect.pValue, expected("pvalue"), accuracy: 1e-10 + 1e-8 * expected("pvalue"), name)
            XCTAssertEqual(try XCTUnwrap(effect.degreesOfFreedom), expected("df"), accuracy: 1e-8, name)
            XCTAssertEqual(effect.lower, expected("ci_low"), accuracy: 1e-9, name)
            XCTAssertEqual(effect.upper, expected("ci_high"), accuracy: 1e-9, name)
        }
    }

    func testDistributionsMatchScipy() throws {
        let d = try XCTUnwrap(try fixture()["distributions"] as? [String: [[NSNumber]]])
        for row in try XCTUnwrap(d["t_ppf"]) {
            let (df, p, q) = (row[0].doubleValue, row[1].doubleValue, row[2].doubleValue)
            XCTAssertEqual(StudentT(degreesOfFreedom: df).quantile(p), q, accuracy: 1e-9 * max(1, abs(q)), "t.ppf(\(p), \(df))")
        }
        for row in try XCTUnwrap(d["t_two_sided"]) {
            let (df, t, p) = (row[0].doubleValue, row[1].doubleValue, row[2].doubleValue)
            XCTAssertEqual(StudentT(degreesOfFreedom: df).twoSidedP(t), p, accuracy: 1e-14 + 1e-9 * p, "t=\(t), df=\(df)")
        }
        for row in try XCTUnwrap(d["norm_ppf"]) {
            XCTAssertEqual(Normal.quantile(row[0].doubleValue), row[1].doubleValue, accuracy: 1e-12 * max(1, abs(row[1].doubleValue)))
        }
    }

    func testMultipleTestingMatchesScipyAndTheDefinition() throws {
        let m = try XCTUnwrap(try fixture()["multiple"] as? [String: [NSNumber]])
        let p = m["p"]!.map(\.doubleValue)
        for (a, e) in zip(MultipleTesting.benjaminiHochberg.adjust(p), m["bh"]!.map(\.doubleValue)) { XCTAssertEqual(a, e, accuracy: 1e-12) }
        for (a, e) in zip(MultipleTesting.holm.adjust(p), m["holm"]!.map(\.doubleValue)) { XCTAssertEqual(a, e, accuracy: 1e-12) }
        XCTAssertEqual(MultipleTesting.none.adjust(p), p)
        XCTAssertTrue(MultipleTesting.holm.adjust([0.01, .nan])[1].isNaN)
    }

    /// The delta-method relative lift on a case worked by hand: control mean 10 (variance of the
    /// mean 0.04), treatment mean 11 (0.09): Var(r) = 0.09/100 + 121·0.04/10⁴ = 0.001384.
    func testRelativeLiftDeltaMethod() {
        let r = Welch.relative(controlMean: 10, controlVarianceOfMean: 0.04, treatmentMean: 11, treatmentVarianceOfMean: 0.09)
        XCTAssertEqual(r.estimate, 0.1, accuracy: 1e-15)
        XCTAssertEqual(r.standardError, 0.001384.squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(r.lower, 0.1 - 1.959963984540054 * 0.001384.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(r.pValue, 2 * Normal.survival(0.1 / 0.001384.squareRoot()), accuracy: 1e-15)
    }
}
