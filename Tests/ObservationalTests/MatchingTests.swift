import XCTest
import Observational

/// R's `Matching` on the Lalonde sample: its own regression test, `test-AbadieImbens.R` (the
/// replication of Imbens' `lalonde_exper_04feb2.m`), holds these estimates and standard errors.
/// The fixture's earnings carry five decimals in thousands where `Matching`'s carry cents, so the
/// estimates agree to about 1e-8 and the tolerance is 1e-7.
final class MatchingTests: XCTestCase {
    let four = ["age", "educ", "re74", "re75"]

    func check(_ covariates: [String], _ matching: NearestNeighbourMatching, estimate: Double, se: Double,
               file: StaticString = #filePath, line: UInt = #line) throws {
        let data = try Fixture.lalonde(covariates)
        let result = try matching.estimate(data)
        XCTAssertEqual(result.estimate.value, estimate, accuracy: 1e-7, "estimate", file: file, line: line)
        XCTAssertEqual(result.estimate.standardError, se, accuracy: 1e-7, "standard error", file: file, line: line)
    }

    func testAgeOnlyATE() throws {
        try check(["age"], .init(estimand: .ate, sample: true), estimate: 1.78519111481212, se: 0.686716677322528)
    }

    func testFourCovariatesATE() throws {
        try check(four, .init(estimand: .ate, sample: true), estimate: 1.71440714918138, se: 0.740129179632503)
    }

    func testThreeMatchesATE() throws {
        try check(four, .init(estimand: .ate, matches: 3, sample: true), estimate: 1.53630268121115, se: 0.661930423623259)
    }

    func testATT() throws {
        try check(four, .init(estimand: .att, sample: true), estimate: 1.72691301785071, se: 0.836629632308480)
    }

    func testATC() throws {
        try check(four, .init(estimand: .atc, sample: true), estimate: 1.70550874262821, se: 0.820095935752824)
    }

    func testMahalanobis() throws {
        try check(four, .init(estimand: .ate, distance: .mahalanobis, sample: true), estimate: 1.59261673326378, se: 0.684729829415588)
    }

    func testPopulationStandardError() throws {
        try check(four, .init(estimand: .ate, sample: false), estimate: 1.71440714918138, se: 0.743384632957198)
    }

    func testRobustConditionalVariance() throws {
        try check(four, .init(estimand: .ate, varianceMatches: 3, sample: true), estimate: 1.71440714918138, se: 0.696272433717223)
    }

    func testWeightsCountMatchesAndTies() throws {
        let data = try Fixture.lalonde(four)
        let result = try NearestNeighbourMatching(estimand: .att).estimate(data)
        // ATT: every treated unit weighs 1; the controls' weights sum to the number of treated.
        let treated = data.treatment.indices.filter { data.treatment[$0] == 1 }
        XCTAssertEqual(treated.reduce(0) { $0 + result.weights[$1] }, 185, accuracy: 1e-9)
        let controls = data.treatment.indices.filter { data.treatment[$0] == 0 }
        XCTAssertEqual(controls.reduce(0) { $0 + result.weights[$1] }, 185, accuracy: 1e-9)
        XCTAssertGreaterThanOrEqual(result.pairs, 185)
    }

    func testCaliperThatLeavesNoMatchesIsRefused() throws {
        // The arms lie 10 standard deviations apart on x.
        let x = (0..<20).map { Double($0 < 10 ? $0 : 200 + $0) }
        let data = try StudyData(covariates: ColumnMatrix(rows: 20, columns: [x]), names: ["x"],
                                 treatment: (0..<20).map { $0 < 10 ? 1 : 0 }, outcome: x)
        XCTAssertThrowsError(try NearestNeighbourMatching(estimand: .att, caliper: 0.5).estimate(data)) { error in
            XCTAssertEqual((error as? ObservationalError)?.code, .noOverlap)
            XCTAssertTrue("\(error)".contains("caliper"), "\(error)")
        }
    }

    func testCaliperDropsFarUnits() throws {
        let data = try Fixture.lalonde(four)
        let loose = try NearestNeighbourMatching(estimand: .att).estimate(data)
        let tight = try NearestNeighbourMatching(estimand: .att, caliper: 0.05).estimate(data)
        XCTAssertEqual(loose.dropped, 0)
        XCTAssertGreaterThan(tight.dropped, 0)
        XCTAssertEqual(tight.estimate.units, tight.weights.filter { $0 > 0 }.count)
    }
}
