import XCTest
import Observational

/// OLS and logistic regression against statsmodels 0.14.4 on Lalonde (`make-regression-cases.py`),
/// and the refusals of bad designs.
final class RegressionTests: XCTestCase {
    struct Cases: Decodable {
        struct OLS: Decodable { let coefficients: [Double]; let se: [String: Double] }
        struct Logit: Decodable { let coefficients: [Double] }
        let covariates: [String]
        let ols: OLS
        let logit: Logit
    }

    func cases() throws -> Cases {
        try JSONDecoder().decode(Cases.self, from: Data(contentsOf: Fixture.url("regression-cases.json")))
    }

    func testOLSMatchesStatsmodels() throws {
        let cases = try cases()
        let data = try Fixture.lalonde(cases.covariates)
        let result = try RegressionAdjustment().estimate(data)
        for (mine, theirs) in zip(result.regression.coefficients, cases.ols.coefficients) {
            XCTAssertEqual(mine, theirs, accuracy: 1e-10 * max(1, abs(theirs)))
        }
        let fit = result.regression
        XCTAssertEqual(fit.standardError(1), cases.ols.se["classical"]!, accuracy: 1e-12)
        XCTAssertEqual(fit.standardError(1, .hc0), cases.ols.se["hc0"]!, accuracy: 1e-12)
        XCTAssertEqual(fit.standardError(1, .hc1), cases.ols.se["hc1"]!, accuracy: 1e-12)
        XCTAssertEqual(fit.standardError(1, .hc2), cases.ols.se["hc2"]!, accuracy: 1e-12)
        XCTAssertEqual(fit.standardError(1, .hc3), cases.ols.se["hc3"]!, accuracy: 1e-12)
        XCTAssertEqual(result.estimate.standardError, cases.ols.se["hc2"]!, accuracy: 1e-12)
        XCTAssertEqual(result.estimate.degreesOfFreedom, 445 - 10)
    }

    func testLogitMatchesStatsmodels() throws {
        let cases = try cases()
        let data = try Fixture.lalonde(cases.covariates)
        let fit = try LogisticRegression(y: data.treatment, x: data.covariates, names: data.names)
        for (mine, theirs) in zip(fit.coefficients, cases.logit.coefficients) {
            XCTAssertEqual(mine, theirs, accuracy: 1e-7 * max(1, abs(theirs)))
        }
    }

    func testConstantCovariateIsNamed() throws {
        let n = 50
        let x = ColumnMatrix(rows: n, columns: [(0..<n).map { Double($0) }, [Double](repeating: 3, count: n)])
        let data = try StudyData(covariates: x, names: ["age", "country"], treatment: (0..<n).map { Double($0 % 2) },
                                 outcome: (0..<n).map { Double($0 % 7) })
        XCTAssertThrowsError(try RegressionAdjustment().estimate(data)) { error in
            XCTAssertEqual((error as? ObservationalError)?.code, .collinear)
            XCTAssertTrue("\(error)".contains("country"), "\(error)")
        }
        XCTAssertThrowsError(try Propensity(data)) { error in
            XCTAssertTrue("\(error)".contains("country"), "\(error)")
        }
    }

    func testPerfectSeparationIsRefused() throws {
        let n = 40
        let x = (0..<n).map { Double($0) }
        let data = try StudyData(covariates: ColumnMatrix(rows: n, columns: [x]), names: ["score"],
                                 treatment: x.map { $0 >= 20 ? 1 : 0 }, outcome: x)
        XCTAssertThrowsError(try Propensity(data)) { error in
            XCTAssertEqual((error as? ObservationalError)?.code, .separation)
        }
    }

    func testNonBinaryTreatmentIsRefusedByBinaryMethods() throws {
        let n = 30
        let x = (0..<n).map { Double($0) }
        let data = try StudyData(covariates: ColumnMatrix(rows: n, columns: [x]), names: ["x"],
                                 treatment: x.map { $0.truncatingRemainder(dividingBy: 3) * 0.5 }, outcome: x)
        XCTAssertThrowsError(try NearestNeighbourMatching().estimate(data)) { error in
            XCTAssertTrue("\(error)".contains("0 or 1"), "\(error)")
        }
        XCTAssertThrowsError(try AugmentedIPW().estimate(data))
        XCTAssertNoThrow(try RegressionAdjustment().estimate(data))
    }

    /// x = 0: 2 of 10 treated; x = 1: 8 of 10, so the propensities are exactly 0.2 and 0.8 and
    /// trimming at 0.25 leaves nobody.
    func testTrimmingThatLeavesNoOverlapIsRefused() throws {
        let x = (0..<20).map { Double($0 / 10) }
        let t = (0..<20).map { i in Double(i < 10 ? (i < 2 ? 1 : 0) : (i < 18 ? 1 : 0)) }
        let data = try StudyData(covariates: ColumnMatrix(rows: 20, columns: [x]), names: ["x"], treatment: t, outcome: x)
        XCTAssertEqual(try Propensity(data).scores[0], 0.2, accuracy: 1e-9)
        var o = AnalysisOptions()
        o.trim = .fixed(0.25)
        XCTAssertThrowsError(try Analysis.run(.ipw, on: data, options: o)) { error in
            XCTAssertEqual((error as? ObservationalError)?.code, .noOverlap)
            XCTAssertTrue("\(error)".hasPrefix("no overlap after trimming at 0.25"), "\(error)")
        }
        o.trim = .fixed(0.1)
        XCTAssertEqual(try Analysis.run(.ipw, on: data, options: o).trimmed, 0)
    }

    func testNonFiniteValuesAreRefusedWithTheirColumn() {
        XCTAssertThrowsError(try StudyData(covariates: ColumnMatrix(rows: 2, columns: [[1, .nan]]), names: ["income"],
                                           treatment: [0, 1], outcome: [1, 2])) { error in
            XCTAssertTrue("\(error)".contains("income"), "\(error)")
        }
    }
}
