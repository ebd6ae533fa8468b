import Uplift
import XCTest

/// XGBoost's own return code survives as a code, not only inside the message.
final class ErrorCodeTests: XCTestCase {
    func testXGBoostFailureKeepsItsReturnCode() {
        var parameters = XGBoostParameters(rounds: 2)
        parameters.treeMethod = "no-such-method"
        var learner = XGBoostLearner(objective: .squaredError, parameters: parameters)
        let x = FeatureMatrix(values: [0, 1, 2, 3, 4, 5], rows: 6, columns: 1)
        XCTAssertThrowsError(try learner.fit(x, labels: [0, 1, 0, 1, 0, 1], weights: nil)) { error in
            let e = error as? UpliftError
            XCTAssertEqual(e?.code, .xgboost)
            XCTAssertEqual(e?.xgboostCode, -1, "XGBoost's C API returns -1 on failure")
            XCTAssertTrue(e?.description.contains("no-such-method") ?? false, "\(error)")
        }
    }
}
