import XCTest
import Observational

/// Cinelli & Hazlett (2020) on the Darfur survey, the numbers of `sensemakr`'s own tests
/// (`tests/testthat/test-02-darfur.R`), and VanderWeele & Ding (2017)'s E-value examples.
final class SensitivityTests: XCTestCase {
    /// peacefactor ~ directlyharmed + age + farmer_dar + herder_dar + pastvoted + hhsize_darfur +
    /// female + village, village one-hot with its first level dropped.
    static func darfur() throws -> StudyData {
        let t = try Fixture.table("darfur.csv")
        var names = ["age", "farmer_dar", "herder_dar", "pastvoted", "hhsize_darfur", "female"]
        var columns = names.map { Fixture.numbers(t, $0) }
        let villages = t["village"]!
        for level in Set(villages).sorted().dropFirst() {
            names.append("village=\(level)")
            columns.append(villages.map { $0 == level ? 1 : 0 })
        }
        return try StudyData(covariates: ColumnMatrix(rows: villages.count, columns: columns), names: names,
                             treatment: Fixture.numbers(t, "directlyharmed"), outcome: Fixture.numbers(t, "peacefactor"))
    }

    func testDarfurSensitivityStatistics() throws {
        let data = try Self.darfur()
        XCTAssertEqual(data.count, 1276)
        let ols = try RegressionAdjustment().estimate(data)
        XCTAssertEqual(ols.regression.degreesOfFreedom, 783)
        XCTAssertEqual(ols.estimate.value, 0.09731582, accuracy: 5e-9)
        XCTAssertEqual(ols.classicalStandardError, 0.02325654, accuracy: 5e-9)
        let s = OmittedVariableSensitivity(estimate: ols.estimate.value, standardError: ols.classicalStandardError, degreesOfFreedom: 783)
        XCTAssertEqual(s.tStatistic, 4.18445, accuracy: 5e-6)
        XCTAssertEqual(s.partialR2, 0.02187309, accuracy: 5e-9)
        XCTAssertEqual(s.robustnessValue, 0.1387764, accuracy: 5e-8)
        XCTAssertEqual(s.robustnessValueAlpha, 0.07625797, accuracy: 5e-9)
    }

    func testDarfurBoundsOnFemale() throws {
        let data = try Self.darfur()
        let ols = try RegressionAdjustment().estimate(data)
        let female = try XCTUnwrap(ols.regression.index(of: "female"))
        let r2yxj = ols.regression.partialR2(female)
        // The benchmark's partial R² with the treatment: directlyharmed ~ the covariates.
        let treatmentModel = try LinearRegression(y: data.treatment, x: data.covariates, names: data.names)
        let r2dxj = treatmentModel.partialR2(try XCTUnwrap(treatmentModel.index(of: "female")))
        let s = OmittedVariableSensitivity(estimate: ols.estimate.value, standardError: ols.classicalStandardError, degreesOfFreedom: 783)
        let bounds = try s.bounds(benchmark: "female", r2dxj: r2dxj, r2yxj: r2yxj, multiples: [1, 2, 3])
        XCTAssertEqual(bounds.map(\.label), ["1x female", "2x female", "3x female"])
        let expected: [(r2dz: Double, r2yz: Double, est: Double, se: Double, t: Double, lo: Double, hi: Double)] = [
            (0.00916428667504862, 0.12464092303637, 0.0752202712144491, 0.0218733277437572, 3.43890386024675, 0.032282966, 0.11815758),
            (0.0183285733500972, 0.249324064199975, 0.0529151723844518, 0.0203500620779637, 2.60024623913809, 0.012968035, 0.09286231),
            (0.0274928600251459, 0.374050471038094, 0.0303960234641548, 0.0186700648170924, 1.62806202131271, -0.006253282, 0.06704533),
        ]
        for (b, e) in zip(bounds, expected) {
            XCTAssertEqual(b.r2dz, e.r2dz, accuracy: 1e-10)
            XCTAssertEqual(b.r2yz, e.r2yz, accuracy: 1e-10)
            XCTAssertEqual(b.adjustedEstimate, e.est, accuracy: 1e-10)
            XCTAssertEqual(b.adjustedStandardError, e.se, accuracy: 1e-10)
            XCTAssertEqual(b.adjustedT, e.t, accuracy: 1e-8)
            XCTAssertEqual(b.lower, e.lo, accuracy: 1e-8)
            XCTAssertEqual(b.upper, e.hi, accuracy: 1e-8)
        }
    }

    /// sensemakr's test: a confounder with r2dz = r2yz = RV_q brings the estimate to zero.
    func testRobustnessValueZeroesTheEstimate() {
        let s = OmittedVariableSensitivity(estimate: 0.09731582, standardError: 0.02325654, degreesOfFreedom: 783)
        let rv = s.robustnessValue
        XCTAssertEqual(s.adjusted(r2dz: rv, r2yz: rv).adjustedEstimate, 0, accuracy: 1e-12)
        let rva = s.robustnessValueAlpha
        XCTAssertEqual(s.adjusted(r2dz: rva, r2yz: rva).adjustedT, StudentT783.critical, accuracy: 1e-6)
    }

    /// VanderWeele & Ding (2017), Ann Intern Med 167:268, the breastfeeding example: RR 3.9
    /// (95% CI 1.8 to 8.7) has an E-value of 7.2 (7.26) and its lower limit one of 3.0.
    func testEValuesOfThePaper() {
        let e = EValue.riskRatio(3.9, lower: 1.8, upper: 8.7)
        XCTAssertEqual(e.point, 3.9 + (3.9 * 2.9).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(e.point, 7.26, accuracy: 0.005)
        XCTAssertEqual(e.limit, 3.0, accuracy: 1e-12)
        // A protective estimate takes the inverse; an interval through 1 has E-value 1.
        XCTAssertEqual(EValue.riskRatio(1 / 3.9), e.point, accuracy: 1e-12)
        XCTAssertEqual(EValue.confidenceLimit(lower: 0.8, upper: 1.3), 1)
        // The SMD conversion: RR ≈ exp(0.91 d).
        XCTAssertEqual(EValue.riskRatio(standardizedDifference: 0.5), exp(0.455), accuracy: 1e-15)
    }
}

import Stats
enum StudentT783 { static let critical = StudentT(degreesOfFreedom: 782).quantile(0.975) }
