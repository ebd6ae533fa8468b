import Foundation
import XCTest
@testable import Uplift
import Stats

final class LearnerTests: XCTestCase {
    func testLinearRegressionRecoversCoefficients() throws {
        var g = SplitMix64(seed: 1)
        let n = 5_000
        var x = [Float](), y = [Float]()
        for _ in 0..<n {
            let a = g.normal(), b = g.normal()
            x += [Float(a), Float(b)]
            y.append(Float(1.5 + 2 * a - 0.5 * b))
        }
        var learner = LinearLearner(objective: .squaredError, ridge: 0)
        let matrix = FeatureMatrix(values: x, rows: n, columns: 2)
        try learner.fit(matrix, labels: y, weights: nil)
        let p = try learner.predict(FeatureMatrix(values: [0, 0, 1, 0, 0, 1], rows: 3, columns: 2))
        XCTAssertEqual(p[0], 1.5, accuracy: 1e-4)
        XCTAssertEqual(p[1], 3.5, accuracy: 1e-4)
        XCTAssertEqual(p[2], 1.0, accuracy: 1e-4)
    }

    func testLogisticRegressionRecoversCoefficients() throws {
        var g = SplitMix64(seed: 2)
        let n = 40_000
        var x = [Float](), y = [Float]()
        for _ in 0..<n {
            let a = g.normal()
            x.append(Float(a))
            y.append(g.uniform() < 1 / (1 + exp(-(-0.5 + 1.2 * a))) ? 1 : 0)
        }
        var learner = LinearLearner(objective: .binaryLogistic, ridge: 0)
        try learner.fit(FeatureMatrix(values: x, rows: n, columns: 1), labels: y, weights: nil)
        let p = try learner.predict(FeatureMatrix(values: [0, 1], rows: 2, columns: 1)).map(Double.init)
        // logit(p) at x = 0 and x = 1 recovers the intercept and the slope within sampling error (SE ≈ 0.015).
        XCTAssertEqual(log(p[0] / (1 - p[0])), -0.5, accuracy: 0.06)
        XCTAssertEqual(log(p[1] / (1 - p[1])) - log(p[0] / (1 - p[0])), 1.2, accuracy: 0.07)
    }

    func testXGBoostFitsAndRoundTrips() throws {
        var g = SplitMix64(seed: 3)
        let n = 4_000
        var x = [Float](), y = [Float]()
        for _ in 0..<n {
            let a = g.uniform() * 4 - 2
            x.append(Float(a))
            y.append(Float(a > 0 ? 3 : -1))
        }
        var learner = XGBoostLearner(objective: .squaredError, parameters: .init(rounds: 50, maxDepth: 3, learningRate: 0.3))
        let matrix = FeatureMatrix(values: x, rows: n, columns: 1)
        try learner.fit(matrix, labels: y, weights: nil)
        let p = try learner.predict(FeatureMatrix(values: [-1, 1], rows: 2, columns: 1))
        XCTAssertEqual(p[0], -1, accuracy: 0.01)
        XCTAssertEqual(p[1], 3, accuracy: 0.01)
        let restored = try XGBoostLearner(objective: .squaredError, parameters: learner.parameters, serialized: try learner.serialized())
        XCTAssertEqual(try restored.predict(matrix), try learner.predict(matrix))
        XCTAssertThrowsError(try XGBoostLearner(objective: .squaredError, parameters: .init(), serialized: [1, 2, 3])) { error in
            XCTAssertTrue("\(error)".hasPrefix("XGBoost loading a model failed"), "\(error)")
        }
    }

    func testIsotonicMatchesPoolAdjacentViolators() {
        // scikit-learn: IsotonicRegression().fit([1..6], [1, 3, 2, 4, 3, 5]).predict → [1, 2.5, 2.5, 3.5, 3.5, 5].
        let iso = Isotonic.fit(x: [1, 2, 3, 4, 5, 6], y: [1, 3, 2, 4, 3, 5])
        XCTAssertEqual((1...6).map { iso(Double($0)) }, [1, 2.5, 2.5, 3.5, 3.5, 5])
        XCTAssertEqual(iso(0), 1, "clipped below")
        XCTAssertEqual(iso(9), 5, "clipped above")
        XCTAssertEqual(iso(3.5), 3, "interpolated between fitted points")
        // Tied x values are pooled first (mean 1 with weight 2), then with 0.5: (0 + 2 + 0.5) / 3.
        let tied = Isotonic.fit(x: [1, 1, 2], y: [0, 2, 0.5])
        XCTAssertEqual(tied(1), 2.5 / 3, accuracy: 1e-15)
        XCTAssertEqual(tied(2), 2.5 / 3, accuracy: 1e-15)
    }
}
