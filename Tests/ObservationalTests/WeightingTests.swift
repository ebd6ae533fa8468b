import XCTest
import Observational

/// Inverse probability weighting on NHEFS: Hernán & Robins, *What If*, §12.2 and Program 12.2.
final class WeightingTests: XCTestCase {
    static func nhefs() throws -> StudyData {
        let t = try Fixture.table("nhefs.csv")
        let names = ["sex", "race", "age", "age^2", "education_2", "education_3", "education_4", "education_5",
                     "smokeintensity", "smokeintensity^2", "smokeyrs", "smokeyrs^2", "exercise_1", "exercise_2",
                     "active_1", "active_2", "wt71", "wt71^2"]
        let columns = names.map { Fixture.numbers(t, $0) }
        return try StudyData(covariates: ColumnMatrix(rows: columns[0].count, columns: columns), names: names,
                             treatment: Fixture.numbers(t, "trt"), outcome: Fixture.numbers(t, "outcome"))
    }

    /// The book: "3.4 kg (95% CI: 2.4, 4.5)"; its R program prints 3.4405 (2.4107, 4.4704) from a
    /// weighted regression with a robust (GEE) variance, i.e. with the weights treated as known.
    func testWhatIfProgram12_2() throws {
        let data = try Self.nhefs()
        XCTAssertEqual(data.count, 1566)
        let propensity = try Propensity(data)
        let result = try InverseProbabilityWeighting(estimand: .ate).estimate(data, propensity: propensity)
        XCTAssertEqual(result.estimate.value, 3.4405, accuracy: 5e-5)
        XCTAssertEqual(result.estimate.value - 1.959964 * result.fixedWeightsStandardError, 2.4107, accuracy: 5e-4)
        XCTAssertEqual(result.estimate.value + 1.959964 * result.fixedWeightsStandardError, 4.4704, accuracy: 5e-4)
        // Counting the propensity model's estimation can only help here (Lunceford & Davidian 2004, §3.2):
        // the full sandwich is not larger than the weights-known one for the ATE.
        XCTAssertLessThanOrEqual(result.estimate.standardError, result.fixedWeightsStandardError)
        XCTAssertGreaterThan(result.estimate.standardError, 0.3)
    }

    /// What If §12.2: "The estimated IP weights W^A ranged from 1.05 to 16.7, and their mean was 2.00."
    func testWhatIfWeightsRangeAndMean() throws {
        let data = try Self.nhefs()
        let propensity = try Propensity(data)
        let weights = zip(data.treatment, propensity.scores).map { $0 == 1 ? 1 / $1 : 1 / (1 - $1) }
        XCTAssertEqual(weights.min()!, 1.05, accuracy: 0.005)
        XCTAssertEqual(weights.max()!, 16.7, accuracy: 0.05)
        XCTAssertEqual(weights.reduce(0, +) / Double(weights.count), 2.00, accuracy: 0.005)
        XCTAssertLessThan(try XCTUnwrap(propensity.logistic).iterations, 10)
    }
}
